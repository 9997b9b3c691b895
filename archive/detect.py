"""What a file is, decided from its bytes rather than its name: units rename files, phones save
HEIC as .jpg, and a scanner's .pdf may really be a JPEG. The extension only breaks ties between
formats that look the same inside (a CSV and a text file).
"""
from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

KINDS = ("document", "photo", "ledger", "video", "other")


@dataclass(frozen=True)
class Format:
    name: str   # pdf, jpeg, png, docx, xlsx, doc, xls, zip, txt, csv, mp4 ...
    kind: str   # one of KINDS


_MAGIC = [
    (b"%PDF", "pdf", "document"),
    (b"\xff\xd8\xff", "jpeg", "photo"),
    (b"\x89PNG\r\n\x1a\n", "png", "photo"),
    (b"GIF87a", "gif", "photo"),
    (b"GIF89a", "gif", "photo"),
    (b"II*\x00", "tiff", "photo"),
    (b"MM\x00*", "tiff", "photo"),
    (b"BM", "bmp", "photo"),
    (b"\x1aE\xdf\xa3", "mkv", "video"),
    (b"{\\rtf", "rtf", "document"),
    (b"7z\xbc\xaf\x27\x1c", "7z", "other"),
    (b"Rar!\x1a\x07", "rar", "other"),
]
_FTYP = {
    b"heic": ("heic", "photo"), b"heix": ("heic", "photo"), b"mif1": ("heic", "photo"),
    b"msf1": ("heic", "photo"), b"avif": ("avif", "photo"), b"qt  ": ("mov", "video"),
    b"hevc": ("heic", "photo"), b"hevx": ("heic", "photo"), b"heim": ("heic", "photo"),
    b"heis": ("heic", "photo"),
}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TEXT_EXT = {".csv": ("csv", "ledger"), ".tsv": ("csv", "ledger")}
_LEDGER_EXT = {".xls", ".et"}


def suffix(name: str) -> str:
    """The suffix of a file name as pathlib gives it (".txt"; "" for ".bashrc" or "a."),
    without building a path: this is asked for every file."""
    name = name.rsplit("/", 1)[-1]
    if os.sep != "/":
        name = name.rsplit(os.sep, 1)[-1]
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


def detect(path: Path, name: str | None = None, head: bytes | None = None) -> Format:
    """Classify the file at `path`; `name` (the original file name) only breaks ties. `head`
    is the file's first 4 KB, if the caller has read them already."""
    if head is None:
        with open(path, "rb") as f:
            head = f.read(4096)
    ext = suffix(name or os.path.basename(path)).lower()
    if not head:
        return Format("empty", "other")
    for magic, fmt, kind in _MAGIC:
        if head.startswith(magic):
            if fmt == "tiff":
                return _detect_tiff(path)
            return Format(fmt, kind)
    if b"%PDF-" in head[:1024]:          # some scanners put junk before the header
        return Format("pdf", "document")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return Format(*_FTYP.get(brand, ("mp4", "video")))
    if head[:4] == b"RIFF":
        if head[8:12] == b"WEBP":
            return Format("webp", "photo")
        if head[8:12] == b"AVI ":
            return Format("avi", "video")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _detect_zip(path, ext)
    if head.startswith(_OLE):
        return _detect_ole(path, ext)
    if _looks_like_text(head):
        return Format(*_TEXT_EXT.get(ext, ("txt", "document")))
    return Format("unknown", "other")


_OOXML_EXT = {".docx": ("docx", "document"), ".xlsx": ("xlsx", "ledger"),
              ".pptx": ("pptx", "document")}


