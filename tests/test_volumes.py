"""The bound PDF volumes (`yingjian report --pdf`), read back from the files: they open in pypdf
and in PDFium, the page count is the cover, the contents and every piece, each bookmark opens
its material's first page, the contents' page numbers are the pages the files start on, every
page is numbered, photos stand upright, and a file that cannot go in has a page saying why."""
import re
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from tests import factories as f
from tests.conftest import ingest, standard_workspace
from yingjian.cli import cli
from yingjian.report import volumes as V

FORMATS = Path(__file__).parent / "fixtures" / "formats"

STANDARD = """
title: 汇编测试标准
period: {start: 2020-01-01, end: 2023-12-31}
items:
  - code: "1"
    title: 组织领导
    children:
      - code: "1.1"
        title: 会议和文件
        points: 2
        units: [双拥办]
        materials:
          - {id: 1.1a, title: 会议纪要, kind: document, count: 1}
          - {id: 1.1b, title: 扫描文件, kind: document, count: 1}
      - code: "1.2"
        title: 台账
        points: 1
        units: [双拥办]
        materials:
          - {id: 1.2a, title: 发放台账, kind: ledger, count: 1}
          - {id: 1.2b, title: 尚无材料, kind: document, count: 1}
  - code: "2"
    title: 宣传教育
    children:
      - code: "2.1"
        title: 活动
        points: 1
        units: [双拥办]
        materials:
          - {id: 2.1a, title: 活动照片, kind: photo, count: 1}
          - {id: 2.1b, title: 活动视频, kind: video, count: 1}
          - {id: 2.1c, title: 表彰决定, kind: document, count: 1}
"""
LONG = "\n".join(f"第{i}条 双拥工作要求落实到每个成员单位,按季度检查并通报结果。" * 2 for i in range(1, 90))


@pytest.fixture(scope="module")
def volumes(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vol")
    ws = standard_workspace(tmp, STANDARD, ["双拥办"])
    box = ws.config.inbox / "双拥办"
    f.docx_file(box / "1.1a/2021年会议纪要.docx", ["双拥工作领导小组会议纪要", LONG, "2021年6月1日"])
    f.text_pdf(box / "1.1a/议军会议通报.pdf", ["议军会议通报 第一页", "第二页 内容", "第三页\n2021年9月1日"])
    f.scanned_pdf(box / "1.1b/扫描件.pdf", ["关于调整领导小组的通知", "2021年3月5日"])
    f.xlsx_file(box / "1.2a/慰问金发放表.xlsx", [["姓名", "金额"], ["张三", 500], ["填报日期:2021年5月1日", ""]])
    f.photo_jpeg(box / "2.1a/IMG_20210801_100000.jpg", "八一慰问", exif_date="2021:08:01 10:00:00",
                 size=(800, 400), sideways=True)
    (box / "2.1a").mkdir(exist_ok=True)
    shutil.copy(FORMATS / "notice_scan_2pages.tif", box / "2.1a/两页扫描.tif")
    (box / "2.1b").mkdir(exist_ok=True)
    shutil.copy(FORMATS / "visit.mp4", box / "2.1b/慰问视频.mp4")
    (box / "2.1c").mkdir(exist_ok=True)
    shutil.copy(FORMATS / "notice_word97.doc", box / "2.1c/表彰决定.doc")
    shutil.copy(FORMATS / "ofdrw__helloworld.ofd", box / "2.1c/决定.ofd")
    f.docx_file(box / "2.1c/空白文档.docx", [])
    ingest(ws)
    # whatever waits for the office (no date from inside, nothing to read) the office assigns
    for top in ws.check()["items"]:
        for leaf in top["children"]:
            for m in leaf["materials"]:
                for e in m["evidence"]:
                    if not (e["confirmed"] and e["counts"]):
                        ws.decide(e["id"], m["id"], "assign", "测试", date="2021-07-01")
    root = ws.config.root
    data = ws.report_data(ws.readiness())
    plans = {top["code"]: V.plan(data, [top], top["title"]) for top in data.check["items"]}
    whole = V.plan(data, data.check["items"], "all")
    sources = {p.ev["id"]: data.object_path(p.ev["id"]) for p in whole.pieces}
    ws.close()
    out = tmp / "打印册"
    res = CliRunner().invoke(cli, ["-w", str(root), "report", "--pdf", str(out), "--pdf-whole"])
    assert res.exit_code == 0, res.output
    return out, plans, whole, sources, root


def page_texts(path: Path) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(path).pages]


