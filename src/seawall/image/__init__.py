"""Bytes of manifests, configs and layers, from any source."""
