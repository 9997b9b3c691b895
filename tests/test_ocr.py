"""OCR of scans and photos on real rendered material (a CJK font draws the pages, RapidOCR reads
them back), through the real pipeline: ingest, OCR queue, catalog, search index."""
import json
import os
import socket

import pytest
from PIL import Image

from archive import ocr
from archive.limits import Limits
from tests import factories as f
from tests.conftest import files_by_path, ingest
from yingjian.messages import reason as say

PAGES = ["双拥工作领导小组会议纪要\n研究部署走访慰问驻地部队工作",
         "捧乍镇烈士陵园修缮情况\n完成祭扫道路硬化三百米",
         "退役军人就业安置台账\n乌沙镇张国强已安置\n二〇一八年十二月二十四日"]


def run_ocr(ws, workers=0):
    with ws.ocr_queue(workers=workers) as q:
        return q.run()


def compact(s: str) -> str:
    return "".join(s.split())


@pytest.mark.slow
def test_multi_page_scan_is_read_page_by_page_and_dated_by_its_last_page(ws, inbox):
    f.scanned_pdf(inbox / "人武部/会议纪要扫描件.pdf", PAGES)
    ingest(ws)
    row = files_by_path(ws)["人武部/会议纪要扫描件.pdf"]
    assert row["status"] == "ok" and row["text_chars"] == 0       # archived and listed at once
    assert ws.catalog.ocr_pending()[0]["left"] == [0, 1, 2]

    p = run_ocr(ws)
    assert (p.pages_done, p.pages_total, p.files_done) == (3, 3, 1)
    obj = ws.catalog.object(row["id"])
    pages = obj["text"].split("\f")
    assert len(pages) == 3
    for want, got in zip(PAGES, pages):
        assert compact(want.splitlines()[0]) in compact(got)
    read = ws.catalog.ocr_pages(row["id"])
    assert sorted(read) == [0, 1, 2] and all(r["confidence"] > 0.8 for r in read.values())
    row = files_by_path(ws)["人武部/会议纪要扫描件.pdf"]
    assert (row["date"], row["date_source"]) == ("2018-12-24", "content")
    assert row["text_chars"] > 40

    ws.sync_index()
    assert [h.path for h in ws.index.search("烈士陵园").hits] == ["人武部/会议纪要扫描件.pdf"]
    assert [h.path for h in ws.index.search("张国强").hits] == ["人武部/会议纪要扫描件.pdf"]


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["jpeg", "ccitt", "flate"])
def test_scans_in_every_encoding_scanners_use_are_read(ws, inbox, encoding):
    f.scanned_pdf(inbox / f"人武部/{encoding}.pdf", PAGES[1:2], encoding=encoding)
    ingest(ws)
    assert run_ocr(ws).pages_done == 1
    assert "捧乍镇烈士陵园" in compact(ws.catalog.object(files_by_path(ws)[f"人武部/{encoding}.pdf"]["id"])["text"])


def test_an_older_catalog_is_migrated_in_place(ws):
    import sqlite3
    from archive import Catalog
    path = ws.config.catalog
    ws.close()
    db = sqlite3.connect(path)
    db.executescript("DROP INDEX objects_ocr; ALTER TABLE objects DROP COLUMN ocr; "
                     "ALTER TABLE objects DROP COLUMN ocr_todo; DROP TABLE ocr_pages; "
                     "UPDATE meta SET value = '1' WHERE key = 'schema'; "
                     "DELETE FROM schema_versions WHERE store = 'catalog';")
    db.close()
    c = Catalog(path)
    assert c.ocr_pending() == [] and c.schema_version() == len(Catalog.MIGRATIONS)
    c.close()


@pytest.mark.slow
def test_crooked_noisy_scan_is_still_read(ws, inbox):
    text = "关于做好二〇二一年度拥军优属工作的通知\n各镇人民政府要高度重视优抚对象走访慰问"
    f.scanned_pdf(inbox / "教育局/歪斜扫描.pdf", [text], angle=2.5, noise=True)
    ingest(ws)
    run_ocr(ws)
    got = compact(ws.catalog.object(files_by_path(ws)["教育局/歪斜扫描.pdf"]["id"])["text"])
    for phrase in ("拥军优属工作的通知", "优抚对象走访慰问"):
        assert phrase in got


