"""The HTTP API: submit a prompt, follow its video, upload reference images (the seed's contract)."""
