"""Whoosh, imported once with its SyntaxWarnings (old escape sequences) silenced. Only the 2.7
API is used, so a maintained fork can replace it."""
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    from whoosh import fields, index, query  # noqa: F401
    from whoosh.analysis import Token, Tokenizer  # noqa: F401
    from whoosh.index import LockError  # noqa: F401
