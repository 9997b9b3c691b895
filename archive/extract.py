"""Reading what a stored object says, before OCR: the PDF text layer and page count, image size,
EXIF and orientation, Word and Excel text, plain text — and which pages need OCR (a scanned
page with no text layer or a meaningless one, a photo). Every failure becomes a reason a clerk
understands; nothing here raises for a bad file.
"""
from __future__ import annotations

import logging
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from . import reasons
from .limits import Limits
from .readers import FormatError

PAGE_BREAK = "\f"

# pypdf logs every oddity of a damaged file; our verdict is the reason we record instead
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass
class Extraction:
    pages: list[str] = field(default_factory=list)   # text of each page (one page for non-PDF)
    page_count: int | None = None
    info: dict = field(default_factory=dict)         # width, height, orientation, exif_date ...
    problem: str | None = None                       # why this file cannot serve as evidence
    note: str | None = None                          # worth knowing, not a problem
    ocr_pages: list[int] = field(default_factory=list)  # pages (0-based) whose text OCR must read

    @property
    def text(self) -> str:
        return PAGE_BREAK.join(self.pages)


def extract(path: Path, fmt: str, limits: Limits) -> Extraction:
    """Everything we can read from the object at `path`, whose format `fmt` came from its bytes."""
    size = path.stat().st_size
    if size == 0:
        return Extraction(problem=reasons.EMPTY)
    if size > limits.max_extract_bytes:
        return Extraction(note=reasons.TOO_LARGE_TO_READ.format(
            size=reasons.human_size(size), limit=reasons.human_size(limits.max_extract_bytes)))
    reader = _READERS.get(fmt)
    if reader is None:
        return _unreadable_format(fmt)
    try:
        ex = reader(path, limits)
    except FormatError as e:
        return Extraction(problem=e.reason)
    except MemoryError:
        return Extraction(problem=reasons.OFFICE_BOMB)
    except Exception as e:      # a bad file must never stop the pipeline
        return Extraction(problem=reasons.EXTRACT_FAILED.format(error=type(e).__name__))
    total = sum(len(p) for p in ex.pages)
    if total > limits.max_text_chars:
        ex.pages = _cap_pages(ex.pages, limits.max_text_chars)
        ex.info["text_truncated"] = True
    return ex


def _unreadable_format(fmt: str) -> Extraction:
    """A format with no reader here: archived, with a warning that says so (never plain 正常)."""
    if fmt == "office-encrypted":
        return Extraction(problem=reasons.OFFICE_ENCRYPTED)
    if fmt == "rar":
        return Extraction(problem=reasons.RAR_UNSUPPORTED)
    if fmt in ("zip", "7z"):
        return Extraction()     # expanded into its members by the ingest
    if fmt in ("unknown", "ole"):
        return Extraction(problem=reasons.UNKNOWN_FORMAT)
    return Extraction(note=reasons.NO_READER.format(fmt=fmt.upper()), info={"unread": True})


def _cap_pages(pages: list[str], limit: int) -> list[str]:
    out, left = [], limit
    for p in pages:
        out.append(p[:left])
        left -= len(out[-1])
        if left <= 0:
            break
    return out


# -- PDF -----------------------------------------------------------------------------------

def _pdf(path: Path, limits: Limits) -> Extraction:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    from .detect import has_trailer
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


_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def meaningful(text: str) -> bool:
    """Whether a text layer says something: a few real characters, mostly letters, digits or
    Han. Scanners that add a text layer of garbage (or of nothing) fail this and get OCR."""
    visible = [c for c in text if not c.isspace()]
    if len(visible) < 6:
        return False
    good = sum(1 for c in visible if _MEANINGFUL.match(c))
    return good / len(visible) >= 0.5


def _has_images(page) -> bool:
    try:
        xobjects = page["/Resources"].get_object().get("/XObject")
        if xobjects is None:
            return False
        return any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.get_object().values())
    except Exception:
        return False