@pytest.mark.slow
def test_sideways_photo_is_turned_upright_before_reading(ws, inbox):
    f.photo_jpeg(inbox / "教育局/IMG_20210801_093000.jpg", "热烈庆祝八一建军节",
                 exif_date="2021:08:01 09:30:00", sideways=True)
    ingest(ws)
    run_ocr(ws)
    row = files_by_path(ws)["教育局/IMG_20210801_093000.jpg"]
    assert "热烈庆祝八一建军节" in compact(ws.catalog.object(row["id"])["text"])
    assert (row["date"], row["date_source"]) == ("2021-08-01", "exif")
    thumb = Image.open(ws.thumbnails.get(row["id"]))
    assert thumb.width > thumb.height           # stored 600×800, shown 800×600


def test_text_pdf_spends_no_ocr(ws, inbox):
    f.text_pdf(inbox / "人武部/正式文件.pdf", ["2021年征兵工作总结\n2021年10月20日"])
    ingest(ws)
    assert ws.catalog.ocr_pending() == []
    assert run_ocr(ws).pages_total == 0
    sha = files_by_path(ws)["人武部/正式文件.pdf"]["id"]
    assert ws.catalog.object(sha)["ocr"] is None and ws.catalog.ocr_pages(sha) == {}


@pytest.mark.slow
def test_same_content_in_two_units_is_read_once(ws, inbox):
    f.scanned_pdf(inbox / "人武部/通知.pdf", PAGES[:1])
    (inbox / "教育局/通知副本.pdf").write_bytes((inbox / "人武部/通知.pdf").read_bytes())
    ingest(ws)
    assert run_ocr(ws).pages_done == 1
    f.scanned_pdf(inbox / "教育局/另一份.pdf", PAGES[1:2])
    ingest(ws)
    assert run_ocr(ws).pages_done == 1          # only the new file; nothing read twice
    ws.sync_index()
    assert sorted(h.path for h in ws.index.search("领导小组").hits) == [
        "人武部/通知.pdf", "教育局/通知副本.pdf"]


@pytest.mark.slow
def test_ocr_resumes_after_a_kill_without_reading_a_page_twice(ws, inbox):
    f.scanned_pdf(inbox / "人武部/三页.pdf", PAGES)
    ingest(ws)
    sha = files_by_path(ws)["人武部/三页.pdf"]["id"]
    # what a process killed after reading page 1 leaves behind
    first = ocr.read_page((sha, str(ws.store.path(sha)), "pdf", 0, ws.config.limits))
    ws.catalog.save_ocr_page(sha, 0, first.text, first.confidence, first.seconds)
    assert ws.catalog.ocr_pending()[0]["left"] == [1, 2]
    assert run_ocr(ws).pages_done == 2
    assert "领导小组" in compact(ws.catalog.object(sha)["text"])


@pytest.mark.slow
def test_undecodable_scan_page_gets_a_reason_and_never_stops_the_queue(ws, inbox):
    good = f.scanned_pdf(inbox / "人武部/好页.pdf", PAGES[:1])
    # the same scan with its page image damaged (the JPEG's header overwritten, same length)
    data = good.read_bytes()
    start = data.index(b"\xff\xd8\xff")
    (inbox / "人武部/坏页.pdf").write_bytes(data[:start] + b"\x00" * 64 + data[start + 64:])
    ingest(ws)
    p = run_ocr(ws)
    assert (p.pages_done, p.files_done) == (2, 2)
    bad = ws.catalog.object(files_by_path(ws)["人武部/坏页.pdf"]["id"])
    assert bad["ocr"] == "failed" and "第 1 页" in say(json.loads(bad["info"])["note"])
    assert ws.catalog.object(files_by_path(ws)["人武部/好页.pdf"]["id"])["ocr"] == "done"


# loaded by every Python process started with it on PYTHONPATH (the OCR pool spawns its
# workers, which inherit the environment): a connection attempt is written down and refused
_NET_GUARD = """
import os, socket
_log = os.environ["YINGJIAN_TEST_NET_LOG"]
with open(_log + ".loaded", "a") as f:
    f.write(str(os.getpid()) + "\\n")
def _refuse(*a, **k):
    with open(_log, "a") as f:
        f.write(str(os.getpid()) + " " + repr((a, k)) + "\\n")
    raise OSError("OCR tried to open a network connection")
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
"""


