"""The bound volumes: one PDF per first-level item (and one for everything), as the assessment
group reads them on paper. A cover (city, item, period, date), a table of contents with page
numbers, then each confirmed evidence file that counts, in the standard's order under its
material's heading: a PDF's pages as they are, a photo or a scan as upright pages, Word, Excel,
OFD and text files as their extracted text typeset in the CJK font, a video as its poster frame
with its title and length. Every page is numbered; the bookmarks open each item and material.
A file that cannot go in takes a page of its own saying why: nothing is dropped in silence.

Made in two passes: `plan` counts every piece's pages (a PDF's page count, a TIFF's frames, the
typeset text's lines), so the contents know every page number before anything is drawn; then
`write` draws the generated pages with reportlab, a piece at a time, and copies them and the
source PDFs' pages one by one into a PdfStream (pdfstream.py), so memory holds one piece, not
the volume.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..messages import VOLUME as W, VOLUME_REASONS
from . import ReportData, leaves as _leaves
from .pdfstream import Mark, PdfStream
from archive.thumbs import FONT_CANDIDATES
from archive.readers.media import register_heif
from archive.readers.media import poster_frame
from .names import safe_name

PAGE_W, PAGE_H = 595.28, 841.89          # A4 in points
MARGIN = 56
BODY = 11                                # body text size; lines are LEAD apart
LEAD = 17
HEAD_H = 58                              # the material heading at the top of a piece's first page
CONTENTS_LINES = 40
FRAMES_PER_CANVAS = 20                   # a long TIFF is drawn in batches of this many pages
MAX_IMAGE_SIDE = 2000                    # pixels: about 240 dpi on A4, enough to read a scan
PHOTO = ("jpeg", "png", "gif", "bmp", "webp", "heic", "avif", "tiff")
VIDEO = ("mp4", "mov", "avi", "mkv", "3gp")
NUMBER_FONT = "Helvetica"


@dataclass
class Piece:
    """One evidence file in a volume: how it is laid in, its pages, where it starts."""
    ev: dict
    material: dict
    name: str
    how: str                     # pdf | image | text | video | left_out
    pages: int = 1
    reason: str | None = None    # a VOLUME_REASONS code, for left_out
    first: int = 0               # its first page, 1-based


@dataclass
class Volume:
    title: str                   # the item ("1 组织领导坚强有力") or everything
    tops: list[dict]
    sections: list[tuple[dict, dict, dict, list[Piece]]] = field(default_factory=list)
    contents: list[tuple[str, str, int | None]] = field(default_factory=list)   # (level, text, page)
    contents_pages: int = 1

    @property
    def pieces(self) -> list[Piece]:
        return [p for *_, ps in self.sections for p in ps]

    @property
    def pages(self) -> int:
        return 1 + self.contents_pages + sum(p.pages for p in self.pieces)


# -- the font ----------------------------------------------------------------------------------

_FONT = None


def cjk_font(path: str | Path | None = None) -> str:
    """The registered name of the CJK font: the one configured, else the one the thumbnails
    use (WenQuanYi Micro Hei on Debian, Microsoft YaHei on Windows), embedded as a subset;
    reportlab's built-in STSong-Light (not embedded) when none is installed."""
    global _FONT
    if _FONT is None:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        for p in [path or "", *FONT_CANDIDATES]:
            if p and Path(p).is_file():
                try:
                    pdfmetrics.registerFont(TTFont("YJCJK", str(p), subfontIndex=0))
                    _FONT = "YJCJK"
                    break
                except Exception:
                    continue
        else:
            from reportlab.pdfbase.cidfonts import UnicodeCIDFont
            pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
            _FONT = "STSong-Light"
    return _FONT


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of at most `width` points: Chinese breaks between any two characters; a form feed
    (a page break in the extracted text) is kept as a line of its own."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    widths: dict[str, float] = {}
    out = []
    for para in text.replace("\r\n", "\n").replace("\f", "\n\f\n").split("\n"):
        if para == "\f":
            out.append("\f")
            continue
        line, w = "", 0.0
        for ch in para.replace("\t", "    "):
            cw = widths.get(ch)
            if cw is None:
                cw = widths[ch] = stringWidth(ch, font, size)
            if w + cw > width and line:
                out.append(line)
                line, w = "", 0.0
            line += ch
            w += cw
        out.append(line)
    return out


