"""Fleet scanning: a catalog of images × the scan pipeline → a results store → a report.

    catalog.py / library_file.py / hub.py / strategy.py   what to scan
    runner.py / dask_runner.py                            scanning it (Dask, resumable, registry-friendly)
    store.py / records.py                                 every run kept (SQLite or PostgreSQL)
    rematch.py / report*.py / merge.py / workflow.py      what is done with the runs
"""

from seawall.fleet.catalog import CatalogImage, file_catalog, official_catalog
from seawall.fleet.records import FindingRow, ImageResult
from seawall.fleet.runner import RunOptions, RunSummary, run_fleet
from seawall.fleet.store import ResultsStore, RunInfo

__all__ = ["CatalogImage", "FindingRow", "ImageResult", "ResultsStore", "RunInfo", "RunOptions", "RunSummary",
           "file_catalog", "official_catalog", "run_fleet"]
