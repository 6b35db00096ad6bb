"""Stills drawn for the cut (the end card)."""
