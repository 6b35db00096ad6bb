"""Dagster wiring for vidgen: partitions, assets, checks, resources, IO manager, jobs and the CLI."""
