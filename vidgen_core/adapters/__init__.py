"""Adapters: the providers (local renderers, OpenAI, Replicate), storage (local folder or S3) and ffmpeg."""
