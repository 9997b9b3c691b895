"""The Chinese full-text index: bigram postings kept by Whoosh, derived from the catalog by its
change sequence.
This module is its public front; the query language (`indexer.querying`: parse a clerk's words,
match them against one text) is public too, for the content rules of the standard."""
from .analysis import normalize, tokens
from .querying import QueryError
from .search import Hit, IndexRebuilding, Results, SearchIndex
from .store import Busy as IndexBusy

__all__ = ["Hit", "IndexBusy", "IndexRebuilding", "QueryError", "Results", "SearchIndex",
           "normalize", "tokens"]
