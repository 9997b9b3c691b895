"""Office Open XML and OpenDocument: Word (.docx) through python-docx, with its tables and core
properties; Excel (.xlsx) through python-calamine; PowerPoint (.pptx) and OpenDocument through
the text runs of their XML parts. Each package is refused as a bomb before a library reads it
when its parts would inflate past the limit.
"""
from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

from .. import reasons
from ..limits import Limits
from .base import Extraction, reads
from .office97 import read_ledger


def _guard_ooxml(path: Path, limits: Limits) -> str | None:
    """Refuse a docx / xlsx whose parts would inflate past the limit, before a library reads them."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "corrupt"
    return "bomb" if total > limits.max_office_bytes else None


@reads("docx")
def read_docx(path: Path, limits: Limits) -> Extraction:
    guard = _guard_ooxml(path, limits)
    if guard:
        return Extraction(problem=reasons.OFFICE_BOMB if guard == "bomb" else reasons.DOCX_CORRUPT)
    import docx
    try:
        d = docx.Document(str(path))
    except Exception:
        return Extraction(problem=reasons.DOCX_CORRUPT)
    lines = [p.text for p in d.paragraphs if p.text.strip()]
    for table in d.tables:
        for row in table.rows:
            cells = []
            for cell in row.cells:
                t = cell.text.strip()
                if t and (not cells or cells[-1] != t):     # merged cells repeat their text
                    cells.append(t)
            if cells:
                lines.append("\t".join(cells))
    info = {}
    try:
        cp = d.core_properties
        if cp.created:
            info["doc_date"] = cp.created.isoformat()
        if cp.title:
            info["title"] = cp.title[:200]
    except Exception:
        pass
    return Extraction(pages=["\n".join(lines)], info=info)


@reads("xlsx")
def read_xlsx(path: Path, limits: Limits) -> Extraction:
    """python-calamine reads a large ledger about ten times faster than openpyxl (see
    bench/formats_bench.py); openpyxl stays for writing reports."""
    guard = _guard_ooxml(path, limits)
    if guard:
        return Extraction(problem=reasons.OFFICE_BOMB if guard == "bomb" else reasons.XLSX_CORRUPT)
    return read_ledger(path, limits, corrupt=reasons.XLSX_CORRUPT)


_XML_TEXT = re.compile(rb"<(?:a:t|w:t|text:p|text:span)[^>]*>([^<]*)<")


@reads("pptx", "odf")
def read_slides_and_odf(path: Path, limits: Limits) -> Extraction:
    """pptx and OpenDocument: the text runs of their XML parts, good enough for search."""
    guard = _guard_ooxml(path, limits)
    if guard:
        return Extraction(problem=reasons.OFFICE_BOMB if guard == "bomb" else reasons.DOCX_CORRUPT)
    texts = []
    with zipfile.ZipFile(path) as zf:
        for name in sorted(zf.namelist()):
            if name.endswith(".xml") and ("slides/slide" in name or name == "content.xml"):
                texts.extend(t.decode("utf-8", "replace") for t in _XML_TEXT.findall(zf.read(name)))
    return Extraction(pages=[html.unescape("\n".join(t for t in texts if t.strip()))])
