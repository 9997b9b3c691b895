"""A standard from the file the office keeps it in: YAML, as written by hand or by
`yingjian standard import`, or the Excel table as the office receives it."""
from __future__ import annotations

from pathlib import Path

from .model import Standard
from .standard import load_yaml
from .xlsx import import_xlsx


def load(path: Path) -> Standard:
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return import_xlsx(path)
    return load_yaml(path)
