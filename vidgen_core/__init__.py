"""vidgen core library: domain, pipeline, persistence and adapters. Knows nothing of Dagster."""
