"""The formats a Chinese office really sends, read from files made by real office software
(tests/fixtures/formats, see its README): Word 97 and WPS 文字, Excel 97 and WPS 表格, RTF, OFD,
HEIC, multi-page TIFF scans, MP4 / MOV, 7z; and damaged copies of each, which must become a
problem with a reason and never stop the pass."""
import json
import os
import shutil
import struct
import zipfile
from pathlib import Path

import pytest

from archive import reasons
from archive.detect import detect
from archive.extract import extract
from archive.limits import Limits
from archive.readers import FormatError
from archive.readers.word97 import clean, read_word97
from tests import factories as f
from tests.conftest import files_by_path, ingest, standard_workspace
from yingjian.messages import reason as say

FIX = Path(__file__).parent / "fixtures" / "formats"
NOTICE = ("关于做好元旦春节期间双拥工作的通知\n"
          "各乡镇(街道)、市直各有关单位:\n"
          "为进一步巩固军政军民团结,现就做好元旦春节期间双拥工作通知如下。\n"
          "一、广泛开展走访慰问活动。二、认真落实优抚政策。\n"
          "兴义市双拥工作领导小组办公室\n"
          "2022年12月20日")
LEDGER_CELLS = ["重点优抚对象慰问金发放表", "填报日期:2023年1月5日", "杨光荣", "刘秀芬", "2500"]

# fixture, name in the inbox, format, kind, pages, date, date source, a word to search
READABLE = [
    ("notice_word97.doc", "双拥通知.doc", "doc", "document", 1, "2022-12-20", "content", "优抚政策"),
    ("notice_wps.wps", "双拥通知.wps", "doc", "document", 1, "2022-12-20", "content", "走访慰问"),
    ("notice.rtf", "双拥通知.rtf", "rtf", "document", 1, "2022-12-20", "content", "军政军民"),
    ("ledger_excel97.xls", "慰问金发放表.xls", "xls", "ledger", 1, "2023-01-05", "content", "杨光荣"),
    ("ledger_wps.et", "慰问金发放表.et", "xls", "ledger", 1, "2023-01-05", "content", "刘秀芬"),
    ("ofdrw__helloworld.ofd", "hello.ofd", "ofd", "document", 1, "2020-11-20", "metadata", "你好呀"),
    ("ofdrw__invoice.ofd", "发票.ofd", "ofd", "document", 1, "2020-10-10", "content", "科游迈利"),
    ("ofdrw__nalaizhuyi_page6.ofd", "拿来主义.ofd", "ofd", "document", 2, "2021-06-02", "metadata", "拿来主义"),
    ("IMG_0423.HEIC", "IMG_0423.HEIC", "heic", "photo", None, "2023-01-18", "exif", None),
    ("visit.mp4", "慰问活动视频.mp4", "mp4", "video", None, "2023-01-18", "metadata", None),
    ("forum.mov", "座谈会.mov", "mov", "video", None, "2022-08-01", "metadata", None),
]


def put(inbox: Path, fixture: str, rel: str) -> Path:
    dest = inbox / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIX / fixture, dest)
    return dest


def info_of(ws, sha: str) -> dict:
    return json.loads(ws.catalog.object(sha)["info"] or "{}")


# -- each format, through the real pipeline ------------------------------------------------------

@pytest.mark.parametrize("fixture,name,fmt,kind,pages,date,source,word", READABLE,
                         ids=[r[0] for r in READABLE])
def test_real_file_is_read_dated_kinded_thumbnailed_and_found(ws, inbox, fixture, name, fmt,
                                                              kind, pages, date, source, word):
    put(inbox, fixture, f"人武部/{name}")
    s = ingest(ws)
    assert s.problems == []
    row = files_by_path(ws)[f"人武部/{name}"]
    assert (row["format"], row["kind"], row["status"]) == (fmt, kind, "ok")
    assert (row["date"], row["date_source"]) == (date, source)
    assert row["pages"] == pages
    thumb = ws.thumbnails.get(row["id"])
    assert thumb is not None and thumb.stat().st_size > 500
    if word:
        ws.sync_index()
        hits = ws.index.search(word, text_of=ws.text_of).hits
        assert f"人武部/{name}" in [h.path for h in hits]


