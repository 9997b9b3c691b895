"""The Chinese full-text index (Whoosh), derived from the catalog by its change sequence."""

__all__: list[str] = []
