"""Opening zip and 7z files safely. Members are never written to the filesystem by name (they go into
the object store by hash), so a hostile path cannot escape; it is still reported. Names written
by Chinese Windows (GBK, without the UTF-8 flag) are decoded correctly. Bombs are refused from
the sizes the archive declares, and a member can never inflate past its declared size. A 7z
(py7zr) is decompressed once into numbered temporary files under the same limits and then read
exactly like a zip; a RAR has no reader here and is reported as such.
"""
from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import reasons
from .errors import ReadError
from .guard import failure_reason, run_guarded
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


SEVENZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"


def open_members(path: Path, limits: Limits) -> tuple[zipfile.ZipFile, list[Member]]:
    """Open the zip (or 7z) and list its file members, or raise ReadError with the reason it
    is refused. The first value opens a member's bytes with `.open(member.info)`."""
    with open(path, "rb") as f:
        if f.read(6) == SEVENZIP_MAGIC:
            return _open_7z(path, limits)
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
        m = _member(info, decode_name(info), seen)
        if info.flag_bits & _ENCRYPTED_FLAG:
            m.problem = reasons.ZIP_ENCRYPTED
        elif info.file_size > _BIG_MEMBER and \
                info.file_size > limits.max_zip_ratio * max(info.compress_size, 1):
            m.problem = reasons.ZIP_MEMBER_BOMB
        members.append(m)
    return zf, members


# -- 7z ------------------------------------------------------------------------------------------

class _Overflow(Exception):
    """Raised from a member's writer to stop py7zr the moment a limit is passed."""