@pytest.mark.parametrize("fixture", ["notice_word97.doc", "notice_wps.wps", "notice.rtf"])
def test_word97_wps_and_rtf_text_equals_the_known_notice(fixture):
    path = FIX / fixture
    ex = extract(path, detect(path).name, Limits())
    assert ex.problem is None
    assert ex.text == NOTICE


@pytest.mark.parametrize("fixture", ["ledger_excel97.xls", "ledger_wps.et"])
def test_excel97_and_wps_ledger_give_every_cell(fixture):
    path = FIX / fixture
    fmt = detect(path, fixture)
    assert (fmt.name, fmt.kind) == ("xls", "ledger")
    ex = extract(path, fmt.name, Limits())
    assert ex.problem is None
    for cell in LEDGER_CELLS:
        assert cell in ex.text
    assert "1\t杨光荣\t伤残军人\t敬南镇\t2000" in ex.text      # a row a line, numbers as written


def test_ofd_is_one_document_with_template_text_beside_the_page_values(ws, inbox):
    put(inbox, "ofdrw__invoice.ofd", "人武部/发票.ofd")
    ingest(ws)
    rows = files_by_path(ws)
    assert list(rows) == ["人武部/发票.ofd"]          # never unpacked into its XML parts
    obj = ws.catalog.object(rows["人武部/发票.ofd"]["id"])
    lines = obj["text"].splitlines()
    assert any("名称" in line and "科游迈利有限公司" in line for line in lines)   # label, value
    assert "<" not in obj["text"].split("密码区")[0]     # no raw tags
    assert info_of(ws, obj["sha"])["signatures"] == 1


def test_ofd_text_split_over_several_textcodes_reads_as_one_line():
    path = FIX / "ofdrw__multiKeywordInTextCode.ofd"
    ex = extract(path, "ofd", Limits())
    assert ex.pages == ["打发打发打发打发打发哈哈打发哈哈哈哈哈哈哈哈哈打发"]


def test_ofd_pages_come_in_page_order():
    ex = extract(FIX / "ofdrw__nalaizhuyi_page6.ofd", "ofd", Limits())
    assert ex.page_count == 2
    assert ex.pages[0].startswith("拿来主义鲁迅") and "文艺不能自成为新文艺" in ex.pages[1]


def test_ofd_signature_is_noted():
    ex = extract(FIX / "ofdrw__DigitalSign.ofd", "ofd", Limits())
    assert ex.info["signatures"] == 1 and "OFD Reader&Writer" in ex.text


def test_ofd_is_detected_by_its_bytes_whatever_its_name(tmp_path):
    p = tmp_path / "发票.zip"
    shutil.copyfile(FIX / "ofdrw__invoice.ofd", p)
    assert (detect(p).name, detect(p).kind) == ("ofd", "document")


def test_wps_and_et_are_detected_by_their_streams_not_their_names(tmp_path):
    doc, xls = tmp_path / "a.xls", tmp_path / "b.doc"
    shutil.copyfile(FIX / "notice_wps.wps", doc)
    shutil.copyfile(FIX / "ledger_wps.et", xls)
    assert detect(doc, "a.xls").name == "doc" and detect(xls, "b.doc").name == "xls"


def test_rtf_with_gbk_escapes_and_unicode_escapes_is_read(tmp_path):
    def esc(s):
        return "".join(f"\\'{b:02x}" for b in s.encode("gbk"))
    body = ("{\\rtf1\\ansi\\ansicpg936\\deff0{\\fonttbl{\\f0\\fnil\\fcharset134 " + esc("宋体")
            + ";}}\\f0 " + esc("双拥工作总结") + "\\par " + "\\u20891?\\u27665?" + esc("鱼水情")
            + "\\par 2021" + esc("年") + "8" + esc("月") + "1" + esc("日") + "\\par}")
    p = tmp_path / "总结.rtf"
    p.write_bytes(body.encode("ascii"))
    ex = extract(p, detect(p).name, Limits())
    assert ex.text == "双拥工作总结\n军民鱼水情\n2021年8月1日"


