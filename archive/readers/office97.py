"""The Office 97–2003 binaries and their WPS twins, and RTF: Word / WPS 文字 (.doc, .wps) through
our piece-table reader, Excel / WPS 表格 (.xls, .et) through python-calamine, PowerPoint / WPS 演示
(.ppt, .dps) through its text atoms, RTF through striprtf in the code page the file declares.
"""
from __future__ import annotations

import re
import struct
from pathlib import Path

from .. import reasons
from ..dates import content_date
from ..limits import Limits
from .base import Extraction, FormatError, reads, with_meta_date
from .word97 import read_word97


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IN_MEMORY = 32 * 1024 * 1024      # smaller containers are read once, not sector by sector


class _Quiet:
    """olefile logs a debug line for every directory entry; at thousands of files a second the
    calls alone were a third of reading a .doc (its level is off by default anyway)."""

    def debug(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        return getattr(_OLEFILE_LOG, name)


_OLEFILE_LOG = None


def _open_ole(path: Path, corrupt: str):
    global _OLEFILE_LOG
    import olefile
    import olefile.olefile as ole_module
    if _OLEFILE_LOG is None:
        _OLEFILE_LOG, ole_module.log = ole_module.log, _Quiet()
    try:
        size = path.stat().st_size
        if size <= _IN_MEMORY:
            data = path.read_bytes()
            if data[:8] != _OLE_MAGIC or len(data) < ole_module.MINIMAL_OLEFILE_SIZE:
                raise FormatError(corrupt)
            return olefile.OleFileIO(data)
        if not olefile.isOleFile(str(path)):
            raise FormatError(corrupt)
        return olefile.OleFileIO(str(path))
    except FormatError:
        raise
    except Exception:
        raise FormatError(corrupt)


def _ole_meta(ole, info: dict) -> None:
    """The creation time and title the Office program wrote into SummaryInformation."""
    try:
        meta = ole.get_metadata()
    except Exception:
        return
    created = getattr(meta, "create_time", None)
    if created is not None and hasattr(created, "isoformat") and created.year >= 1980:
        info["meta_date"] = created.isoformat()
    for key in ("title", "author"):
        value = getattr(meta, key, None)
        if value:
            text = value.decode("gb18030", "replace") if isinstance(value, bytes) else str(value)
            if text.strip():
                info[key] = text.strip()[:200]


# -- Word 97 / WPS 文字 -------------------------------------------------------------------------

@reads("doc")
def read_doc(path: Path, limits: Limits) -> Extraction:
    ole = _open_ole(path, reasons.DOC_CORRUPT)
    with ole:
        try:
            w = read_word97(ole)
        except FormatError:
            raise
        except Exception:
            raise FormatError(reasons.DOC_CORRUPT)
        info = {}
        if content_date([w.body]) is None:      # the 落款 wins anyway: skip a costly parse
            _ole_meta(ole, info)
    text = w.body
    if w.headers:
        info["headers"] = w.headers[:1000]
    return with_meta_date(Extraction(pages=[text], page_count=1, info=info))


# -- Excel 97 / WPS 表格 (and xlsx, when calamine reads it) ------------------------------------

@reads("xls")
def read_xls(path: Path, limits: Limits) -> Extraction:
    """An Excel 97 / WPS 表格 ledger, with the date its SummaryInformation gives."""
    return with_meta_date(read_ledger(path, limits))


def read_ledger(path: Path, limits: Limits, corrupt: str = reasons.XLS_CORRUPT) -> Extraction:
    """Every non-empty cell, a sheet at a time, one row a line, cells separated by tabs."""
    from python_calamine import CalamineWorkbook, PasswordError
    info: dict = {}
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise FormatError(reasons.OFFICE_ENCRYPTED)
    except Exception:
        raise FormatError(corrupt)
    sheets, rows_total, chars = [], 0, 0
    try:
        for name in wb.sheet_names:
            lines = [f"【{name}】"]
            try:
                rows = wb.get_sheet_by_name(name).iter_rows()
                for row in rows:
                    values = [cell_text(v) for v in row]
                    values = [v for v in values if v]
                    if values:
                        lines.append("\t".join(values))
                        rows_total += 1
                        chars += len(lines[-1])
                        if chars > limits.max_text_chars:
                            break
            except PasswordError:
                raise FormatError(reasons.OFFICE_ENCRYPTED)
            except Exception:
                raise FormatError(corrupt)
            sheets.append("\n".join(lines))
            if chars > limits.max_text_chars:
                info["text_truncated"] = True
                break
    finally:
        try:
            wb.close()
        except Exception:
            pass
    if _is_ole(path):
        ole = _open_ole(path, corrupt)
        with ole:
            _ole_meta(ole, info)
    info.update(sheets=len(sheets), rows=rows_total)
    return Extraction(pages=["\n".join(sheets)], page_count=1, info=info)


def _is_ole(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    return str(v).strip()


# -- PowerPoint 97 / WPS 演示 ---------------------------------------------------------------------

_PPT_SLIDE_LIST = 0x0FF0
_PPT_SLIDE_PERSIST = 0x03F3
_PPT_TEXT_CHARS = 0x0FA0
_PPT_TEXT_BYTES = 0x0FA8
_PPT_SLIDE = 0x03EE
_PPT_DOCUMENT = 0x03E8
_PPT_SKIP = {0x03F8, 0x03F0, 0x0FC1, 0x03F2}   # masters, notes, handouts, environment (fonts)


@reads("ppt")
def read_ppt(path: Path, limits: Limits) -> Extraction:
    """One page a slide: the text of its placeholders (the SlideListWithText of the last
    document container, which an incremental save leaves last), then its own text boxes."""
    ole = _open_ole(path, reasons.PPT_CORRUPT)
    with ole:
        if not ole.exists("PowerPoint Document"):
            raise FormatError(reasons.PPT_CORRUPT)
        data = ole.openstream("PowerPoint Document").read()
        info: dict = {}
        _ole_meta(ole, info)
    try:
        slides, boxes = ppt_text(data)
    except (struct.error, IndexError, ValueError, RecursionError):
        raise FormatError(reasons.PPT_CORRUPT)
    pages = []
    for i in range(max(len(slides), len(boxes))):
        parts = (slides[i] if i < len(slides) else []) + \
                (boxes[i] if i < len(boxes) else [])
        seen, keep = set(), []
        for p in parts:
            if p not in seen:
                seen.add(p)
                keep.append(p)
        pages.append("\n".join(keep))
    if not pages:
        raise FormatError(reasons.PPT_CORRUPT)
    ex = Extraction(pages=pages[:limits.max_pdf_pages], page_count=len(pages), info=info)
    if len(pages) > limits.max_pdf_pages:
        ex.note = reasons.PAGES_CAPPED.format(fmt="PPT", pages=len(pages),
                                              limit=limits.max_pdf_pages)
    return with_meta_date(ex)


def _text_atom(rtype: int, body: bytes) -> str:
    if rtype == _PPT_TEXT_CHARS:
        s = body.decode("utf-16-le", "replace")
    else:
        s = body.decode("latin-1")
    return s.replace("\r", "\n").replace("\x0b", "\n").strip()


def ppt_text(data: bytes) -> tuple[list[list[str]], list[list[str]]]:
    """(placeholder text per slide, text-box text per slide container) of a PowerPoint stream."""
    documents: list[list[list[str]]] = []
    boxes: list[list[str]] = []

    def walk(start: int, end: int, ctx: str, depth: int) -> None:
        if depth > 32:
            raise ValueError("too deep")
        pos = start
        while pos + 8 <= end:
            ver_inst, rtype, rlen = struct.unpack_from("<HHI", data, pos)
            body_start, body_end = pos + 8, pos + 8 + rlen
            if body_end > end:
                raise ValueError("record past its container")
            container = (ver_inst & 0xF) == 0xF
            if rtype in _PPT_SKIP:
                pass
            elif rtype == _PPT_DOCUMENT and container:
                documents.append([])
                walk(body_start, body_end, "document", depth + 1)
            elif rtype == _PPT_SLIDE_LIST and container:
                if ver_inst >> 4 == 0 and ctx == "document":
                    walk(body_start, body_end, "slides", depth + 1)
            elif rtype == _PPT_SLIDE and container:
                boxes.append([])
                walk(body_start, body_end, "slide", depth + 1)
            elif container:
                walk(body_start, body_end, ctx, depth + 1)
            elif rtype == _PPT_SLIDE_PERSIST and ctx == "slides" and documents:
                documents[-1].append([])
            elif rtype in (_PPT_TEXT_CHARS, _PPT_TEXT_BYTES):
                text = _text_atom(rtype, data[body_start:body_end])
                if text and ctx == "slides" and documents and documents[-1]:
                    documents[-1][-1].append(text)
                elif text and ctx == "slide" and boxes:
                    boxes[-1].append(text)
            pos = body_end

    walk(0, len(data), "top", 0)
    slides = documents[-1] if documents else []
    return slides, boxes


# -- RTF ------------------------------------------------------------------------------------------

_ANSICPG = re.compile(rb"\\ansicpg(\d+)")


@reads("rtf")
def read_rtf(path: Path, limits: Limits) -> Extraction:
    """striprtf, told the code page the file declares (\\ansicpg936: GBK); \\uN is Unicode."""
    from striprtf.striprtf import rtf_to_text
    raw = path.read_bytes()
    m = _ANSICPG.search(raw[:4096])
    encoding = f"cp{int(m.group(1))}" if m else "cp1252"
    if encoding == "cp936":
        encoding = "gb18030"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1252"
    if not raw.rstrip().endswith(b"}"):
        raise FormatError(reasons.TRUNCATED)
    try:
        text = rtf_to_text(raw.decode("latin-1"), encoding=encoding, errors="replace")
    except Exception:
        raise FormatError(reasons.RTF_CORRUPT)
    text = re.sub(r"[ \t]+\n", "\n", text).strip()
    return Extraction(pages=[text], page_count=1, info={"encoding": encoding})