class _CappedFile:
    """py7zr's writer for one member: a temporary file that stops the whole extraction the
    moment it passes its own cap (its declared size, or its ratio) or the 7z passes its total."""

    def __init__(self, path: Path, cap: int, budget: "_Budget"):
        self.f = open(path, "wb")
        self.cap = cap
        self.budget = budget
        self.written = 0
        self.overflow = False

    def write(self, s) -> int:
        if self.written + len(s) > self.cap:
            self.overflow = True
            raise _Overflow()
        self.budget.spend(len(s))
        self.f.write(s)
        self.written += len(s)
        return len(s)

    def read(self, size=None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.written

    def flush(self) -> None:
        self.f.flush()

    def size(self) -> int:
        return self.written

    def close(self) -> None:
        if not self.f.closed:
            self.f.close()


class _Budget:
    """The 7z's total: what all members together may write."""

    def __init__(self, total: int):
        self.left = total
        self.overflow = False

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            self.overflow = True
            raise _Overflow()


class SevenZip:
    """The members of a 7z, decompressed into a private temporary folder by number, opened
    like a zip's by their ZipInfo; the folder is removed on close."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.files: dict[str, Path] = {}

    def open(self, info: zipfile.ZipInfo):
        return open(self.files[info.filename], "rb")

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _open_7z(path: Path, limits: Limits) -> tuple[SevenZip, list[Member]]:
    """Decompressed in the guarded reader process (py7zr's codecs are native code), into a
    folder this process made and removes if the reader fails."""
    folder = Path(tempfile.mkdtemp(prefix="yingjian-7z-"))
    done = run_guarded(_expand_7z, (path, limits, folder), limits.job_limits())
    if done.failure is not None:
        shutil.rmtree(folder, ignore_errors=True)
        raise ReadError(failure_reason(done, "7z", limits), path)
    refused, box, members = done.value
    if refused is not None:
        shutil.rmtree(folder, ignore_errors=True)
        raise ReadError(refused, path)
    return box, members


def _expand_7z(path: Path, limits: Limits, folder: Path):
    """(reason refused or None, the members' files, the members); never raises ReadError."""
    try:
        return (None, *_read_7z(path, limits, folder))
    except ReadError as e:
        return e.reason, None, None


def _read_7z(path: Path, limits: Limits, folder: Path) -> tuple[SevenZip, list[Member]]:
    try:
        import py7zr
    except ImportError:
        raise ReadError(reasons.NO_READER.format(fmt="7z"), path)
    try:
        archive = py7zr.SevenZipFile(path, mode="r")
    except Exception as e:
        if "password" in str(e).lower() or type(e).__name__ == "PasswordRequired":
            raise ReadError(reasons.SEVENZIP_ENCRYPTED, path)
        raise ReadError(reasons.SEVENZIP_CORRUPT, path)
    packed = max(path.stat().st_size, 1)
    with archive:
        try:
            if archive.needs_password():
                raise ReadError(reasons.SEVENZIP_ENCRYPTED, path)
            infos = [i for i in archive.list() if not i.is_directory]
            entries = [f for f in archive.files if not f.is_directory]    # in list() order
        except ReadError:
            raise
        except Exception:
            raise ReadError(reasons.SEVENZIP_CORRUPT, path)
        if not infos:
            raise ReadError(reasons.ZIP_EMPTY, path)
        if len(entries) != len(infos):
            raise ReadError(reasons.SEVENZIP_CORRUPT, path)
        if len(infos) > limits.max_zip_members:
            raise ReadError(reasons.ZIP_TOO_MANY.format(count=len(infos),
                                                        limit=limits.max_zip_members))
        total = sum(i.uncompressed or 0 for i in infos)
        if total > limits.max_zip_bytes:
            raise ReadError(reasons.ZIP_BOMB.format(size=reasons.human_size(total),
                                                    limit=reasons.human_size(limits.max_zip_bytes)))
        box = SevenZip(folder)
        budget = _Budget(limits.max_zip_bytes)
        # members are extracted under numbers, never their names: py7zr refuses '..' and
        # cleans absolute names, and we look members up by what we gave it
        caps: dict[str, int] = {}
        for n, entry in enumerate(entries):
            declared = entry.uncompressed if isinstance(entry.uncompressed, int) else 0
            packed_size = entry.compressed or packed     # a solid block: the whole 7z at most
            ratio_cap = max(_BIG_MEMBER, limits.max_zip_ratio * packed_size)
            entry._file_info["filename"] = f"yj{n}"
            caps[f"yj{n}"] = min(declared, ratio_cap)
        writers: dict[str, _CappedFile] = {}

        class Factory(py7zr.io.WriterFactory):
            def create(self, filename: str):
                key = PurePosixPath(filename).name
                w = _CappedFile(folder / key, caps.get(key, 0), budget)
                writers[key] = w
                box.files[key] = folder / key
                return w
        try:
            archive.extract(factory=Factory())
        except Exception:
            if not (budget.overflow or any(w.overflow for w in writers.values())):
                box.close()
                raise ReadError(reasons.SEVENZIP_CORRUPT, path)
        finally:
            for w in writers.values():
                w.close()
    if budget.overflow:
        box.close()
        raise ReadError(reasons.ZIP_BOMB.format(size=reasons.human_size(total),
                                                limit=reasons.human_size(limits.max_zip_bytes)))
    stopped = any(w.overflow for w in writers.values())
    members, seen = [], set()
    for n, fi in enumerate(infos):
        key = f"yj{n}"
        info = zipfile.ZipInfo(key, _date_time(fi))
        info.file_size = fi.uncompressed or 0
        info.compress_size = fi.compressed or 0
        m = _member(info, fi.filename, seen)
        w = writers.get(key)
        if w is not None and w.overflow:
            m.problem = reasons.ZIP_MEMBER_BOMB
        elif w is None or (stopped and w.written < info.file_size):
            m.problem = reasons.SEVENZIP_NOT_EXTRACTED if stopped else reasons.SEVENZIP_CORRUPT
        members.append(m)
    return box, members


def _date_time(fi) -> tuple:
    when = getattr(fi, "creationtime", None)
    try:
        if when is not None and when.year >= 1980:
            return (when.year, when.month, when.day, when.hour, when.minute, when.second)
    except AttributeError:
        pass
    return (1980, 1, 1, 0, 0, 0)


def _member(info, name: str, seen: set[str]) -> "Member":
    """The member archived under a safe inner path; two members that sanitise to one path keep
    both (the second gets "(2)"), and an unsafe name is noted with the reason."""
    inner, unsafe = safe_inner(name)
    base, n = inner, 1
    while inner in seen:
        n += 1
        stem, dot, ext = base.rpartition(".")
        inner = f"{stem}({n}).{ext}" if dot and stem else f"{base}({n})"
    seen.add(inner)
    m = Member(info, inner)
    if unsafe:
        m.note = reasons.ZIP_UNSAFE_PATH.format(name=_CONTROL.sub("?", name)[:120])
    return m
