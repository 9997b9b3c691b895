"""OFD (GB/T 33190-2016), China's fixed-layout format for 电子公文 and e-invoices: a zip holding
`OFD.xml`, which names each document's `Document.xml`; that lists the pages (and the template
pages they draw on) in order, each a `Content.xml` whose `TextCode` elements carry the text.
An OFD is read as one document, never unpacked as a folder. Text is laid out by position, the
template's labels beside the page's values (an invoice's 购买方名称 and the buyer's name), one
line per baseline. A page with no text but an image is a scan: OCR reads its images. XML is
parsed with defusedxml: the file comes from outside.
"""
from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import reasons
from ..limits import Limits
from .base import Extraction, FormatError, meaningful, reads, with_meta_date

_MAX_XML = 64 * 1024 * 1024          # one XML part; a bigger one is a bomb, not a page


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(el, name: str):
    return [c for c in el if _local(c.tag) == name]


def _find(el, *path: str):
    for name in path:
        found = _children(el, name) if el is not None else []
        el = found[0] if found else None
    return el


def _nums(value: str | None, n: int) -> list[float]:
    try:
        out = [float(x) for x in (value or "").replace(",", " ").split()]
    except ValueError:
        out = []
    return (out + [0.0] * n)[:n]


@dataclass
class OfdPage:
    text: str = ""
    images: list[str] = field(default_factory=list)     # zip paths of the images drawn on it


@dataclass
class OfdDocument:
    pages: list[OfdPage]
    info: dict


class _Package:
    """The zip, with paths resolved the way OFD writers use them: relative to the part that
    names them, or absolute from the root, and case-insensitive (Doc_0 vs DOC_0 happens)."""

    def __init__(self, zf: zipfile.ZipFile, limits: Limits):
        self.zf = zf
        self.by_lower = {i.filename.lower(): i for i in zf.infolist()}
        total = sum(i.file_size for i in zf.infolist())
        if total > limits.max_office_bytes:
            raise FormatError(reasons.OFFICE_BOMB)

    def resolve(self, base: str, loc: str | None) -> str | None:
        if not loc:
            return None
        loc = loc.strip().replace("\\", "/")
        path = loc.lstrip("/") if loc.startswith("/") else posixpath.join(posixpath.dirname(base), loc)
        path = posixpath.normpath(path)
        info = self.by_lower.get(path.lower())
        return info.filename if info else None

    def xml(self, name: str | None):
        from defusedxml import ElementTree
        if name is None:
            return None
        info = self.zf.getinfo(name)
        if info.file_size > _MAX_XML:
            raise FormatError(reasons.OFFICE_BOMB)
        try:
            return ElementTree.fromstring(self.zf.read(info))
        except FormatError:
            raise
        except Exception:
            raise FormatError(reasons.OFD_CORRUPT)


@reads("ofd")
def ofd_extraction(path: Path, limits: Limits) -> Extraction:
    """The OFD as the pipeline sees it: a page of text per page, the image-only pages for OCR."""
    doc = read_ofd(path, limits)
    pages = [p.text for p in doc.pages]
    ocr = [i for i, p in enumerate(doc.pages) if not meaningful(p.text) and p.images]
    total = doc.info.get("ofd_pages", len(pages))
    ex = Extraction(pages=pages, page_count=total, info=dict(doc.info), ocr_pages=ocr)
    if not pages or (not any(p.strip() for p in pages) and not ocr):
        ex.note = reasons.OFD_NO_TEXT
    if total > len(pages):
        ex.note = reasons.PAGES_CAPPED.format(fmt="OFD", pages=total, limit=limits.max_pdf_pages)
    return with_meta_date(ex)


