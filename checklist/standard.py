"""Reading a standard file (YAML). The bundled default is an example 双拥模范城 standard."""
from __future__ import annotations

from pathlib import Path

import yaml

DEFAULT_STANDARD = Path(__file__).with_name("data") / "default_standard.yaml"


def _walk(items):
    for item in items or []:
        yield item
        yield from _walk(item.get("children"))


def standard_units(path: Path) -> list[str]:
    """The responsible units named anywhere in the standard, in order of first appearance."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    units: dict[str, None] = {}
    for item in _walk(data.get("items")):
        for u in item.get("units") or []:
            units.setdefault(str(u), None)
    return list(units)
