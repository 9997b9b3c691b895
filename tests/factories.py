"""Small factories that make real files: text and scanned PDFs, JPEGs with EXIF, docx, xlsx,
zips with GBK names, and the hostile ones. Used by the tests and by tools/make_demo_material.py.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _font(size: int):
    from PIL import ImageFont
    if CJK_FONT.exists():
        return ImageFont.truetype(str(CJK_FONT), size)
    return ImageFont.load_default(size)


def text_pdf(path: Path, pages: list[str], creation_date: datetime | None = None,
             title: str | None = None) -> Path:
    """A PDF with a real text layer (as Word or WPS exports make), Chinese via a CID font."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), invariant=1)
    if title:
        c.setTitle(title)
    for text in pages:
        c.setFont("STSong-Light", 14)
        y = 780
        for line in text.split("\n"):
            c.drawString(60, y, line)
            y -= 22
        c.showPage()
    c.save()
    if creation_date is not None:
        _set_pdf_date(path, creation_date)
    return path


def _set_pdf_date(path: Path, when: datetime) -> None:
    from pypdf import PdfReader, PdfWriter
    w = PdfWriter(clone_from=PdfReader(str(path)))
    w.add_metadata({"/CreationDate": when.strftime("D:%Y%m%d%H%M%S+08'00'")})
    with open(path, "wb") as f:
        w.write(f)


def page_image(text: str, size=(1240, 1754), font_size=40, angle: float = 0.0, noise: bool = False):
    """An A4 page at 150 dpi with `text` rendered in black on white, as a scanner sees it."""
    from PIL import Image, ImageDraw
    img = Image.new("L", size, 255)
    d = ImageDraw.Draw(img)
    font = _font(font_size)
    y = 150
    for line in text.split("\n"):
        d.text((120, y), line, fill=0, font=font)
        y += int(font_size * 1.8)
    if angle:
        img = img.rotate(angle, expand=False, fillcolor=255)
    if noise:
        import random
        rnd = random.Random(7)
        px = img.load()
        for _ in range(size[0] * size[1] // 200):
            px[rnd.randrange(size[0]), rnd.randrange(size[1])] = rnd.choice((0, 90, 160))
    return img


def scanned_pdf(path: Path, pages: list[str], encoding: str = "jpeg", **kw) -> Path:
    """An image-only PDF (no text layer), one page image per page, as scanners produce:
    `encoding` jpeg (DCTDecode, colour scanners), ccitt (CCITT G4, black-and-white office
    scanners) or flate (FlateDecode grey, as reportlab and many scan apps write)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if encoding == "flate":
        from reportlab.lib.utils import ImageReader
        from reportlab.pdfgen import canvas
        c = canvas.Canvas(str(path), pagesize=(595, 842), invariant=1)
        for t in pages:
            c.drawImage(ImageReader(page_image(t, **kw)), 0, 0, 595, 842)
            c.showPage()
        c.save()
        return path
    mode = {"jpeg": "RGB", "ccitt": "1"}[encoding]
    imgs = [page_image(t, **kw).convert(mode) for t in pages]
    imgs[0].save(path, "PDF", resolution=150, save_all=True, append_images=imgs[1:])
    return path


def photo_jpeg(path: Path, text: str = "", exif_date: str | None = None,
               orientation: int | None = None, size=(800, 600), color=(180, 30, 30),
               make: str = "HUAWEI", sideways: bool = False) -> Path:
    """A phone photo: a red banner with white `text`, EXIF DateTimeOriginal and Orientation.
    `sideways`: the pixels are stored turned 90° to the left, as a phone held upright stores
    them, with Orientation 6 telling viewers to turn them back."""
    from PIL import Image, ImageDraw
    img = Image.new("RGB", size, (90, 120, 90))
    d = ImageDraw.Draw(img)
    d.rectangle((20, size[1] // 3, size[0] - 20, size[1] // 3 + 90), fill=color)
    if text:
        d.text((40, size[1] // 3 + 20), text, fill=(255, 255, 255), font=_font(44))
    if sideways:
        img = img.transpose(Image.Transpose.ROTATE_90)
        orientation = 6
    exif = Image.Exif()
    exif[0x010F] = make
    if orientation:
        exif[0x0112] = orientation
    if exif_date:
        exif.get_ifd(0x8769)[0x9003] = exif_date
        exif[0x0132] = exif_date
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "JPEG", quality=80, exif=exif)
    return path


def png(path: Path, size=(64, 48)) -> Path:
    from PIL import Image
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (10, 20, 30)).save(path, "PNG")
    return path


def docx_file(path: Path, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    import docx
    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, v in enumerate(row):
                t.cell(i, j).text = v
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path


def xlsx_file(path: Path, rows: list[list], title: str = "台账") -> Path:
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path


def encrypted_pdf(path: Path, text: str = "机密文件", password: str = "secret") -> Path:
    from pypdf import PdfReader, PdfWriter
    plain = text_pdf(path.with_suffix(".plain.pdf"), [text])
    w = PdfWriter(clone_from=PdfReader(str(plain)))
    w.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    with open(path, "wb") as f:
        w.write(f)
    plain.unlink()
    return path


def zip_with_names(path: Path, members: dict[str, bytes], encoding: str = "gbk") -> Path:
    """A zip as Chinese Windows makes it: names in GBK and no UTF-8 flag. zipfile always writes
    UTF-8 for non-ASCII names, so write ASCII placeholders of the same byte length and patch."""
    placeholders = {}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (name, data) in enumerate(members.items()):
            raw = name.encode(encoding)
            ph = (f"@{i:04d}@".encode() + b"x" * len(raw))[:len(raw)]
            assert len(ph) == len(raw) and len(raw) >= 6, "names need 6+ bytes to patch"
            placeholders[ph] = raw
            zf.writestr(zipfile.ZipInfo(ph.decode("ascii"), date_time=(2021, 6, 1, 9, 0, 0)), data)
    blob = buf.getvalue()
    for ph, raw in placeholders.items():
        blob = blob.replace(ph, raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    return path


def raw_zip(path: Path, members: dict[str, bytes]) -> Path:
    """A zip whose member names are written exactly as given ('../x', '/etc/y', 'C:\\z')."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo("placeholder", date_time=(2022, 1, 1, 0, 0, 0))
            info.filename = name          # bypass ZipInfo's own clean-up
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def zip_bomb(path: Path, megabytes: int = 200) -> Path:
    """A small zip holding one member of `megabytes` of zeros (compresses about 1000:1)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("zeros.bin")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as f:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(megabytes):
                f.write(chunk)
    return path


def png_bomb(path: Path, width: int = 60000, height: int = 60000) -> Path:
    """A tiny PNG whose header claims width × height pixels (3.6 gigapixels by default)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024, 9)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
                     + chunk(b"IEND", b""))
    return path
