"""PDF through pypdf: the text layer of each page, the page count, the document's own dates and
titles — and which pages need OCR (no text layer or a meaningless one, over an image). A file cut
short, encrypted or damaged is refused with the reason a clerk reads.
"""
from __future__ import annotations

import logging
from pathlib import Path

from .. import reasons
from ..detect import has_trailer
from ..limits import Limits
from .base import Extraction, meaningful, reads

# pypdf logs every oddity of a damaged file; our verdict is the reason we record instead
logging.getLogger("pypdf").setLevel(logging.ERROR)


@reads("pdf")
def read_pdf(path: Path, limits: Limits) -> Extraction:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    truncated = not has_trailer(path, "pdf")
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    return Extraction(problem=reasons.PDF_ENCRYPTED)
            except (NotImplementedError, FileNotDecryptedError, DependencyError):
                return Extraction(problem=reasons.PDF_ENCRYPTED)
        count = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError, AssertionError):
        return Extraction(problem=reasons.TRUNCATED if truncated else reasons.PDF_CORRUPT)
    ex = Extraction(page_count=count)
    failed = 0
    for i, page in enumerate(reader.pages):
        if i >= limits.max_pdf_pages:
            ex.note = reasons.PDF_TOO_MANY_PAGES.format(pages=count, limit=limits.max_pdf_pages)
            break
        try:
            ex.pages.append(page.extract_text() or "")
        except Exception:
            failed += 1
            ex.pages.append("")
        if not meaningful(ex.pages[-1]) and _has_images(page):
            ex.ocr_pages.append(i)
    if count and failed == min(count, limits.max_pdf_pages):
        ex.problem = reasons.PDF_CORRUPT
    if truncated:
        ex.problem = reasons.TRUNCATED
    try:
        meta = reader.metadata
        if meta is not None:
            ex.info["pdf_date"] = str(meta.get("/CreationDate") or meta.get("/ModDate") or "") or None
            for key in ("title", "author", "producer", "creator"):
                value = getattr(meta, key, None)
                if value:
                    ex.info[key] = str(value)[:200]
    except Exception:
        pass
    return ex


def _has_images(page) -> bool:
    try:
        xobjects = page["/Resources"].get_object().get("/XObject")
        if xobjects is None:
            return False
        return any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.get_object().values())
    except Exception:
        return False