@pytest.mark.slow
def test_ocr_never_touches_the_network(ws, inbox, monkeypatch, tmp_path):
    """Neither this process nor the OCR worker processes it spawns open a connection."""
    def refuse(*a, **k):
        raise AssertionError("OCR tried to open a network connection")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(ocr, "_ENGINE", None)          # load the models again, offline
    guard = tmp_path / "netguard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(_NET_GUARD, encoding="utf-8")
    log = tmp_path / "connections.log"
    monkeypatch.setenv("YINGJIAN_TEST_NET_LOG", str(log))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(guard),
                                                                   os.environ.get("PYTHONPATH")])))
    f.photo_jpeg(inbox / "人武部/横幅.jpg", "军民鱼水一家亲")
    f.photo_jpeg(inbox / "教育局/标语.jpg", "双拥共建谱新篇")
    ingest(ws)
    run_ocr(ws)                                         # in this process
    by = files_by_path(ws)
    assert "军民鱼水一家亲" in compact(ws.catalog.object(by["人武部/横幅.jpg"]["id"])["text"])
    f.photo_jpeg(inbox / "人武部/横幅二.jpg", "拥军优属模范")
    ingest(ws)
    run_ocr(ws, workers=2)                              # in spawned worker processes
    by = files_by_path(ws)
    assert "拥军优属模范" in compact(ws.catalog.object(by["人武部/横幅二.jpg"]["id"])["text"])
    workers = set((tmp_path / "connections.log.loaded").read_text().split()) - {str(os.getpid())}
    assert workers, "the guard was not loaded in any OCR worker"
    assert not log.exists(), log.read_text()


@pytest.mark.slow
def test_worker_pool_reads_scans_and_photos(ws, inbox):
    f.scanned_pdf(inbox / "人武部/两页.pdf", PAGES[:2])
    f.photo_jpeg(inbox / "教育局/横幅.jpg", "双拥共建谱新篇")
    ingest(ws)
    p = run_ocr(ws, workers=2)
    assert (p.pages_done, p.files_done) == (3, 2)
    ws.sync_index()
    assert [h.path for h in ws.index.search("双拥共建").hits] == ["教育局/横幅.jpg"]
    assert [h.path for h in ws.index.search("捧乍镇").hits] == ["人武部/两页.pdf"]


def test_thumbnails_of_a_scan_and_a_text_document(ws, inbox):
    f.scanned_pdf(inbox / "人武部/扫描.pdf", PAGES[:1])
    f.docx_file(inbox / "教育局/总结.docx", ["拥军优属工作总结", "2022年1月20日"])
    ingest(ws)
    by = files_by_path(ws)
    for path in ("人武部/扫描.pdf", "教育局/总结.docx"):
        t = ws.thumbnails.get(by[path]["id"])
        img = Image.open(t)
        assert img.format == "JPEG" and max(img.size) <= 320 and img.height > img.width
    # the scan's thumbnail is the page itself: mostly white with dark text near the top
    scan = Image.open(ws.thumbnails.get(by["人武部/扫描.pdf"]["id"])).convert("L")
    assert scan.crop((0, 0, scan.width, scan.height // 3)).getextrema()[0] < 100
    assert ws.thumbnails.get("0" * 64) is None


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_a_scanned_pdf_jpeg_is_decoded_once_from_its_own_bytes(tmp_path, mode):
    """A DCT image is opened from the stream's JPEG bytes (pypdf would decode it, encode it
    again and hand that back): the same pixels as the JPEG itself, and read."""
    import io

    from pypdf import PdfReader
    img = f.page_image(PAGES[0]).convert(mode)
    img.save(tmp_path / "scan.pdf", "PDF", resolution=150)
    x = next(iter(PdfReader(str(tmp_path / "scan.pdf")).pages[0]["/Resources"]["/XObject"]
                  .values())).get_object()
    direct = ocr._jpeg_in_pdf(x)
    assert direct is not None and direct.mode == mode
    assert direct.tobytes() == Image.open(io.BytesIO(x.get_data())).tobytes()
    got = ocr.page_images(tmp_path / "scan.pdf", "pdf", 0, Limits())
    assert len(got) == 1 and got[0].size == img.size
    text, _ = ocr.recognize(got[0], fmt="pdf")
    assert compact(PAGES[0].splitlines()[0]) in compact(text)


def test_a_pdf_image_pypdf_must_decode_is_left_to_it(tmp_path):
    from pypdf import PdfReader
    pdf = f.scanned_pdf(tmp_path / "scan.pdf", PAGES[:1], encoding="flate")
    page = PdfReader(str(pdf)).pages[0]
    x = next(iter(page["/Resources"]["/XObject"].values())).get_object()
    assert "/FlateDecode" in x.get("/Filter") and ocr._jpeg_in_pdf(x) is None
