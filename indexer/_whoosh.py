"""Whoosh, imported once with its SyntaxWarnings (old escape sequences) silenced, and the one
field type of ours. Only the 2.7 API is used, so that a maintained fork can replace it."""
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    from whoosh import fields, formats, index, writing  # noqa: F401
    from whoosh.filedb.filestore import FileStorage  # noqa: F401
    from whoosh.index import LockError  # noqa: F401
    from whoosh.reading import SegmentReader  # noqa: F401


_TERMS: dict[str, bytes] = {}
_WEIGHTS = [float(n) for n in range(256)]


def _term_bytes(t: str) -> bytes:
    """One bytes object per distinct term, shared by all its postings in the writer's pool."""
    b = _TERMS.get(t)
    if b is None:
        if len(_TERMS) > 200_000:
            _TERMS.clear()
        b = _TERMS[t] = t.encode("utf-8")
    return b


def _weight(n: int) -> float:
    return _WEIGHTS[n] if n < 256 else float(n)


class Grams(fields.FieldType):
    """Bigrams counted by our own analysis (indexer.analysis), given as {term: count}: Whoosh
    keeps, for each term, the documents and their counts (as the postings' weights), no
    positions. Taking the counts ready-made spares Whoosh's analyzer chain a Python call per
    character."""

    def __init__(self):
        # each posting's weight is the count; Frequency would store it a second time as a value
        self.format = formats.Existence()
        self.analyzer = None
        self.vector = None
        # scorable: Whoosh looks up the document's length for every posting it writes, and a
        # length column makes that a lookup rather than a file-system call
        self.scorable = True
        self.stored = False
        self.unique = False

    def index(self, value, **kwargs):
        return ((_term_bytes(t), n, _weight(n), b"") for t, n in value.items())

    def process_text(self, qstring, mode="", **kwargs):
        return iter(qstring.split())