def test_one_volume_per_item_and_one_for_everything(volumes):
    out, plans, whole, *_ = volumes
    assert sorted(p.name for p in out.iterdir()) == ["00 全部考评项目.pdf", "01 1 组织领导.pdf", "02 2 宣传教育.pdf"]
    hows = {p.name: p.how for p in whole.pieces}
    assert hows == {"议军会议通报.pdf": "pdf", "扫描件.pdf": "pdf", "2021年会议纪要.docx": "text",
                    "慰问金发放表.xlsx": "text", "IMG_20210801_100000.jpg": "image", "两页扫描.tif": "image",
                    "慰问视频.mp4": "video", "表彰决定.doc": "text", "决定.ofd": "text",
                    "空白文档.docx": "left_out"}


def test_pdf_without_a_folder_goes_to_reports_and_writes_nothing_else(volumes):
    root = volumes[-1]
    res = CliRunner().invoke(cli, ["-w", str(root), "report", "--pdf"])
    assert res.exit_code == 0, res.output
    (folder,) = (root / "reports").iterdir()
    assert folder.name.endswith("_PDF") and sorted(p.name for p in folder.iterdir()) == [
        "01 1 组织领导.pdf", "02 2 宣传教育.pdf"]
    assert res.output.count("PDF 汇编:") == 2


@pytest.mark.parametrize("name,code", [("01 1 组织领导.pdf", "1"), ("02 2 宣传教育.pdf", "2"),
                                       ("00 全部考评项目.pdf", None)])
def test_volume_pages_bookmarks_and_contents_read_back(volumes, name, code):
    out, plans, whole, sources, _ = volumes
    vol = plans[code] if code else whole
    path = out / name
    reader = PdfReader(path)
    pieces = vol.pieces
    # page count: the cover, the contents, and each piece (a PDF's own pages, a scan's frames)
    for p in pieces:
        if p.how == "pdf":
            assert p.pages == len(PdfReader(sources[p.ev["id"]]).pages)
        elif p.name.endswith(".tif"):
            assert p.pages == 2
        elif p.how in ("image", "video", "left_out"):
            assert p.pages == 1
    assert len(reader.pages) == 1 + vol.contents_pages + sum(p.pages for p in pieces) == vol.pages
    doc = pdfium.PdfDocument(str(path))
    assert len(doc) == len(reader.pages)
    texts = page_texts(path)
    # every page carries its number, in PDFium's reading too
    for i in range(len(doc)):
        assert f"- {i + 1} -" in doc[i].get_textpage().get_text_range(), i
        assert texts[i].rstrip().endswith(f"- {i + 1} -"), i
    doc.close()
    # where each piece starts, read from the pages themselves
    starts = {}
    for p in pieces:
        page = texts[p.first - 1]
        if p.how == "pdf":
            src = PdfReader(sources[p.ev["id"]]).pages[0].extract_text() or ""
            assert compact(src) in compact(page)
        else:
            assert compact(p.name) in compact(page) and compact(p.material["title"]) in compact(page)
        starts[p.name] = p.first
    # the contents: each file's line ends with the page it starts on
    contents = "\n".join(texts[1:1 + vol.contents_pages])
    contents = re.sub(r"\n(\d+)(?=\n)", r"  \1", contents)      # a number read as a line of its own
    assert "目" in contents
    for p in pieces:
        line = next(x for x in contents.splitlines() if p.name in x)
        assert int(re.findall(r"(\d+)\s*$", line)[-1]) == starts[p.name], line
    # bookmarks: item > numbered item > material, each at its material's first page
    marks = {}

    def walk(items):
        for o in items:
            if isinstance(o, list):
                walk(o)
            else:
                marks[o.title] = reader.get_destination_page_number(o) + 1
    walk(reader.outline)
    for top, leaf, m, ps in vol.sections:
        key = f"{m['id']} {m['title']}"
        if ps:
            assert marks[key] == ps[0].first == min(starts[p.name] for p in ps)
            assert marks[f"{leaf['code']} {leaf['title']}"] <= marks[key]
        else:
            assert key not in marks and "暂无已确认的佐证" in contents
    assert {f"{t['code']} {t['title']}" for t in vol.tops if any(ps for tp, _, _, ps in vol.sections if tp is t)} \
        <= set(marks)


