"""seawall: keep vulnerable container images out of production."""

# One place for the version: pyproject.toml reads it from here (importlib.metadata would cost 60 ms a start).
__version__ = "0.1.0"
