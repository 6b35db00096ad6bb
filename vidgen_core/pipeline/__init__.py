"""The pipeline: the phases, the call cache every paid call goes through, checks, takes, requests and batches."""