def read_ofd(path: Path, limits: Limits) -> OfdDocument:
    """Every page's text (with its templates) in page order, its images, and the facts of
    OFD.xml: creation date, title, author, signatures."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FormatError(reasons.OFD_CORRUPT)
    with zf:
        try:
            return _read(_Package(zf, limits), limits.max_pdf_pages)
        except FormatError:
            raise
        except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError,
                NotImplementedError, RecursionError):
            raise FormatError(reasons.OFD_CORRUPT)


def _read(pkg: _Package, limit: int) -> OfdDocument:
    root_name = pkg.resolve("", "OFD.xml")
    root = pkg.xml(root_name)
    if root is None or _local(root.tag) != "OFD":
        raise FormatError(reasons.OFD_CORRUPT)
    info: dict = {}
    pages: list[OfdPage] = []
    total = 0
    signatures = 0
    for body in _children(root, "DocBody"):
        doc_info = _find(body, "DocInfo")
        if doc_info is not None:
            for tag, key in (("CreationDate", "meta_date"), ("Title", "title"),
                             ("Author", "author"), ("Creator", "creator")):
                el = _find(doc_info, tag)
                if el is not None and (el.text or "").strip() and key not in info:
                    info[key] = el.text.strip()[:200]
        doc_name = pkg.resolve(root_name, (_find(body, "DocRoot").text
                                           if _find(body, "DocRoot") is not None else None))
        if doc_name is None:
            raise FormatError(reasons.OFD_CORRUPT)
        found, count = _document(pkg, doc_name, limit - len(pages))
        pages += found
        total += count
        signs = _find(body, "Signatures")
        if signs is not None and signs.text:
            signatures += _count_signatures(pkg, pkg.resolve(root_name, signs.text))
    if signatures:
        info["signatures"] = signatures
    info["ofd_pages"] = total
    return OfdDocument(pages, info)


def _count_signatures(pkg: _Package, name: str | None) -> int:
    try:
        el = pkg.xml(name)
    except FormatError:
        return 0
    return len(_children(el, "Signature")) if el is not None else 0


def _document(pkg: _Package, doc_name: str, limit: int) -> tuple[list[OfdPage], int]:
    """The first `limit` pages of one document (the rest are never parsed), and how many it
    has."""
    doc = pkg.xml(doc_name)
    common = _find(doc, "CommonData")
    templates = {}
    media: dict[str, str] = {}
    if common is not None:
        for tpl in _children(common, "TemplatePage"):
            templates[tpl.get("ID")] = pkg.resolve(doc_name, tpl.get("BaseLoc"))
        for tag in ("PublicRes", "DocumentRes"):
            for res in _children(common, tag):
                media.update(_media(pkg, pkg.resolve(doc_name, res.text)))
    out = []
    pages_el = _find(doc, "Pages")
    listed = _children(pages_el, "Page") if pages_el is not None else []
    for page in listed[:max(limit, 0)]:
        name = pkg.resolve(doc_name, page.get("BaseLoc"))
        if name is None:
            raise FormatError(reasons.OFD_CORRUPT)
        content = pkg.xml(name)
        items, images = [], []
        for tpl in _children(content, "Template"):
            tpl_name = templates.get(tpl.get("TemplateID"))
            if tpl_name:
                t_items, t_images = _objects(pkg.xml(tpl_name), media)
                items += t_items
                images += t_images
        p_items, p_images = _objects(content, media)
        items += p_items
        images += p_images
        out.append(OfdPage(text=_lines(items), images=images))
    return out, len(listed)


def _media(pkg: _Package, res_name: str | None) -> dict[str, str]:
    """Image resources: ID -> zip path."""
    if res_name is None:
        return {}
    res = pkg.xml(res_name)
    base = res.get("BaseLoc") or ""
    out = {}
    for group in _children(res, "MultiMedias"):
        for mm in _children(group, "MultiMedia"):
            f = _find(mm, "MediaFile")
            if f is None or not f.text:
                continue
            loc = f.text.strip()
            if not loc.startswith("/") and base:
                loc = posixpath.join(base, loc)
            target = pkg.resolve(res_name, loc)
            if target:
                out[mm.get("ID")] = target
    return out


def _objects(content, media: dict[str, str]) -> tuple[list[tuple], list[str]]:
    """(y, x, size, text) of every TextCode, and the images drawn, of a page or template."""
    items, images = [], []
    for el in content.iter():
        name = _local(el.tag)
        if name == "TextObject":
            bx, by, _, _ = _nums(el.get("Boundary"), 4)
            size = _nums(el.get("Size"), 1)[0] or 3.5
            for code in _children(el, "TextCode"):
                if code.text:
                    x, y = _nums(code.get("X"), 1)[0], _nums(code.get("Y"), 1)[0]
                    items.append((by + y, bx + x, size, code.text))
        elif name == "ImageObject":
            target = media.get(el.get("ResourceID"))
            if target:
                images.append(target)
    return items, images


def _lines(items: list[tuple]) -> str:
    """Text objects on one baseline (within half a character) make one line, left to right."""
    rows: list[list[tuple]] = []
    for it in sorted(items, key=lambda t: (t[0], t[1])):
        if rows and abs(it[0] - rows[-1][0][0]) <= max(it[2], rows[-1][0][2]) * 0.5:
            rows[-1].append(it)
        else:
            rows.append([it])
    lines = []
    for row in rows:
        parts = [t for *_, t in sorted(row, key=lambda t: t[1])]
        line = ""
        for p in parts:
            # Latin words need their space back; Chinese never had one
            if line and line[-1].isascii() and line[-1].isalnum() and p[:1].isascii() and p[:1].isalnum():
                line += " "
            line += p
        lines.append(line.strip())
    return "\n".join(line for line in lines if line)


_PARSED: dict[str, OfdDocument] = {}     # the last object read for OCR: parsed once, not per page


def page_images(path: Path, page: int, limits: Limits) -> list:
    """The images of one OFD page, decoded, for OCR. The document is parsed once for all its
    pages (stored objects never change, so the path is the key)."""
    from PIL import Image
    key = str(path)
    doc = _PARSED.get(key)
    if doc is None:
        doc = read_ofd(path, limits)
        _PARSED.clear()
        _PARSED[key] = doc
    if page >= len(doc.pages):
        return []
    out = []
    with zipfile.ZipFile(path) as zf:
        for name in doc.pages[page].images:
            info = zf.getinfo(name)
            if info.file_size > limits.max_office_bytes:
                continue
            img = Image.open(io.BytesIO(zf.read(info)))
            w, h = img.size
            if w * h > limits.max_image_pixels:
                raise ValueError("image too large")
            img.load()
            out.append(img)
    return out