def compact(s: str) -> str:
    return "".join(s.split())


def test_photos_are_upright_and_a_file_that_cannot_go_in_says_why(volumes):
    out, plans, *_ = volumes
    vol = plans["2"]
    path = out / "02 2 宣传教育.pdf"
    photo = next(p for p in vol.pieces if p.name.endswith(".jpg"))
    page = PdfReader(path).pages[photo.first - 1]
    images = list(page.images)
    assert len(images) == 1
    img = images[0].image
    assert img.width > img.height        # stored sideways with Orientation 6: drawn turned back
    blank = next(p for p in vol.pieces if p.how == "left_out")
    text = PdfReader(path).pages[blank.first - 1].extract_text()
    assert "此文件未能收入本册" in text and "没有读出可排版的文字" in text and "空白文档.docx" in text
    video = next(p for p in vol.pieces if p.how == "video")
    vtext = PdfReader(path).pages[video.first - 1].extract_text()
    assert "慰问视频.mp4" in vtext and re.search(r"时长\s*\d+:\d\d", vtext)
    assert len(list(PdfReader(path).pages[video.first - 1].images)) == 1     # the poster frame


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_page_number_sits_at_the_foot_of_the_page_as_shown(tmp_path, rotate):
    from pypdf import PdfWriter
    from yingjian.report.pdfstream import PdfStream
    w = PdfWriter()
    w.add_blank_page(400, 600).rotate(rotate)
    w.write(tmp_path / "src.pdf")
    with open(tmp_path / "out.pdf", "wb") as fp:
        out = PdfStream(fp)
        with open(tmp_path / "src.pdf", "rb") as fh:
            out.copy_pages(PdfReader(fh), number_from=7)
        out.finish([], "t")
    img = pdfium.PdfDocument(str(tmp_path / "out.pdf"))[0].render(scale=1).to_pil().convert("L")
    dark = [(x, y) for x in range(img.width) for y in range(img.height) if img.getpixel((x, y)) < 128]
    assert dark, "no page number drawn"
    assert all(y > img.height - 30 and abs(x - img.width / 2) < 20 for x, y in dark), (img.size, dark[:3])


