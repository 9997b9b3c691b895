"""Walking the inbox: which paths are files a unit meant to hand in. The first folder below the
inbox is the unit. Temporary and system files are skipped; symbolic links and junctions are never
followed, and those that lead outside the inbox are reported. A folder holding a workspace of its
own (someone made one inside the inbox) is never entered: archiving another archive's objects
and catalog would only bury the units' files; the folder itself is reported.
"""
from __future__ import annotations

import difflib
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
WORKSPACE_MARKER = "yingjian.toml"      # a folder holding this is a workspace of its own


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


def closest(name: str, choices, n: int = 3) -> list[str]:
    """The names among `choices` nearest to a mistyped `name`: those containing it or contained
    in it first (人武 → 人武部), then the most alike."""
    choices = list(dict.fromkeys(choices))
    near = sorted((c for c in choices if name and (name in c or c in name)),
                  key=lambda c: abs(len(c) - len(name)))
    for c in difflib.get_close_matches(name, choices, n, 0.5):
        if c not in near:
            near.append(c)
    return near[:n]


def unit_problem(rel: str, units) -> str | None:
    """Why a path is not in a unit's folder (a file at the inbox root, a folder that is no unit
    of the workspace), or None; `units` None accepts any folder."""
    if units is None:
        return None
    parts = PurePosixPath(rel).parts
    if len(parts) < 2:
        return reasons.OUTSIDE_UNIT_FOLDER
    if parts[0] in units:
        return None
    near = closest(parts[0], units)
    if near:
        return reasons.UNKNOWN_UNIT_FOLDER.format(folder=parts[0], closest=near)
    return reasons.UNKNOWN_UNIT_FOLDER_NO_MATCH.format(folder=parts[0])


def in_nested_workspace(inbox: Path, rel: str) -> bool:
    """Whether a folder on the way from the inbox to `rel` holds a workspace of its own."""
    folder = Path(inbox)
    for part in PurePosixPath(rel).parts[:-1]:
        folder = folder / part
        if (folder / WORKSPACE_MARKER).is_file():
            return True
    return False


def candidate(inbox: Path, path: Path, inbox_real: Path | None = None) -> Candidate | None:
    """What the scan would say about one path (used by the watcher for single events)."""
    rel = relative(inbox, path)
    if rel is None or any(is_ignored(p) for p in PurePosixPath(rel).parts):
        return None
    if in_nested_workspace(inbox, rel):
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
                    if (p / WORKSPACE_MARKER).is_file():
                        rel = relative(inbox, p)
                        yield Candidate(p, rel, unit_of(rel), e.name,
                                        problem=reasons.NESTED_WORKSPACE)
                    elif _inside(Path(os.path.realpath(p)), inbox_real):
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
