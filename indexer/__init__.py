"""The Chinese full-text index (Whoosh), derived from the catalog by its change sequence. This
module is its only public front; Whoosh stays behind it."""
from ._whoosh import LockError as IndexBusy
from .analysis import normalize, tokens
from .querying import QueryError
from .search import Hit, Results, SearchIndex

__all__ = ["Hit", "IndexBusy", "QueryError", "Results", "SearchIndex", "normalize", "tokens"]
