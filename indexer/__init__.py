"""The Chinese full-text index: bigram postings kept by Whoosh, derived from the catalog by its
change sequence.
This module is its only public front."""
from .analysis import normalize, tokens
from .querying import QueryError
from .search import Hit, IndexRebuilding, Results, SearchIndex
from .store import Busy as IndexBusy

__all__ = ["Hit", "IndexBusy", "IndexRebuilding", "QueryError", "Results", "SearchIndex",
           "normalize", "tokens"]