def test_seven_zip_members_are_archived_and_read_like_a_zips(ws, inbox):
    put(inbox, "materials.7z", "教育局/双拥资料.7z")
    s = ingest(ws)
    assert s.problems == []
    rows = files_by_path(ws)
    assert rows["教育局/双拥资料.7z"]["format"] == "7z"
    doc = rows["教育局/双拥资料.7z/双拥通知.docx"]
    xl = rows["教育局/双拥资料.7z/慰问金发放表.xlsx"]
    assert (doc["kind"], doc["date"], doc["date_source"]) == ("document", "2022-12-20", "content")
    assert (xl["kind"], xl["date"]) == ("ledger", "2023-01-05")


def test_seven_zip_over_the_size_limit_is_refused_as_a_bomb(ws, inbox):
    put(inbox, "materials.7z", "教育局/双拥资料.7z")
    from archive.ingest import Ingestor
    s = Ingestor(inbox, ws.store, ws.catalog, Limits(max_zip_bytes=1000),
                 stable_seconds=0, incomplete_after=0).ingest_pass()
    assert any("压缩炸弹" in say(p["reason"]) for p in s.problems)
    assert "教育局/双拥资料.7z/双拥通知.docx" not in files_by_path(ws)


def test_rar_is_archived_with_a_clear_problem(ws, inbox):
    p = inbox / "教育局/资料.rar"
    p.write_bytes(b"Rar!\x1a\x07\x01\x00" + os.urandom(200))
    ingest(ws)
    row = files_by_path(ws)["教育局/资料.rar"]
    assert (row["status"], row["reason_code"]) == ("problem", reasons.RAR_UNSUPPORTED.code)
    assert row["reason"] == "RAR 压缩包无法在本机解压,请解压后以 zip 上传"
    assert ws.store.path(row["id"]).read_bytes() == p.read_bytes()


def test_video_has_duration_and_a_poster_frame_thumbnail(ws, inbox):
    put(inbox, "visit.mp4", "人武部/慰问活动视频.mp4")
    ingest(ws)
    row = files_by_path(ws)["人武部/慰问活动视频.mp4"]
    info = info_of(ws, row["id"])
    assert info["duration"] > 0 and info["width"] > 0
    from PIL import Image
    with Image.open(ws.thumbnails.get(row["id"])) as im:
        r, g, b = im.convert("RGB").getpixel((im.width // 2, im.height // 2))
    assert r > 100 and g < 60 and b < 60        # the sample's red frame, not a white card


def test_video_title_tag_is_its_text(tmp_path):
    av = pytest.importorskip("av")
    import numpy as np
    p = tmp_path / "v.mp4"
    with av.open(str(p), "w") as c:
        c.metadata["title"] = "八一建军节座谈会"
        c.metadata["creation_time"] = "2021-08-01T09:00:00Z"
        s = c.add_stream("mpeg4", rate=5)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), dtype=np.uint8), format="rgb24")
            for pkt in s.encode(frame):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    ex = extract(p, detect(p).name, Limits())
    assert ex.text == "八一建军节座谈会" and ex.info["meta_date"] == "2021-08-01"


def test_single_frame_tiff_is_a_photo_and_multi_page_tiff_a_document(tmp_path):
    from PIL import Image
    one = tmp_path / "one.tif"
    Image.new("RGB", (64, 64), "white").save(one)
    assert detect(one).kind == "photo"
    assert detect(FIX / "notice_scan_2pages.tif").kind == "document"
    ex = extract(FIX / "notice_scan_2pages.tif", "tiff", Limits())
    assert (ex.page_count, ex.ocr_pages) == (2, [0, 1])


# -- OCR of scans inside the new formats (slow: the real OCR) -----------------------------------

