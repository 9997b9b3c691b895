"""Opening zip files safely. Members are never written to the filesystem by name (they go into
the object store by hash), so a hostile path cannot escape; it is still reported. Names written
by Chinese Windows (GBK, without the UTF-8 flag) are decoded correctly. Bombs are refused from
the sizes the archive declares, and a member can never inflate past its declared size.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import reasons
from .errors import ReadError
from .limits import Limits

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
_BIG_MEMBER = 10 * 1024 * 1024


@dataclass
class Member:
    info: zipfile.ZipInfo
    inner: str                  # safe relative path inside the zip, '/'-separated
    problem: str | None = None  # reason the member is refused (bomb, encrypted)
    note: str | None = None     # reason worth knowing (unsafe path, renamed)


def decode_name(info: zipfile.ZipInfo) -> str:
    """The member's real name: Python decodes names without the UTF-8 flag as cp437."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return info.filename


def safe_inner(name: str) -> tuple[str, bool]:
    """A relative path with no '..', no root, no drive, no control characters; and whether the
    original needed changing to get there."""
    n = name.replace("\\", "/")
    unsafe = False
    if re.match(r"^[A-Za-z]:", n):
        n, unsafe = n[2:], True
    if n.startswith("/"):
        unsafe = True
    parts = []
    for p in n.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            unsafe = True
            continue
        clean = _CONTROL.sub("_", p)
        unsafe |= clean != p
        parts.append(clean)
    return "/".join(parts) or "_", unsafe


def open_members(path: Path, limits: Limits) -> tuple[zipfile.ZipFile, list[Member]]:
    """Open the zip and list its file members, or raise ReadError with the reason it is refused."""
    try:
        zf = zipfile.ZipFile(path)
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        raise ReadError(reasons.ZIP_CORRUPT, path)
    if not infos:
        zf.close()
        raise ReadError(reasons.ZIP_EMPTY, path)
    if len(infos) > limits.max_zip_members:
        zf.close()
        raise ReadError(reasons.ZIP_TOO_MANY.format(count=len(infos), limit=limits.max_zip_members))
    total = sum(i.file_size for i in infos)
    if total > limits.max_zip_bytes:
        zf.close()
        raise ReadError(reasons.ZIP_BOMB.format(size=reasons.human_size(total),
                                                limit=reasons.human_size(limits.max_zip_bytes)))
    members, seen = [], set()
    for info in infos:
        name = decode_name(info)
        inner, unsafe = safe_inner(name)
        base, n = inner, 1
        while inner in seen:              # two members that sanitise to one path keep both
            n += 1
            stem, dot, ext = base.rpartition(".")
            inner = f"{stem}({n}).{ext}" if dot and stem else f"{base}({n})"
        seen.add(inner)
        m = Member(info, inner)
        if unsafe:
            m.note = reasons.ZIP_UNSAFE_PATH.format(name=_CONTROL.sub("?", name)[:120])
        if info.flag_bits & _ENCRYPTED_FLAG:
            m.problem = reasons.ZIP_ENCRYPTED
        elif info.file_size > _BIG_MEMBER and \
                info.file_size > limits.max_zip_ratio * max(info.compress_size, 1):
            m.problem = reasons.ZIP_MEMBER_BOMB
        members.append(m)
    return zf, members
