"""Walking the inbox: which paths are files a unit meant to hand in. The first folder below the
inbox is the unit. Temporary and system files are skipped; symbolic links and junctions are never
followed, and those that lead outside the inbox are reported.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterator

from . import reasons

NO_UNIT = "未分单位"
_IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store", "$recycle.bin",
                  "system volume information", "ehthumbs.db", "icon\r"}
_IGNORED_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp")
_IGNORED_PREFIXES = ("~$", ".~lock", "._", "~wrl")


def is_ignored(name: str) -> bool:
    """Office lock files, Explorer and macOS litter, downloads in progress."""
    n = name.lower()
    return (n in _IGNORED_NAMES or n.startswith(_IGNORED_PREFIXES)
            or n.endswith(_IGNORED_SUFFIXES) or n.startswith("."))


@dataclass
class Candidate:
    path: Path                   # absolute path of the original
    rel: str                     # path below the inbox, '/'-separated: the source's identity
    unit: str
    name: str
    stat: os.stat_result | None = None
    problem: str | None = None   # reason it will not be read (a link out of the inbox...)


def relative(inbox: Path, path: Path) -> str | None:
    """`path` below `inbox` as a '/'-separated string, or None if it is not below it."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(inbox))
    except ValueError:
        return None
    s = rel.as_posix()
    return None if s in ("", ".") else s


def unit_of(rel: str) -> str:
    parts = PurePosixPath(rel).parts
    return parts[0] if len(parts) > 1 else NO_UNIT


def candidate(inbox: Path, path: Path, inbox_real: Path | None = None) -> Candidate | None:
    """What the scan would say about one path (used by the watcher for single events)."""
    rel = relative(inbox, path)
    if rel is None or any(is_ignored(p) for p in PurePosixPath(rel).parts):
        return None
    c = Candidate(path, rel, unit_of(rel), path.name)
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        real = inbox_real or Path(os.path.realpath(inbox))
        target = Path(os.path.realpath(path))
        if not _inside(target, real):
            c.problem = reasons.SYMLINK_OUTSIDE
            return c
        return None                       # a link within the inbox: its target is scanned itself
    if not stat.S_ISREG(st.st_mode):
        return None
    c.stat = st
    return c


def scan(inbox: Path) -> Iterator[Candidate]:
    """Every candidate file below the inbox, in a stable order, without following links."""
    inbox = Path(inbox)
    inbox_real = Path(os.path.realpath(inbox))
    stack = [inbox]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for e in entries:
            if is_ignored(e.name):
                continue
            p = Path(e.path)
            try:
                if e.is_dir(follow_symlinks=False):
                    if _inside(Path(os.path.realpath(p)), inbox_real):
                        subdirs.append(p)
                    else:                      # a Windows junction out of the inbox
                        rel = relative(inbox, p)
                        yield Candidate(p, rel, unit_of(rel), e.name, problem=reasons.SYMLINK_OUTSIDE)
                    continue
            except OSError:
                continue
            c = candidate(inbox, p, inbox_real)
            if c is not None:
                yield c
        stack.extend(reversed(subdirs))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