# -- images ---------------------------------------------------------------------------------

_EXIF_ORIENTATION = 0x0112
_EXIF_DATETIME = 0x0132
_EXIF_IFD = 0x8769
_EXIF_DATETIME_ORIGINAL = 0x9003


def _image(path: Path, limits: Limits) -> Extraction:
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(path)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return Extraction(problem=reasons.IMAGE_BOMB.format(
                pixels=reasons.PIXELS_UNKNOWN, limit=f"{limits.max_image_pixels:,}"))
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            return Extraction(problem=reasons.IMAGE_CORRUPT)
        with img:
            w, h = img.size
            if w * h > limits.max_image_pixels:
                # refused on the header alone: the pixels are never decoded
                return Extraction(problem=reasons.IMAGE_BOMB.format(
                    pixels=f"{w}×{h}", limit=f"{limits.max_image_pixels:,}"))
            info = {"width": w, "height": h, "image_format": img.format}
            # decode the pixels first: reading EXIF may load the image itself and hide the error
            try:
                if img.format == "JPEG":
                    img.draft("RGB", (max(1, w // 8), max(1, h // 8)))   # decode every block, cheaply
                img.load()
            except (OSError, SyntaxError, ValueError, zlib.error) as e:
                problem = reasons.IMAGE_TRUNCATED if "truncated" in str(e) else reasons.IMAGE_CORRUPT
                return Extraction(info=info, problem=problem)
            except Image.DecompressionBombError:
                return Extraction(info=info, problem=reasons.IMAGE_BOMB.format(
                    pixels=f"{w}×{h}", limit=f"{limits.max_image_pixels:,}"))
            try:
                exif = img.getexif()
                orientation = exif.get(_EXIF_ORIENTATION)
                if orientation:
                    info["orientation"] = int(orientation)
                dt = exif.get_ifd(_EXIF_IFD).get(_EXIF_DATETIME_ORIGINAL) or exif.get(_EXIF_DATETIME)
                if dt:
                    info["exif_date"] = str(dt)
                for tag, key in ((0x010F, "camera_make"), (0x0110, "camera_model")):
                    if exif.get(tag):
                        info[key] = str(exif.get(tag)).strip("\x00 ")[:100]
            except Exception:
                pass
    return Extraction(pages=[""], info=info, ocr_pages=[0] if min(w, h) >= 32 else [])


# -- Office ---------------------------------------------------------------------------------

def _guard_ooxml(path: Path, limits: Limits) -> str | None:
    """Refuse a docx / xlsx whose parts would inflate past the limit, before a library reads them."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "corrupt"
    return "bomb" if total > limits.max_office_bytes else None


def _docx(path: Path, limits: Limits) -> Extraction:
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


def _xlsx(path: Path, limits: Limits) -> Extraction:
    """python-calamine reads a large ledger about ten times faster than openpyxl (see
    bench/formats_bench.py); openpyxl stays for writing reports."""
    guard = _guard_ooxml(path, limits)
    if guard:
        return Extraction(problem=reasons.OFFICE_BOMB if guard == "bomb" else reasons.XLSX_CORRUPT)
    from .readers.office97 import read_ledger
    return read_ledger(path, limits, corrupt=reasons.XLSX_CORRUPT)


_XML_TEXT = re.compile(rb"<(?:a:t|w:t|text:p|text:span)[^>]*>([^<]*)<")


def _ooxml_generic(path: Path, limits: Limits) -> Extraction:
    """pptx and OpenDocument: the text runs of their XML parts, good enough for search."""
    guard = _guard_ooxml(path, limits)
    if guard:
        return Extraction(problem=reasons.OFFICE_BOMB if guard == "bomb" else reasons.DOCX_CORRUPT)
    texts = []
    with zipfile.ZipFile(path) as zf:
        for name in sorted(zf.namelist()):
            if name.endswith(".xml") and ("slides/slide" in name or name == "content.xml"):
                texts.extend(t.decode("utf-8", "replace") for t in _XML_TEXT.findall(zf.read(name)))
    import html
    return Extraction(pages=[html.unescape("\n".join(t for t in texts if t.strip()))])


# -- text -----------------------------------------------------------------------------------

def _text(path: Path, limits: Limits) -> Extraction:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030", "utf-16"):
        try:
            return Extraction(pages=[data.decode(enc)], info={"encoding": enc})
        except UnicodeDecodeError:
            continue
    return Extraction(note=reasons.TEXT_UNDECODABLE, info={"unread": True})


def _heic(path: Path, limits: Limits) -> Extraction:
    from .readers.media import register_heif
    if not register_heif():
        return Extraction(note=reasons.NO_READER.format(fmt="HEIC"), info={"unread": True})
    ex = _image(path, limits)
    if ex.problem == reasons.IMAGE_CORRUPT:
        ex.problem = reasons.HEIC_CORRUPT
    return ex


def _tiff(path: Path, limits: Limits) -> Extraction:
    from .readers.media import read_tiff_scan, tiff_frames
    if tiff_frames(path) > 1:
        return read_tiff_scan(path, limits)
    return _image(path, limits)


def _doc(path: Path, limits: Limits) -> Extraction:
    from .readers.office97 import read_doc
    return _with_meta_date(read_doc(path, limits))


def _xls(path: Path, limits: Limits) -> Extraction:
    from .readers.office97 import read_ledger
    return _with_meta_date(read_ledger(path, limits))


def _ppt(path: Path, limits: Limits) -> Extraction:
    from .readers.office97 import read_ppt
    return _with_meta_date(read_ppt(path, limits))


def _rtf(path: Path, limits: Limits) -> Extraction:
    from .readers.office97 import read_rtf
    return read_rtf(path, limits)


def _ofd(path: Path, limits: Limits) -> Extraction:
    from .readers.ofd import read_ofd
    doc = read_ofd(path, limits)
    pages = [p.text for p in doc.pages]
    ocr = [i for i, p in enumerate(doc.pages) if not meaningful(p.text) and p.images]
    total = doc.info.get("ofd_pages", len(pages))
    ex = Extraction(pages=pages, page_count=total, info=dict(doc.info), ocr_pages=ocr)
    if not pages or (not any(p.strip() for p in pages) and not ocr):
        ex.note = reasons.OFD_NO_TEXT
    if total > len(pages):
        ex.note = reasons.PAGES_CAPPED.format(fmt="OFD", pages=total, limit=limits.max_pdf_pages)
    return _with_meta_date(ex)


def _video(path: Path, limits: Limits) -> Extraction:
    from .readers.media import read_video
    return _with_meta_date(read_video(path, limits))


def _with_meta_date(ex: Extraction) -> Extraction:
    """The format's own date (Office SummaryInformation, OFD CreationDate, a video's
    creation_time) as an ISO date in info['meta_date'], its raw value kept beside it."""
    from .readers.media import meta_date
    raw = ex.info.get("meta_date")
    if raw:
        ex.info["meta_date_raw"] = str(raw)[:40]
        ex.info["meta_date"] = meta_date(raw)
        if ex.info["meta_date"] is None:
            del ex.info["meta_date"]
    return ex


_READERS = {
    "pdf": _pdf,
    "jpeg": _image, "png": _image, "gif": _image, "tiff": _tiff, "bmp": _image, "webp": _image,
    "heic": _heic, "avif": _heic,
    "docx": _docx, "xlsx": _xlsx, "pptx": _ooxml_generic, "odf": _ooxml_generic,
    "doc": _doc, "xls": _xls, "ppt": _ppt, "rtf": _rtf, "ofd": _ofd,
    "mp4": _video, "mov": _video, "avi": _video, "mkv": _video,
    "txt": _text, "csv": _text,
}
