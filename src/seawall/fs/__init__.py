"""Layers to one filesystem view, read in one streaming pass."""