def _detect_zip(path: Path, ext: str) -> Format:
    """Office Open XML files are zips; tell them apart by the parts they hold. A damaged one
    keeps the format its name claims, so that the clerk hears "Word 文件已损坏"."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        if ext == ".ofd":
            return Format("ofd", "document")
        return Format(*_OOXML_EXT.get(ext, ("zip", "other")))
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return Format("docx", "document")
        if "xl/workbook.xml" in names:
            return Format("xlsx", "ledger")
        if "ppt/presentation.xml" in names:
            return Format("pptx", "document")
    if "OFD.xml" in names or "ofd.xml" in {n.lower() for n in names if "/" not in n}:
        return Format("ofd", "document")        # one document, never a folder of parts
    if "mimetype" in names and "content.xml" in names:
        return Format("odf", "document")
    if ext in _OOXML_EXT and not any("/" in n for n in names if not n.startswith("__MACOSX")):
        return Format(*_OOXML_EXT[ext])
    return Format("zip", "other")


_PPT_EXT = {".ppt", ".dps", ".pps", ".pot"}


def _detect_ole(path: Path, ext: str) -> Format:
    """Old Office / WPS files share one container; the streams at its root tell what is inside
    (WPS 文字 .wps and 表格 .et write the Word 97 and Excel 97 layouts). A damaged container
    keeps the format its name claims, so that its reader names the damage."""
    roots = _ole_roots(path)
    if roots is None and ext in {".doc", ".wps", ".dot", ".wpt"} | _LEDGER_EXT | _PPT_EXT:
        roots = set()                   # damaged: the name decides, below
    if roots is None:
        with open(path, "rb") as f:
            blob = f.read(8 * 1024 * 1024)
        roots = {n for n in ("EncryptedPackage", "WordDocument", "Workbook", "Book",
                             "PowerPoint Document") if n.encode("utf-16-le") in blob}
    if "EncryptedPackage" in roots:
        return Format("office-encrypted", "document")
    if "WordDocument" in roots:
        return Format("doc", "document")
    if "Workbook" in roots or "Book" in roots:
        return Format("xls", "ledger")
    if "PowerPoint Document" in roots:
        return Format("ppt", "document")
    if ext in (".doc", ".wps", ".dot", ".wpt"):
        return Format("doc", "document")
    if ext in _LEDGER_EXT:
        return Format("xls", "ledger")
    if ext in _PPT_EXT:
        return Format("ppt", "document")
    return Format("ole", "other")


def _ole_roots(path: Path) -> set[str] | None:
    try:
        import olefile
        with olefile.OleFileIO(str(path)) as ole:
            return {e[0] for e in ole.listdir(streams=True, storages=False) if len(e) == 1}
    except Exception:
        return None


def _detect_tiff(path: Path) -> Format:
    """A TIFF of several pages is a scan, so a document; a single frame is a picture."""
    return Format("tiff", "document" if tiff_frames(path) > 1 else "photo")


def tiff_frames(path: Path, upto: int = 2) -> int:
    """How many pages a TIFF holds, counted up to `upto` (1 when it cannot tell): frames are
    reached one after the other, never by walking the whole file for its count."""
    from PIL import Image
    try:
        with Image.open(path) as img:
            return count_frames(img, upto)
    except Exception:
        return 1


def count_frames(img, upto: int) -> int:
    n = 1
    while n < upto:
        try:
            img.seek(n)
        except EOFError:
            break
        n += 1
    img.seek(0)
    return n


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for enc in ("utf-8", "gb18030"):
        try:
            # the 4 KB cut may split a multi-byte character: allow a short tail
            head.decode(enc) if len(head) < 4096 else head[:-4].decode(enc, errors="strict")
            return True
        except UnicodeDecodeError:
            continue
    return False


TRAILER_FORMATS = ("pdf", "jpeg", "png", "zip", "docx", "xlsx", "pptx", "ofd")


def has_trailer(path: Path | str, fmt: str) -> bool:
    """True when the end marker of a format that has one is present: a half-copied file lacks it."""
    if fmt not in TRAILER_FORMATS:
        return True
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        f.seek(max(0, size - 70 * 1024))
        tail = f.read()
    if fmt == "pdf":
        return b"%%EOF" in tail[-2048:]
    if fmt == "jpeg":
        return b"\xff\xd9" in tail[-4096:]
    if fmt == "png":
        return b"IEND" in tail[-64:]
    return b"PK\x05\x06" in tail            # zip family: end of central directory
