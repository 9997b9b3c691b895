"""File and folder names the reports write: ones Windows accepts, short enough for deep folders."""
from __future__ import annotations

import re

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(name: str, limit: int = 60) -> str:
    """A file or folder name Windows accepts, short enough for deep folders."""
    name = _UNSAFE.sub("_", name).strip(" .") or "_"
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        if dot and len(ext) <= 6:
            name = stem[:limit - len(ext) - 2] + "…." + ext
        else:
            name = name[:limit - 1] + "…"
    return name
