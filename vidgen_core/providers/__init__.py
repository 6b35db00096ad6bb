"""Provider ports and their adapters (local now; OpenAI and Replicate later)."""
