"""A corpus of files made to hurt, built fresh in a folder: damaged and hostile PDFs, images,
zips and Office files, empty and mislabelled files, hostile names and folders, links out of
the inbox. `build(inbox, outside)` returns what each path is and what the archive must say.
"""
from __future__ import annotations

import io
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from tests import factories as f

# what the archive must make of a file: a problem with a reason containing these words, a
# note (archived, readable, with a remark), fine, refused (never copied), or ignored
PROBLEM, NOTE, OK, REFUSED, MEMBERS = "problem", "note", "ok", "refused", "members"


@dataclass
class Case:
    path: str                 # below the inbox
    what: str
    expect: str
    words: tuple[str, ...] = ()


def _raw_pdf(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF from numbered object bodies, with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, root, xref))
    return out.getvalue()


def pdf_image_bomb() -> bytes:
    """One page showing an image that claims 100,000 × 100,000 pixels."""
    stream = zlib.compress(b"\0" * 64)
    return _raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Length 34 >>\nstream\nq 595 0 0 842 0 0 cm /Im0 Do Q\nendstream",
    ])


def pdf_deep_nesting(depth: int = 20000) -> bytes:
    return _raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R /Junk " + b"[" * depth + b"]" * depth + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ])


def pdf_many_pages(n: int) -> bytes:
    from pypdf import PdfWriter
    w = PdfWriter()
    for _ in range(n):
        w.add_blank_page(595, 842)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def png_bad_crc() -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    i = data.index(b"IDAT")
    data[i + 4:i + 12] = b"\x00" * 8          # the compressed pixels, destroyed
    return bytes(data)


