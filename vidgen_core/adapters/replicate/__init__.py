"""Replicate: predictions run so nothing is paid twice, and the image, video and music adapters on them."""