@pytest.mark.slow
def test_every_page_of_a_tiff_scan_is_read_and_dated_from_page_two(ws, inbox):
    put(inbox, "notice_scan_2pages.tif", "人武部/双拥通知扫描.tif")
    ingest(ws)
    ws.ocr_queue(workers=0).run()
    row = files_by_path(ws)["人武部/双拥通知扫描.tif"]
    text = ws.catalog.object(row["id"])["text"]
    pages = text.split("\f")
    assert len(pages) == 2 and "双拥" in pages[0] and "领导小组" in pages[1]
    assert (row["kind"], row["pages"]) == ("document", 2)
    row = files_by_path(ws)["人武部/双拥通知扫描.tif"]               # dated once its OCR is in
    assert (row["date"], row["date_source"]) == ("2022-12-20", "content")
    assert "2022" not in pages[0] and "2022年12月20日" in pages[1].replace(" ", "")


@pytest.mark.slow
def test_heic_banner_is_read_by_ocr(ws, inbox):
    put(inbox, "IMG_0423.HEIC", "人武部/IMG_0423.HEIC")
    ingest(ws)
    ws.ocr_queue(workers=0).run()
    row = files_by_path(ws)["人武部/IMG_0423.HEIC"]
    assert "鱼水情" in ws.catalog.object(row["id"])["text"]


