"""seawall: keep vulnerable container images out of production."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seawall")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
