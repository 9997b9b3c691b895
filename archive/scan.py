"""Walking the inbox: which paths are files a unit meant to hand in. The first folder below the
inbox is the unit. Temporary and system files are skipped; symbolic links and junctions are never
followed, and those that lead outside the inbox are reported. A folder holding a workspace of its
own (someone made one inside the inbox) is never entered: archiving another archive's objects
and catalog would only bury the units' files; the folder itself is reported.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path, PurePosixPath
from stat import S_ISLNK, S_ISREG
from typing import Iterator

from foundation import closest

from . import reasons

NO_UNIT = "未分单位"
# Office lock files, Explorer and macOS litter, downloads in progress: hidden names, lock-file
# prefixes, these names, these suffixes (any case). One expression: it runs for every name.
_IGNORED = re.compile(
    r"(?:\.|~\$|~wrl).*"
    r"|thumbs\.db|desktop\.ini|\$recycle\.bin|system volume information|ehthumbs\.db|icon\r"
    r"|.*\.(?:tmp|temp|part|partial|crdownload|download|swp)", re.IGNORECASE | re.DOTALL)
WORKSPACE_MARKER = "yingjian.toml"      # a folder holding this is a workspace of its own


def is_ignored(name: str) -> bool:
    """Office lock files, Explorer and macOS litter, downloads in progress."""
    return _IGNORED.fullmatch(name) is not None


@dataclass(slots=True)
class Candidate:
    path: str                    # absolute path of the original
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
    unit, sep, _ = rel.partition("/")        # `rel` is '/'-separated and normalised
    return unit if sep else NO_UNIT




def unit_problem(rel: str, units) -> str | None:
    """Why a path is not in a unit's folder (a file at the inbox root, a folder that is no unit
    of the workspace), or None; `units` None accepts any folder."""
    if units is None:
        return None
    folder, sep, _ = rel.partition("/")      # `rel` is '/'-separated and normalised
    if not sep:
        return reasons.OUTSIDE_UNIT_FOLDER
    if folder in units:
        return None
    near = closest(folder, units)
    if near:
        return reasons.UNKNOWN_UNIT_FOLDER.format(folder=folder, closest=near)
    return reasons.UNKNOWN_UNIT_FOLDER_NO_MATCH.format(folder=folder)


def in_nested_workspace(inbox: Path, rel: str) -> bool:
    """Whether a folder on the way from the inbox to `rel` holds a workspace of its own (for a
    single path from an event; the scan decides this once per folder from its listing)."""
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
    path = str(path)
    c = Candidate(path, rel, unit_of(rel), os.path.basename(path))
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        if not _link_inside(path, inbox_real or Path(os.path.realpath(inbox))):
            c.problem = reasons.SYMLINK_OUTSIDE
            return c
        return None                       # a link within the inbox: its target is scanned itself
    if not stat.S_ISREG(st.st_mode):
        return None
    c.stat = st
    return c


def scan(inbox: Path, known: dict[str, tuple] | None = None,
         seen: set[str] | None = None) -> Iterator[Candidate]:
    """Every candidate file below the inbox, in a stable order, without following links.

    What a walk over a share costs is its round trips, so each folder is listed once and each
    file stat-ed once (on Windows the listing carries the stat: none at all). Whether a folder is
    ignored or holds a workspace of its own is decided when it is listed, never again for the
    files below it; a link's target is resolved only for links. Paths stay strings here.

    With `known` (path -> (path, id, size, mtime_ns), the catalog's `present_stats()`), a file with
    the size and mtime the catalog archived is left out: an unchanged archive costs its walk.
    `seen` collects the path of every candidate, left out or not."""
    root = os.path.abspath(inbox)
    inbox_real: list[Path] = []           # resolved the first time a link needs it

    def real() -> Path:
        if not inbox_real:
            inbox_real.append(Path(os.path.realpath(root)))
        return inbox_real[0]

    stack = [(root, "")]                  # (folder, its path below the inbox)
    while stack:
        folder, rel = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            continue
        unit = rel.split("/", 1)[0] if rel else NO_UNIT
        prefix = rel + "/" if rel else ""
        # the folder's findings are kept until its listing is done: a workspace marker anywhere
        # in it voids them. Only what is found (few files, once archived) is sorted.
        found, paths, subdirs, nested = [], [], [], False
        for e in entries:
            name = e.name
            if name == WORKSPACE_MARKER and rel and _is_file(e):
                nested = True
                break
            if is_ignored(name):
                continue
            erel = prefix + name
            try:
                if e.is_dir(follow_symlinks=False):
                    if _JUNCTIONS and not _link_inside(e.path, real()):
                        paths.append(erel)
                        found.append(Candidate(e.path, erel, unit_of(erel), name,
                                               problem=reasons.SYMLINK_OUTSIDE))  # a junction out
                    else:
                        subdirs.append((e.path, erel))
                    continue
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if S_ISREG(st.st_mode):
                paths.append(erel)
                if known is not None:
                    k = known.get(erel)
                    if k is not None and k[2] == st.st_size and k[3] == st.st_mtime_ns:
                        continue
                found.append(Candidate(e.path, erel, unit, name, st))
            elif S_ISLNK(st.st_mode) and not _link_inside(e.path, real()):
                paths.append(erel)
                found.append(Candidate(e.path, erel, unit, name, problem=reasons.SYMLINK_OUTSIDE))
            # a link within the inbox is skipped: its target is scanned itself
        if nested:
            found, paths, subdirs = [Candidate(folder, rel, unit_of(rel), rel.rsplit("/", 1)[-1],
                                               problem=reasons.NESTED_WORKSPACE)], [rel], []
        if seen is not None:
            seen.update(paths)
        found.sort(key=_rel)
        yield from found
        subdirs.sort(reverse=True)
        stack.extend(subdirs)


# Windows junctions look like folders to a listing; only there is a folder's target resolved
_JUNCTIONS = os.name == "nt"


_rel = attrgetter("rel")


def _is_file(e: os.DirEntry) -> bool:
    try:
        return e.is_file()
    except OSError:
        return False


def _link_inside(path: str, root: Path) -> bool:
    return _inside(Path(os.path.realpath(path)), root)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