def scanned_ofd(path: Path, text: str) -> Path:
    """An OFD whose one page is only a JPEG: a scan, as WPS or a scanner writes it."""
    import io
    img = f.page_image(text, size=(620, 877), font_size=36)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("OFD.xml", f'<?xml version="1.0"?><ofd:OFD {ns} DocType="OFD" Version="1.1">'
                   '<ofd:DocBody><ofd:DocInfo><ofd:CreationDate>2021-03-02</ofd:CreationDate>'
                   '</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
        z.writestr("Doc_0/Document.xml", f'<ofd:Document {ns}><ofd:CommonData>'
                   '<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes></ofd:CommonData>'
                   '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
                   '</ofd:Document>')
        z.writestr("Doc_0/DocumentRes.xml", f'<ofd:Res {ns} BaseLoc="Res"><ofd:MultiMedias>'
                   '<ofd:MultiMedia ID="4" Type="Image"><ofd:MediaFile>scan.jpg</ofd:MediaFile>'
                   '</ofd:MultiMedia></ofd:MultiMedias></ofd:Res>')
        z.writestr("Doc_0/Pages/Page_0/Content.xml", f'<ofd:Page {ns}><ofd:Content><ofd:Layer ID="2">'
                   '<ofd:ImageObject ID="3" Boundary="0 0 210 297" CTM="210 0 0 297 0 0" '
                   'ResourceID="4"/></ofd:Layer></ofd:Content></ofd:Page>')
        z.writestr("DOC_0/Res/scan.jpg", buf.getvalue())      # the case differs, as in the wild
    return path


def test_scanned_ofd_page_waits_for_ocr(tmp_path):
    p = scanned_ofd(tmp_path / "扫描.ofd", "双拥工作会议纪要")
    ex = extract(p, detect(p).name, Limits())
    assert (ex.page_count, ex.ocr_pages, ex.info["meta_date"]) == (1, [0], "2021-03-02")


@pytest.mark.slow
def test_scanned_ofd_is_read_by_ocr_and_searchable(ws, inbox):
    scanned_ofd(inbox / "人武部/会议纪要.ofd", "双拥工作会议纪要\n2021年3月5日")
    ingest(ws)
    ws.ocr_queue(workers=0).run()
    row = files_by_path(ws)["人武部/会议纪要.ofd"]
    assert "会议纪要" in ws.catalog.object(row["id"])["text"]
    assert (row["date"], row["date_source"]) == ("2021-03-05", "content")


# -- the Word 97 reader, piece by piece ----------------------------------------------------------

class Streams:
    """An OLE container's streams as bytes: what read_word97 asks of olefile."""

    def __init__(self, streams: dict[str, bytes]):
        self.streams = streams

    def exists(self, name):
        return name in self.streams

    def openstream(self, name):
        import io
        return io.BytesIO(self.streams[name])


def _sample_streams() -> dict[str, bytes]:
    import olefile
    with olefile.OleFileIO(str(FIX / "notice_word97.doc")) as ole:
        return {n: ole.openstream(n).read() for n in ("WordDocument", "1Table")}


def _with_pieces(streams: dict[str, bytes], pieces: list[tuple[bytes, bool]]) -> Streams:
    """The sample with its piece table replaced: each piece's bytes appended to the
    WordDocument stream, compressed (cp1252) or UTF-16."""
    wd = bytearray(streams["WordDocument"])
    cps, pcds, cp = [0], b"", 0
    for raw, compressed in pieces:
        offset = len(wd)
        wd += raw
        n = len(raw) if compressed else len(raw) // 2
        cp += n
        cps.append(cp)
        fc = (offset * 2) | 0x40000000 if compressed else offset
        pcds += struct.pack("<HIH", 0, fc, 0)
    plc = struct.pack(f"<{len(cps)}i", *cps) + pcds
    clx = b"\x02" + struct.pack("<I", len(plc)) + plc
    table = streams["1Table"] + clx
    # point the FIB at the new CLX and make the body the whole text
    csw = struct.unpack_from("<H", wd, 0x20)[0]
    lw = 0x22 + csw * 2 + 2
    cslw = struct.unpack_from("<H", wd, lw - 2)[0]
    struct.pack_into("<i", wd, lw + 12, cp)
    struct.pack_into("<i", wd, lw + 20, 0)
    fclcb = lw + cslw * 4 + 2
    struct.pack_into("<II", wd, fclcb + 33 * 8, len(streams["1Table"]), len(clx))
    return Streams({"WordDocument": bytes(wd), "1Table": table})


def test_word97_reads_compressed_and_unicode_pieces_in_order():
    s = _with_pieces(_sample_streams(), [("Report 2021\r".encode("cp1252"), True),
                                         ("双拥工作总结\r".encode("utf-16-le"), False),
                                         ("caf\xe9".encode("cp1252"), True)])
    assert read_word97(s).body == "Report 2021\n双拥工作总结\ncafé"


def test_word97_field_codes_are_dropped_and_their_results_kept():
    text = "见\x13 HYPERLINK \"http://x\" \x14链接\x15与\x13 PAGE \x14\x13 NUM \x141\x15\x15页\r"
    assert clean(text) == "见链接与1页"


def test_word97_table_cells_and_rows_become_tabs_and_lines():
    assert clean("姓名\x07金额\x07\x07杨光荣\x072000\x07\x07") == "姓名\t金额\n杨光荣\t2000"


@pytest.mark.parametrize("damage", ["piece past the stream", "no clx", "bad ident", "encrypted"])
def test_word97_damage_is_a_reason_never_an_exception(damage):
    streams = _sample_streams()
    if damage == "piece past the stream":
        s = _with_pieces(streams, [("x".encode("utf-16-le"), False)])
        wd = bytearray(s.streams["WordDocument"])
        s.streams["1Table"] = s.streams["1Table"][:-8] + struct.pack("<HIH", 0, 10 ** 8, 0)
        expected = reasons.DOC_CORRUPT
    else:
        wd = bytearray(streams["WordDocument"])
        if damage == "no clx":
            struct.pack_into("<I", wd, 0x1A6, 0)
            expected = reasons.DOC_CORRUPT
        elif damage == "bad ident":
            wd[0:2] = b"\0\0"
            expected = reasons.DOC_CORRUPT
        else:
            struct.pack_into("<H", wd, 0x0A, struct.unpack_from("<H", wd, 0x0A)[0] | 0x0100)
            expected = reasons.OFFICE_ENCRYPTED
        s = Streams({"WordDocument": bytes(wd), "1Table": streams["1Table"]})
    with pytest.raises(FormatError) as e:
        read_word97(s)
    assert e.value.reason == expected


# -- PowerPoint 97: the text atoms --------------------------------------------------------------

def _rec(rtype: int, body: bytes, container: bool = False, instance: int = 0) -> bytes:
    ver = 0xF if container else 0
    return struct.pack("<HHI", ver | (instance << 4), rtype, len(body)) + body


def test_ppt_text_gives_one_page_per_slide_from_the_slide_list_and_text_boxes():
    from archive.readers.office97 import ppt_text
    chars = lambda s: _rec(0x0FA0, s.encode("utf-16-le"))       # noqa: E731
    slide_list = _rec(0x0FF0, _rec(0x03F3, b"\0" * 20) + chars("双拥工作汇报") + chars("2021年8月1日")
                      + _rec(0x03F3, b"\0" * 20) + _rec(0x0FA8, b"Second slide"), container=True)
    masters = _rec(0x0FF0, _rec(0x03F3, b"\0" * 20) + chars("母版标题"), container=True, instance=1)
    doc = _rec(0x03E8, masters + slide_list, container=True)
    slide = _rec(0x03EE, _rec(0xF00D, chars("文本框里的字"), container=True), container=True)
    slides, boxes = ppt_text(doc + slide)
    assert slides == [["双拥工作汇报", "2021年8月1日"], ["Second slide"]]
    assert boxes == [["文本框里的字"]]


# -- a declared file of each format counts for its year -----------------------------------------

STANDARD = """
title: 测试标准
period: {start: 2020-01-01, end: 2023-12-31}
items:
  - code: "1"
    title: 组织领导
    children:
      - code: "1.1"
        title: 通知与台账
        points: 2
        units: [民政局]
        materials:
          - {id: 1.1a, title: 双拥通知, kind: document, count: 1, per_year: true}
          - {id: 1.1b, title: 慰问金台账, kind: ledger, count: 1, per_year: true}
          - {id: 1.1c, title: 慰问照片, kind: photo, count: 1, per_year: true}
          - {id: 1.1d, title: 活动视频, kind: video, count: 1, per_year: true}
"""

DECLARED = [
    ("notice_word97.doc", "1.1a_双拥通知.doc", "1.1a", "2022"),
    ("notice_wps.wps", "1.1a_双拥通知(WPS).wps", "1.1a", "2022"),
    ("notice.rtf", "1.1a_双拥通知.rtf", "1.1a", "2022"),
    ("ofdrw__invoice.ofd", "1.1a_发票.ofd", "1.1a", "2020"),
    ("ledger_excel97.xls", "1.1b_慰问金发放表.xls", "1.1b", "2023"),
    ("ledger_wps.et", "1.1b_慰问金发放表.et", "1.1b", "2023"),
    ("IMG_0423.HEIC", "1.1c_慰问照片.heic", "1.1c", "2023"),
    ("visit.mp4", "1.1d_慰问活动.mp4", "1.1d", "2023"),
    ("forum.mov", "1.1d_座谈会.mov", "1.1d", "2022"),
]


@pytest.mark.parametrize("fixture,name,material,year", DECLARED, ids=[d[1] for d in DECLARED])
def test_declared_file_of_each_format_counts_for_its_year(tmp_path, fixture, name, material, year):
    ws = standard_workspace(tmp_path, STANDARD, ["民政局"])
    try:
        put(ws.config.inbox, fixture, f"民政局/{name}")
        os.utime(ws.config.inbox / "民政局" / name, (1e9, 1e9))     # file time 2001: never used
        ingest(ws)
        ws.sync_index()
        m = next(m for m in ws.check()["items"][0]["children"][0]["materials"]
                 if m["id"] == material)
        assert int(year) not in m["years_missing"] and year not in map(str, m["years_missing"])
        ev = [e for e in m["evidence"] if e["path"].endswith(name)]
        assert ev and ev[0]["confirmed"] and ev[0]["counts"]
        assert ev[0]["date"].startswith(year)
    finally:
        ws.close()


# -- damaged files: a problem with a reason, and the pass goes on -------------------------------

def _truncated(fixture: str) -> bytes:
    data = (FIX / fixture).read_bytes()
    return data[:len(data) // 3]


def _behind_signature(sig: bytes, seed: int = 12, n: int = 4096) -> bytes:
    import random
    rnd = random.Random(seed)       # a seed per file: equal bytes would be one object
    return sig + bytes(rnd.randrange(256) for _ in range(n))


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DAMAGED = [
    ("坏.doc", lambda: _truncated("notice_word97.doc"), "Word"),
    ("坏.wps", lambda: _behind_signature(OLE), "Word"),
    ("坏.xls", lambda: _truncated("ledger_excel97.xls"), "Excel"),
    ("坏.et", lambda: _behind_signature(OLE, 2), "Excel"),
    ("坏.ppt", lambda: _behind_signature(OLE, 3), "PowerPoint"),
    ("坏.rtf", lambda: (FIX / "notice.rtf").read_bytes()[:3000], "不完整"),
    ("坏.ofd", lambda: _truncated("ofdrw__invoice.ofd"), "OFD"),
    ("坏2.ofd", lambda: _behind_signature(b"PK\x03\x04"), "OFD"),
    ("坏.heic", lambda: _truncated("IMG_0423.HEIC"), "照片"),
    ("坏2.heic", lambda: _behind_signature(b"\0\0\0\x18ftypheic"), "照片"),
    ("坏.mp4", lambda: _behind_signature(b"\0\0\0\x18ftypisom"), "视频"),
    ("坏.mov", lambda: _truncated("forum.mov")[:200], "视频"),
    ("坏.7z", lambda: _truncated("materials.7z"), "7z"),
    ("坏2.7z", lambda: _behind_signature(b"7z\xbc\xaf\x27\x1c"), "7z"),
    ("坏.tif", lambda: _truncated("notice_scan_2pages.tif"), "图片"),
    ("坏.rar", lambda: _behind_signature(b"Rar!\x1a\x07\x00"), "RAR"),
]


def test_damaged_file_of_every_format_is_a_problem_and_the_pass_goes_on(ws, inbox):
    for name, make, _ in DAMAGED:
        (inbox / "人武部" / name).write_bytes(make())
    put(inbox, "notice_word97.doc", "人武部/好.doc")
    s = ingest(ws)
    rows = files_by_path(ws)
    assert rows["人武部/好.doc"]["status"] == "ok"
    assert rows["人武部/好.doc"]["text_chars"] > 50
    for name, _, word in DAMAGED:
        row = rows[f"人武部/{name}"]
        assert row["status"] == "problem", (name, row)
        assert word in row["reason"], (name, row["reason"])
    assert len(s.problems) >= len(DAMAGED)


def test_files_json_shows_the_reason_of_a_damaged_doc(ws, inbox, capsys):
    from click.testing import CliRunner
    from yingjian.cli import cli
    (inbox / "人武部/坏.doc").write_bytes(_truncated("notice_word97.doc"))
    ingest(ws)
    out = CliRunner().invoke(cli, ["--workspace", str(ws.config.root), "files", "--json"],
                             env={"YINGJIAN_HOME": ""})
    row = json.loads(out.output)["files"][0]
    assert row["status"] == "problem" and "Word" in row["reason"]


# -- fuzz: the binary parsers answer with a reason, never with another exception ---------------

from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=150, deadline=None)
@given(wd=st.binary(min_size=0, max_size=1200), table=st.binary(max_size=400))
def test_word97_on_random_streams_raises_only_format_errors(wd, table):
    base = bytearray(_sample_streams()["WordDocument"][:0x200])
    base[:len(wd[:0x200])] = wd[:0x200]
    try:
        read_word97(Streams({"WordDocument": bytes(base) + wd[0x200:], "1Table": table}))
    except FormatError:
        pass


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=600))
def test_ppt_text_on_random_records_raises_only_value_errors(data):
    from archive.readers.office97 import ppt_text
    try:
        ppt_text(data)
    except (ValueError, struct.error):
        pass
