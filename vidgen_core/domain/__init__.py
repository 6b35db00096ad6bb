"""The domain: models, the model catalog, beats, prompts, plans, costs and the ports adapters implement. Pure:
no database, no provider, no ffmpeg."""
