"""Whoosh, imported once with its SyntaxWarnings (old escape sequences) silenced, and the one
field type of ours. Only the 2.7 API is used, so that a maintained fork can replace it."""
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    from whoosh import fields, formats, index, writing  # noqa: F401
    from whoosh.filedb.filestore import FileStorage  # noqa: F401
    from whoosh.index import LockError  # noqa: F401
    from whoosh.system import pack_uint


_TERMS: dict[str, bytes] = {}
_COUNTS = [pack_uint(n) for n in range(256)]


def _term_bytes(t: str) -> bytes:
    """One bytes object per distinct term, shared by all its postings in the writer's pool."""
    b = _TERMS.get(t)
    if b is None:
        if len(_TERMS) > 200_000:
            _TERMS.clear()
        b = _TERMS[t] = t.encode("utf-8")
    return b


def _count_bytes(n: int) -> bytes:
    return _COUNTS[n] if n < 256 else pack_uint(n)


class Grams(fields.FieldType):
    """Bigrams counted by our own analysis (indexer.analysis), given as {term: count}: Whoosh
    keeps, for each term, the documents and their counts (Frequency), no positions. Taking the
    counts ready-made spares Whoosh's analyzer chain a Python call per character."""

    def __init__(self):
        self.format = formats.Frequency()
        self.analyzer = None
        self.vector = None
        # no length column: Whoosh would look a length up for every posting it writes; the
        # length BM25 needs is stored beside the document instead
        self.scorable = False
        self.stored = False
        self.unique = False

    def index(self, value, **kwargs):
        return ((_term_bytes(t), n, float(n), _count_bytes(n)) for t, n in value.items())

    def process_text(self, qstring, mode="", **kwargs):
        return iter(qstring.split())