def text_pages(lines: list[str]) -> list[list[str]]:
    """The typeset text's pages: the first below the heading, a form feed starts a new page."""
    first = int((PAGE_H - 2 * MARGIN - HEAD_H) // LEAD)
    rest = int((PAGE_H - 2 * MARGIN - 20) // LEAD)
    pages: list[list[str]] = [[]]
    for line in lines:
        room = first if len(pages) == 1 else rest
        if line == "\f":
            if pages[-1]:
                pages.append([])
            continue
        if len(pages[-1]) >= room:
            pages.append([])
        pages[-1].append(line)
    while len(pages) > 1 and not any(s.strip() for s in pages[-1]):
        pages.pop()
    return pages


# -- pass one: what goes in, and on which page ------------------------------------------------

def plan(data: ReportData, tops: list[dict], title: str) -> Volume:
    """The volume of these first-level items: every confirmed evidence file that counts, in the
    standard's order (by date inside a material), its pages counted, the contents laid out."""
    formats = {r["id"]: r for r in data.files}
    vol = Volume(title=title, tops=tops)
    font = cjk_font(data.font)
    for top in tops:
        for leaf in _leaves([top]):
            for m in leaf["materials"]:
                evs = sorted((e for e in m["evidence"] if e["confirmed"] and e["counts"]),
                             key=lambda e: (e.get("date") or "9999", e["path"]))
                vol.sections.append((top, leaf, m, [_piece(data, formats.get(e["id"], {}), e, m, font)
                                                    for e in evs]))
    lines = _contents_lines(vol)
    vol.contents_pages = max(1, math.ceil(len(lines) / CONTENTS_LINES))
    page = 2 + vol.contents_pages
    for p in vol.pieces:
        p.first = page
        page += p.pages
    vol.contents = _contents_lines(vol)
    return vol


def _piece(data: ReportData, rec: dict, ev: dict, m: dict, font: str) -> Piece:
    name = PurePosixPath(ev["path"]).name
    fmt = rec.get("format") or ""
    piece = Piece(ev=ev, material=m, name=name, how="left_out")
    src = data.object_path(ev["id"]) if data.object_path else None
    if src is None or not Path(src).is_file():
        piece.reason = "object_missing"
    elif fmt == "pdf":
        piece.how, piece.pages, piece.reason = "pdf", *_pdf_pages(src)
    elif fmt in PHOTO or rec.get("kind") == "photo":
        piece.how, piece.pages, piece.reason = "image", *_image_frames(src)
    elif fmt in VIDEO or rec.get("kind") == "video":
        piece.how = "video"
    else:
        text = data.text_of(ev["id"]) or ""
        if text.strip():
            piece.how = "text"
            piece.pages = len(text_pages(wrap(text, font, BODY, PAGE_W - 2 * MARGIN)))
        else:
            piece.reason = "no_text"
    if piece.reason:
        piece.how, piece.pages = "left_out", 1
    return piece


def _pdf_pages(src: Path) -> tuple[int, str | None]:
    from pypdf import PdfReader
    try:
        with open(src, "rb") as fh:
            r = PdfReader(fh)
            if r.is_encrypted:
                return 1, "pdf_encrypted"
            n = len(r.pages)
            if n:
                r.pages[0].get("/Contents")     # the page tree really opens
            return (n, None) if n else (1, "pdf_empty")
    except Exception:
        return 1, "pdf_unreadable"


def _image_frames(src: Path) -> tuple[int, str | None]:
    from PIL import Image

    register_heif()
    try:
        with Image.open(src) as img:
            return max(1, int(getattr(img, "n_frames", 1))), None
    except Exception:
        return 1, "image_unreadable"


def _contents_lines(vol: Volume) -> list[tuple[str, str, int | None]]:
    out: list[tuple[str, str, int | None]] = []
    seen_top, seen_leaf = None, None
    for top, leaf, m, pieces in vol.sections:
        first = pieces[0].first if pieces else None
        if top["code"] != seen_top:
            seen_top = top["code"]
            tp = next((p.first for t, _, _, ps in vol.sections if t["code"] == top["code"] for p in ps), None)
            out.append(("top", f"{top['code']} {top['title']}", tp))
        if leaf["code"] != seen_leaf:
            seen_leaf = leaf["code"]
            lp = next((p.first for _, lf, _, ps in vol.sections if lf["code"] == leaf["code"] for p in ps), None)
            out.append(("leaf", f"{leaf['code']} {leaf['title']}", lp))
        out.append(("material", f"{m['id']} {m['title']}" + ("" if pieces else "  " + W["none"]), first))
        for p in pieces:
            label = f"{p.ev.get('date') or W['no_date']}  {p.ev.get('unit') or ''}  {p.name}"
            if p.how == "left_out":
                label += "  " + W["left_out"].format(page=p.first)
            out.append(("file", label, p.first))
    return out


# -- pass two: drawing and copying ---------------------------------------------------------------

def write_volume(data: ReportData, vol: Volume, path: Path) -> Path:
    """Write the planned volume to `path` (through a temporary file: a half-written volume is
    never left under the real name)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fp:
        out = PdfStream(fp)
        _copy(out, _front(data, vol))
        for p in vol.pieces:
            if out.pages + 1 != p.first:
                raise AssertionError(f"page plan out of step at {p.name}: {out.pages + 1} != {p.first}")
            try:
                _write_piece(data, p, out)
            except Exception:
                # the file broke while it was laid in (its page count was read, a page was
                # not): its remaining pages say so, and every page number stays right
                done = out.pages - (p.first - 1)
                gone = Piece(ev=p.ev, material=p.material, name=p.name, how="left_out",
                             reason="broke_midway", first=p.first + done)
                for _ in range(p.pages - done):
                    _copy(out, _generated_piece(data, gone))
                    gone.first += 1
        out.finish(_marks(vol), f"{data.office} {W['title']} {vol.title}")
    tmp.replace(path)
    return path


def _write_piece(data: ReportData, p: Piece, out: PdfStream) -> None:
    if p.how == "pdf":
        from pypdf import PdfReader
        with open(data.object_path(p.ev["id"]), "rb") as fh:
            out.copy_pages(PdfReader(fh), number_from=p.first)
    elif p.how == "image":
        for batch in _image_pages(data, p):
            _copy(out, batch)
    else:
        _copy(out, _generated_piece(data, p))


def _copy(out: PdfStream, pdf: bytes) -> None:
    from pypdf import PdfReader
    out.copy_pages(PdfReader(io.BytesIO(pdf)))


def _marks(vol: Volume) -> list[Mark]:
    """Bookmarks: item > numbered item > material, each at its first page (items and numbered
    items with no evidence are left out: there is no page to open)."""
    tops: dict[str, Mark] = {}
    leaves: dict[str, Mark] = {}
    out: list[Mark] = []
    for top, leaf, m, pieces in vol.sections:
        if not pieces:
            continue
        page = pieces[0].first - 1
        if top["code"] not in tops:
            tops[top["code"]] = Mark(f"{top['code']} {top['title']}", page)
            out.append(tops[top["code"]])
        if leaf["code"] not in leaves:
            leaves[leaf["code"]] = Mark(f"{leaf['code']} {leaf['title']}", page)
            tops[top["code"]].children.append(leaves[leaf["code"]])
        leaves[leaf["code"]].children.append(Mark(f"{m['id']} {m['title']}", page))
    return out


class _Pages:
    """A reportlab canvas on A4 that numbers each page it finishes, from `first`."""

    def __init__(self, first: int):
        from reportlab.pdfgen import canvas
        self.buf = io.BytesIO()
        self.c = canvas.Canvas(self.buf, pagesize=(PAGE_W, PAGE_H), invariant=1)
        self.font = cjk_font()
        self.number = first

    def text(self, x, y, s, size=BODY, centred=False, right=False, grey=False):
        self.c.setFillGray(0.35 if grey else 0)
        self.c.setFont(self.font, size)
        (self.c.drawCentredString if centred else self.c.drawRightString if right
         else self.c.drawString)(x, y, s)

    def fit(self, s: str, size: float, width: float) -> str:
        from reportlab.pdfbase.pdfmetrics import stringWidth
        if stringWidth(s, self.font, size) <= width:
            return s
        while s and stringWidth(s + "…", self.font, size) > width:
            s = s[:-1]
        return s + "…"

    def end_page(self):
        self.c.setFillGray(0)
        self.c.setFont(NUMBER_FONT, 9)
        self.c.drawCentredString(PAGE_W / 2, 14, f"- {self.number} -")
        self.c.showPage()
        self.number += 1

    def done(self) -> bytes:
        self.c.save()
        return self.buf.getvalue()

    def heading(self, p: Piece):
        """The material's heading and the file's name, unit and date, at the top of a page."""
        top = PAGE_H - MARGIN
        self.text(MARGIN, top - 14, self.fit(f"{p.material['id']} {p.material['title']}", 14,
                                             PAGE_W - 2 * MARGIN), 14)
        line = W["file_line"].format(name=p.name, unit=p.ev.get("unit") or "",
                                     date=p.ev.get("date") or W["no_date"])
        self.text(MARGIN, top - 34, self.fit(line, 10, PAGE_W - 2 * MARGIN), 10, grey=True)
        self.c.setLineWidth(0.6)
        self.c.line(MARGIN, top - 44, PAGE_W - MARGIN, top - 44)

    def running(self, p: Piece):
        s = W["continued"].format(material=f"{p.material['id']} {p.material['title']}", name=p.name)
        self.text(MARGIN, PAGE_H - MARGIN + 14, self.fit(s, 8, PAGE_W - 2 * MARGIN), 8, grey=True)


def _front(data: ReportData, vol: Volume) -> bytes:
    """The cover and the contents."""
    c = data.check
    pg = _Pages(1)
    pg.text(PAGE_W / 2, PAGE_H * 0.70, pg.fit(data.office, 26, PAGE_W - 2 * MARGIN), 26, centred=True)
    pg.text(PAGE_W / 2, PAGE_H * 0.70 - 50, W["title"], 30, centred=True)
    pg.text(PAGE_W / 2, PAGE_H * 0.70 - 110, pg.fit(vol.title, 18, PAGE_W - 2 * MARGIN), 18, centred=True)
    y = PAGE_H * 0.30
    for s in (W["standard"].format(title=c.get("title", "")),
              W["period"].format(start=c["period"]["start"], end=c["period"]["end"]),
              W["made"].format(date=data.made_at),
              W["count"].format(files=len(vol.pieces), pages=vol.pages)):
        pg.text(PAGE_W / 2, y, pg.fit(s, 12, PAGE_W - 2 * MARGIN), 12, centred=True)
        y -= 24
    pg.end_page()
    indent = {"top": 0, "leaf": 14, "material": 28, "file": 42}
    size = {"top": 12, "leaf": 11, "material": 10.5, "file": 9.5}
    for start in range(0, max(1, len(vol.contents)), CONTENTS_LINES):
        pg.text(PAGE_W / 2, PAGE_H - MARGIN - 10, W["contents"], 16, centred=True)
        y = PAGE_H - MARGIN - 44
        for level, label, page in vol.contents[start:start + CONTENTS_LINES]:
            x = MARGIN + indent[level]
            num = str(page) if page else ""
            pg.text(x, y, pg.fit(label, size[level], PAGE_W - MARGIN - 40 - x), size[level],
                    grey=level == "file")
            if num:
                pg.c.setFont(NUMBER_FONT, size[level])
                pg.c.drawRightString(PAGE_W - MARGIN, y, num)
            y -= 17
        pg.end_page()
    return pg.done()


def _generated_piece(data: ReportData, p: Piece) -> bytes:
    pg = _Pages(p.first)
    pg.heading(p)
    top = PAGE_H - MARGIN - HEAD_H
    if p.how == "text":
        pages = text_pages(wrap(data.text_of(p.ev["id"]) or "", pg.font, BODY, PAGE_W - 2 * MARGIN))
        for k, lines in enumerate(pages):
            if k:
                pg.running(p)
            y = (top if k == 0 else PAGE_H - MARGIN - 20) - BODY
            for line in lines:
                pg.text(MARGIN, y, line)
                y -= LEAD
            pg.end_page()
    elif p.how == "video":
        _video_page(data, p, pg, top)
        pg.end_page()
    else:
        pg.text(MARGIN, top - 30, W["not_included"], 16)
        pg.text(MARGIN, top - 60, W["reason"].format(reason=VOLUME_REASONS.get(p.reason, p.reason)), 12)
        pg.text(MARGIN, top - 84, W["see_archive"], 11, grey=True)
        pg.end_page()
    return pg.done()


def _draw_image(pg: _Pages, img, top: float) -> None:
    """A Pillow image, fitted into the page below `top`, as a JPEG (no larger than needed)."""
    from reportlab.lib.utils import ImageReader
    img = img.convert("L" if img.mode in ("1", "L", "LA", "I;16", "I") else "RGB")
    img.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    buf.seek(0)
    box_w, box_h = PAGE_W - 2 * MARGIN, top - MARGIN - 10
    scale = min(box_w / img.width, box_h / img.height)
    w, h = img.width * scale, img.height * scale
    pg.c.drawImage(ImageReader(buf), (PAGE_W - w) / 2, top - h, w, h)


def _image_pages(data: ReportData, p: Piece):
    """A photo turned upright by its EXIF orientation, or a scan's frames, a page each;
    yielded in batches so a long scan never sits in memory whole."""
    from PIL import Image, ImageOps

    register_heif()
    with Image.open(data.object_path(p.ev["id"])) as img:
        pg = _Pages(p.first)
        for k in range(p.pages):
            if k:
                img.seek(k)
            if k == 0:
                pg.heading(p)
                top = PAGE_H - MARGIN - HEAD_H
            else:
                pg.running(p)
                top = PAGE_H - MARGIN - 20
            frame = ImageOps.exif_transpose(img) if p.pages == 1 else img.copy()
            _draw_image(pg, frame, top)
            del frame
            pg.end_page()
            if (k + 1) % FRAMES_PER_CANVAS == 0 and k + 1 < p.pages:
                yield pg.done()
                pg = _Pages(p.first + k + 1)
        yield pg.done()


def _video_page(data: ReportData, p: Piece, pg: _Pages, top: float) -> None:
    """The poster frame, the video's title and its length."""
    length = None
    frame = None
    try:
        import av

        src = data.object_path(p.ev["id"])
        with av.open(str(src), metadata_errors="ignore") as c:
            if c.duration:
                length = c.duration / 1_000_000
        frame = poster_frame(src)
    except Exception:
        frame = None
    pg.text(MARGIN, top - 16, pg.fit(W["video"].format(title=p.name), 12, PAGE_W - 2 * MARGIN), 12)
    if length is not None:
        s = int(round(length))
        pg.text(MARGIN, top - 36, W["video_length"].format(length=f"{s // 60}:{s % 60:02d}"), 11)
    if frame is not None:
        _draw_image(pg, frame, top - 52)
    else:
        pg.text(MARGIN, top - 70, W["video_no_frame"], 11, grey=True)


# -- the front: which volumes, where ------------------------------------------------------------

def volume_name(n: int, top: dict | None) -> str:
    return safe_name(f"{n:02d} {top['code']} {top['title']}.pdf" if top else f"00 {W['whole']}.pdf", 60)


def write_volumes(data: ReportData, folder: Path, *, per_item: bool = True,
                  whole: bool = False) -> list[Path]:
    """One PDF per first-level item (and, with `whole`, one for everything) in `folder`."""
    folder = Path(folder)
    items = data.check["items"]
    written = []
    if whole:
        vol = plan(data, items, W["whole"])
        written.append(write_volume(data, vol, folder / volume_name(0, None)))
    if per_item:
        for n, top in enumerate(items, 1):
            vol = plan(data, [top], f"{top['code']} {top['title']}")
            written.append(write_volume(data, vol, folder / volume_name(n, top)))
    return written
