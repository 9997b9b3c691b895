"""The archive: every version of every file a unit drops into its inbox folder, kept as an
immutable content-addressed object, recorded in a SQLite catalog with where it came from, what
text it holds and when it was made. It knows nothing of search or of standards.
"""
from .catalog import Catalog
from .errors import ArchiveError, CatalogBusy, ReadError, StoreFull
from .ingest import Ingestor, Limits, Outcome, PassSummary
from .ocr import OcrProgress, OcrQueue
from .store import ObjectStore
from .thumbs import Thumbnails

__all__ = [
    "ArchiveError", "Catalog", "CatalogBusy", "Ingestor", "Limits", "ObjectStore",
    "OcrProgress", "OcrQueue", "Outcome", "PassSummary", "ReadError", "StoreFull", "Thumbnails",
]
