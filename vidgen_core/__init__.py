"""vidgen core library: models, planning, catalog, providers, storage and media. Knows nothing of Dagster."""