def zip_encrypted(path: Path) -> Path:
    """A zip whose member says it is encrypted (flag bit 0), as a password-protected zip does."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(zipfile.ZipInfo("secret-名单.txt", date_time=(2022, 1, 1, 0, 0, 0)), b"x" * 32)
    blob = bytearray(buf.getvalue())
    blob[6] |= 1                                     # local header flags
    cd = blob.index(b"PK\x01\x02")
    blob[cd + 8] |= 1                                # central directory flags
    path.write_bytes(bytes(blob))
    return path


def zip_nested(path: Path, depth: int) -> Path:
    data = b"innermost"
    name = "内容.txt"
    for level in range(depth):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr(name, data)
        data, name = buf.getvalue(), f"第{level + 1}层.zip"
    path.write_bytes(data)
    return path


def office_bomb(path: Path, megabytes: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            for _ in range(megabytes):
                fh.write(b" " * (1024 * 1024))
    return path


def xlsx_corrupt_xml(path: Path) -> Path:
    good = f.xlsx_file(path.with_suffix(".good.xlsx"), [["姓名"], ["张国强"]])
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("sheet1.xml"):
                data = b"<worksheet><sheetData><row><c r=\"A1\"" + b"\xff\xfe" * 10
            dst.writestr(info, data)
    good.unlink()
    return path


def build(inbox: Path, outside: Path) -> list[Case]:
    """The corpus, in `inbox` (units 人武部 and 教育局); `outside` is a folder beside it."""
    a, b = inbox / "人武部", inbox / "教育局"
    cases: list[Case] = []

    def add(path: Path, what: str, expect: str, *words: str):
        cases.append(Case(path.relative_to(inbox).as_posix(), what, expect, words))

    good = f.text_pdf(outside / "good.pdf", ["2021年征兵工作总结\n2021年10月20日"])
    photo = f.photo_jpeg(outside / "photo.jpg", exif_date="2021:08:01 10:00:00", size=(640, 480))
    docx = f.docx_file(outside / "good.docx", ["拥军优属"])

    p = a / "截断.pdf"
    p.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    add(p, "PDF cut in half", PROBLEM, "不完整")
    p = a / "乱码.pdf"
    p.write_bytes(b"%PDF-1.4\n" + os.urandom(4000) + b"\n%%EOF\n")
    add(p, "PDF header, random body", PROBLEM, "损坏")
    add(f.encrypted_pdf(a / "加密.pdf"), "encrypted PDF", PROBLEM, "加密")
    data = good.read_bytes()
    i = data.rindex(b"startxref") + len(b"startxref\n")
    j = data.index(b"\n", i)
    p = a / "坏交叉引用表.pdf"
    p.write_bytes(data[:i] + b"9" * (j - i) + data[j:])
    add(p, "PDF whose xref offset points nowhere", OK)
    p = a / "深层嵌套.pdf"
    p.write_bytes(pdf_deep_nesting())
    add(p, "PDF with arrays nested 20,000 deep", PROBLEM, "损坏")
    p = a / "页数过多.pdf"
    p.write_bytes(pdf_many_pages(60))
    add(p, "PDF with more pages than the limit (50 in this workspace)", NOTE, "页数过多")
    p = a / "图像炸弹.pdf"
    p.write_bytes(pdf_image_bomb())
    add(p, "PDF page image claiming 10 gigapixels", NOTE, "无法识别")

    p = b / "截断照片.jpg"
    p.write_bytes(photo.read_bytes()[: photo.stat().st_size * 6 // 10])
    add(p, "JPEG cut short", PROBLEM, "不完整")
    p = b / "坏图.png"
    p.write_bytes(png_bad_crc())
    add(p, "PNG with destroyed pixels", PROBLEM, "损坏")
    add(f.png_bomb(b / "炸弹.png"), "PNG claiming 3.6 gigapixels", PROBLEM, "尺寸异常")

    add(f.zip_bomb(b / "压缩炸弹.zip", megabytes=60), "zip of 60 MB of zeros (limit 20 MB here)", PROBLEM, "压缩炸弹")
    add(f.raw_zip(b / "路径穿越.zip", {"../../evil.txt": b"evil", "/etc/evil2.txt": b"evil",
                                      "C:\\Windows\\evil3.txt": b"evil", "正常.txt": b"ok"}),
        "zip-slip and absolute member paths", MEMBERS, "不安全")
    add(f.zip_with_names(b / "中文名.zip", {"国防教育/课程记录.txt": "课程".encode("gbk")}),
        "zip with GBK names", MEMBERS)
    add(zip_encrypted(b / "加密.zip"), "zip with an encrypted member", MEMBERS, "密码")
    add(zip_nested(b / "套娃.zip", 5), "zip in zip, five deep (limit 3)", MEMBERS, "嵌套")

    add(office_bomb(a / "炸弹.docx", 30), "docx whose XML inflates to 30 MB (limit 10 MB here)", PROBLEM, "过大")
    add(xlsx_corrupt_xml(a / "坏表.xlsx"), "xlsx with broken sheet XML", PROBLEM, "损坏")
    p = a / "空文件.docx"
    p.write_bytes(b"")
    add(p, "empty file", PROBLEM, "为空")
    p = a / "其实是照片.pdf"
    p.write_bytes(photo.read_bytes())
    add(p, "JPEG named .pdf", OK)
    p = a / "其实是文档.xlsx"
    p.write_bytes(docx.read_bytes())
    add(p, "docx named .xlsx", OK)
    p = a / "二进制.txt"
    p.write_bytes(bytes(range(256)) * 8)
    add(p, "binary bytes named .txt", PROBLEM, "无法识别")

    p = a / "控制\x01字符\x7f.docx"
    p.write_bytes(docx.read_bytes())
    add(p, "name with control characters", OK)
    p = a / ("名" * 83 + ".docx")
    p.write_bytes(docx.read_bytes())
    add(p, "name of 254 bytes", OK)
    deep = b.joinpath(*[f"第{i}层" for i in range(60)])
    deep.mkdir(parents=True)
    p = deep / "深处.docx"
    p.write_bytes(docx.read_bytes())
    add(p, "file 60 folders deep", OK)

    secret = outside / "机密.docx"
    secret.write_bytes(docx.read_bytes())
    os.symlink(secret, a / "链接到外面.docx")
    add(a / "链接到外面.docx", "symlink to a file outside the inbox", REFUSED, "链接")
    os.symlink(outside, a / "外部文件夹", target_is_directory=True)
    add(a / "外部文件夹", "symlink to a folder outside the inbox", REFUSED, "链接")
    os.link(secret, a / "硬链接.docx")
    add(a / "硬链接.docx", "hard link to a file outside the inbox", OK)
    if hasattr(os, "mkfifo"):
        os.mkfifo(a / "管道.pdf")
        cases.append(Case("人武部/管道.pdf", "a named pipe (reading it would block)", "ignored"))
    return cases


# -- files that take a reader down, or keep it busy for ever (issue 27) ---------------------------

FORMATS = Path(__file__).parent / "fixtures" / "formats"


def _xls_patched(path: Path, patch) -> Path:
    """The real Excel 97 ledger of the fixtures with its Workbook stream patched in place."""
    import shutil
    import struct

    import olefile
    shutil.copyfile(FORMATS / "ledger_excel97.xls", path)
    ole = olefile.OleFileIO(str(path), write_mode=True)
    wb = bytearray(ole.openstream("Workbook").read())
    records, pos = {}, 0
    while pos + 4 <= len(wb):
        rtype, size = struct.unpack_from("<HH", wb, pos)
        records.setdefault(rtype, pos)
        pos += 4 + size
    patch(wb, records)
    ole.write_stream("Workbook", bytes(wb))
    ole.close()
    return path


def xls_sheet_offset_past_end(path: Path) -> Path:
    """Its sheet's BOUNDSHEET offset points past the end of the stream: calamine panics in
    Rust (pyo3's PanicException, a BaseException)."""
    import struct
    return _xls_patched(path, lambda wb, r: struct.pack_into("<I", wb, r[0x0085] + 4, 10 ** 6))


def xls_huge_dimensions(path: Path) -> Path:
    """Its sheet declares 2 billion rows by 65,280 columns: calamine asks for petabytes and
    the process aborts (SIGABRT), which no handler in it can catch."""
    import struct
    return _xls_patched(path, lambda wb, r: struct.pack_into("<IIHH", wb, r[0x0200] + 4,
                                                             0, 0x7FFFFFFF, 0, 0xFF00))


def ofd_scanned_pages(path: Path, pages: int) -> Path:
    """An OFD of `pages` pages that are each only an image (one small scan, shared), as a
    scanner writes a long document."""
    from PIL import Image
    buf = io.BytesIO()
    Image.new("L", (48, 48), 255).save(buf, "PNG")
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    listed = "".join(f'<ofd:Page ID="{i + 10}" BaseLoc="Pages/Page_{i}/Content.xml"/>'
                     for i in range(pages))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", f'<?xml version="1.0"?><ofd:OFD {ns} DocType="OFD" Version="1.1">'
                   '<ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
        z.writestr("Doc_0/Document.xml", f'<ofd:Document {ns}><ofd:CommonData>'
                   '<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes></ofd:CommonData>'
                   f'<ofd:Pages>{listed}</ofd:Pages></ofd:Document>')
        z.writestr("Doc_0/DocumentRes.xml", f'<ofd:Res {ns} BaseLoc="Res"><ofd:MultiMedias>'
                   '<ofd:MultiMedia ID="4" Type="Image"><ofd:MediaFile>scan.png</ofd:MediaFile>'
                   '</ofd:MultiMedia></ofd:MultiMedias></ofd:Res>')
        for i in range(pages):
            z.writestr(f"Doc_0/Pages/Page_{i}/Content.xml", f'<ofd:Page {ns}><ofd:Content>'
                       '<ofd:Layer ID="2"><ofd:ImageObject ID="3" Boundary="0 0 210 297" '
                       'ResourceID="4"/></ofd:Layer></ofd:Content></ofd:Page>')
        z.writestr("Doc_0/Res/scan.png", buf.getvalue())
    return path


def tiff_many_frames(path: Path, frames: int) -> Path:
    """A multi-page TIFF scan of `frames` small blank pages (1 bit, fax-compressed)."""
    from PIL import Image
    page = Image.new("1", (48, 48), 1)
    page.save(path, "TIFF", compression="group4", save_all=True,
              append_images=[page] * (frames - 1))
    return path


def sevenzip_with_names(path: Path, members: dict[str, bytes]) -> Path:
    """A 7z whose member names are exactly these ('..', absolute): py7zr will not write such
    names, so they are written as stand-ins of the same length into an uncompressed header,
    renamed there, and the header's checksums made right again."""
    import struct

    import py7zr
    stand = {name: f"{i:0{len(name)}d}" for i, name in enumerate(members)}
    with py7zr.SevenZipFile(path, "w") as z:
        z.encoded_header_mode = False
        for name, data in members.items():
            z.writestr(data, stand[name])
    blob = bytearray(path.read_bytes())
    offset, size = struct.unpack_from("<QQ", blob, 12)
    start = 32 + offset
    header = bytes(blob[start:start + size])
    for name, s in stand.items():
        assert header.count(s.encode("utf-16-le")) == 1, name
        header = header.replace(s.encode("utf-16-le"), name.encode("utf-16-le"))
    blob[start:start + size] = header
    struct.pack_into("<I", blob, 28, zlib.crc32(header))
    struct.pack_into("<I", blob, 8, zlib.crc32(bytes(blob[12:32])))
    path.write_bytes(bytes(blob))
    return path


def sevenzip_ratio_bomb(path: Path, megabytes: int = 40) -> Path:
    """A few KB of 7z holding `megabytes` of zeros between two small files."""
    import py7zr
    with py7zr.SevenZipFile(path, "w") as z:
        z.writestr("前面的文件".encode(), "a.txt")
        z.writestr(b"\0" * (megabytes * 1024 * 1024), "zeros.bin")
        z.writestr("后面的文件".encode(), "b.txt")
    return path


def zip_42(path: Path, width: int = 16, levels: int = 4) -> Path:
    """42.zip's shape: `width` copies of a zip, each holding `width` copies of the next, for
    `levels` levels; identical copies deflate to almost nothing, so it stays a few KB."""
    data, name = b"\0" * 1024, "0.txt"
    for level in range(levels):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for i in range(width):
                zf.writestr(f"lib {i}.{name.rsplit('.', 1)[1]}" if level else f"{i}.txt", data)
        data, name = buf.getvalue(), "lib.zip"
    path.write_bytes(data)
    return path


def build_poison(folder: Path) -> list[Case]:
    """Issue 27's corpus, in `folder` (a unit's folder of the inbox): what each is and what the
    archive must say (the reason code, or codes of members)."""
    inbox = folder.parent
    cases: list[Case] = []

    def add(path: Path, what: str, expect: str, *codes: str):
        cases.append(Case(path.relative_to(inbox).as_posix(), what, expect, codes))

    add(xls_sheet_offset_past_end(folder / "损坏的台账.xls"),
        "xls whose sheet offset points past its end (calamine panics)", PROBLEM, "read_crashed")
    add(xls_huge_dimensions(folder / "巨大的台账.xls"),
        "xls declaring 2 billion rows (calamine aborts the process)", PROBLEM, "read_out_of_memory")
    add(ofd_scanned_pages(folder / "长篇扫描公文.ofd", 60),
        "scanned OFD of 60 pages (page cap 20 here)", NOTE, "pages_capped")
    add(tiff_many_frames(folder / "多页扫描.tif", 60),
        "TIFF of 60 frames (page cap 20 here)", NOTE, "pages_capped")
    add(sevenzip_ratio_bomb(folder / "压缩炸弹.7z"),
        "7z of 40 MB of zeros in a few KB", MEMBERS, "zip_member_bomb", "sevenzip_not_extracted")
    add(zip_42(folder / "42.zip"),
        "42.zip-style nesting: 16 × 16 × 16 zips", MEMBERS, "zip_too_deep")
    add(sevenzip_with_names(folder / "路径穿越.7z", {"../../evil.txt": b"evil",
                                                    "/etc/evil2.txt": b"evil2",
                                                    "正常.txt": "正常".encode()}),
        "7z with '..' and absolute member names", MEMBERS, "zip_unsafe_path")
    return cases