def test_a_long_scan_is_copied_without_holding_it_in_memory(tmp_path):
    """Pages are written one at a time: the peak of Python's allocations while a scan goes into
    a volume does not grow with the scan (40 pages cost what 10 do, give or take a page), where
    a plain pypdf merge holds every page until it writes."""
    import tracemalloc
    from pypdf import PdfWriter
    from yingjian.report import ReportData

    def peak_of(pages: int) -> tuple[int, int, int]:
        src = f.scanned_pdf(tmp_path / f"scan{pages}.pdf", [f"第{i}页 双拥工作会议纪要" for i in range(pages)],
                            noise=True)
        ev = {"id": "s", "path": "双拥办/1.1a/scan.pdf", "unit": "双拥办", "date": "2021-01-01",
              "confirmed": True, "counts": True}
        check = {"title": "t", "period": {"start": "2020-01-01", "end": "2023-12-31"}, "items": [
            {"code": "1", "title": "组织领导", "children": [{"code": "1.1", "title": "会议", "materials": [
                {"id": "1.1a", "title": "会议纪要", "evidence": [ev]}]}]}]}
        data = ReportData(check=check, office="某市", files=[{"id": "s", "format": "pdf", "kind": "document"}],
                          serves={}, problems=[], object_path=lambda sha: src)
        vol = V.plan(data, check["items"], "1 组织领导")
        V.write_volume(data, vol, tmp_path / "warm.pdf")          # fonts and modules loaded once
        tracemalloc.start()
        V.write_volume(data, vol, tmp_path / f"vol{pages}.pdf")
        ours = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(PdfReader(tmp_path / f"vol{pages}.pdf").pages) == pages + 2
        tracemalloc.start()
        w = PdfWriter()
        for page in PdfReader(src).pages:
            w.add_page(page)
        w.write(tmp_path / "merged.pdf")
        merged = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return ours, merged, src.stat().st_size

    small, long_ = peak_of(10), peak_of(40)
    page = long_[2] / 40
    assert long_[0] - small[0] < 2 * page, (small, long_)
    assert long_[1] - small[1] > 20 * page, (small, long_)          # the baseline does grow


def test_a_scan_that_breaks_midway_keeps_its_pages_numbered_and_says_why(tmp_path):
    """Its pages were counted, its second frame does not decode: the pages it cannot give say
    why, and the page numbers and the page count stay those of the contents."""
    import io
    from PIL import Image
    from yingjian.report import ReportData
    buf = io.BytesIO()
    Image.new("L", (400, 500), 255).save(buf, "TIFF", save_all=True, compression="tiff_deflate",
                                         append_images=[Image.new("L", (400, 500), 128)])
    raw = bytearray(buf.getvalue())
    frame = Image.open(io.BytesIO(bytes(raw)))
    frame.seek(1)
    for off, n in zip(frame.tag_v2[273], frame.tag_v2[279]):
        raw[off:off + n] = bytes(n)                      # the second frame's data, wiped
    (tmp_path / "scan.tif").write_bytes(bytes(raw))
    evs = [{"id": sha, "path": f"双拥办/2.1a/{sha}.tif", "unit": "双拥办", "date": f"2021-0{k}-01",
            "confirmed": True, "counts": True} for k, sha in enumerate(("broken", "good"), 1)]
    check = {"title": "t", "period": {"start": "2020-01-01", "end": "2023-12-31"}, "items": [
        {"code": "2", "title": "宣传教育", "children": [{"code": "2.1", "title": "活动", "materials": [
            {"id": "2.1a", "title": "活动照片", "evidence": evs}]}]}]}
    shutil.copy(FORMATS / "notice_scan_2pages.tif", tmp_path / "good.tif")
    data = ReportData(check=check, office="某市", serves={}, problems=[],
                      files=[{"id": e["id"], "format": "tiff", "kind": "photo"} for e in evs],
                      object_path=lambda sha: tmp_path / ("scan.tif" if sha == "broken" else "good.tif"))
    vol = V.plan(data, check["items"], "2 宣传教育")
    assert [p.pages for p in vol.pieces] == [2, 2]
    V.write_volume(data, vol, tmp_path / "v.pdf")
    texts = page_texts(tmp_path / "v.pdf")
    assert len(texts) == vol.pages == 2 + 4
    assert all(f"- {i + 1} -" in t for i, t in enumerate(texts))
    assert "收入时读取出错" in texts[2] and "broken.tif" in texts[2]
    assert "good.tif" in texts[vol.pieces[1].first - 1] and "收入时读取出错" not in texts[4]
