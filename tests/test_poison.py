"""Files that take a reader down or keep it busy for ever (tests/hostile.py's `build_poison`):
one `yingjian ingest` in its own process survives all of them with a reason for each, the good
files of another unit are searchable, the change log grows with the members, not their square,
and a second pass touches none of them again; a running `yingjian watch` keeps going across
them; a file given up is read again only when the office asks (`yingjian retry`)."""
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests import factories as f
from tests import hostile
from tests.conftest import set_watch_options
from yingjian import records
from yingjian.cli import cli
from yingjian.workspace import Workspace


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["init", str(root), "--units", "人武部,教育局"]).exit_code == 0
    set_watch_options(root, stable_seconds=0.2, incomplete_after=1)
    p = root / "yingjian.toml"
    text = re.sub(r"(?m)^max_pdf_pages = .*$", "max_pdf_pages = 20", p.read_text(encoding="utf-8"))
    text = re.sub(r'(?m)^workers = .*$', "workers = 1", text)
    p.write_text(text, encoding="utf-8")
    return root


def _good_files(inbox: Path) -> dict[str, str]:
    """Three ordinary files of another unit: path -> a word each is found by."""
    f.text_pdf(inbox / "教育局/2021年征兵工作总结.pdf", ["2021年征兵工作总结\n2021年10月20日"])
    f.docx_file(inbox / "教育局/走访慰问方案.docx", ["八一走访慰问方案", "2022年7月20日"])
    f.xlsx_file(inbox / "教育局/优抚对象台账.xlsx", [["姓名", "类别"], ["张国强", "伤残军人"]])
    return {"教育局/2021年征兵工作总结.pdf": "征兵工作总结", "教育局/走访慰问方案.docx": "走访慰问方案",
            "教育局/优抚对象台账.xlsx": "伤残军人"}


def _yingjian(root: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yingjian", "-w", str(root), *args],
                          capture_output=True, timeout=timeout)


def _codes(ws: Workspace, cases) -> dict[str, set[str]]:
    """case path -> the reason codes of it and of its members."""
    found: dict[str, set[str]] = {c.path: set() for c in cases}
    for p in records.problems(ws.catalog):
        for c in cases:
            if p["path"] == c.path or p["path"].startswith(c.path + "/"):
                found[c.path].add(p["reason_code"])
    return found


@pytest.mark.slow
def test_one_ingest_survives_every_poison_file_and_a_second_pass_touches_none(tmp_path):
    root = _workspace(tmp_path)
    inbox = root / "inbox"
    cases = hostile.build_poison(inbox / "人武部")
    good = _good_files(inbox)

    first = _yingjian(root, "ingest", "--json")
    assert first.returncode == 0, first.stderr.decode("utf-8", "replace")[-3000:]
    assert b"PanicException" not in first.stderr and b"stack backtrace" not in first.stderr

    for path, word in good.items():
        hits = json.loads(_yingjian(root, "search", word, "--json").stdout)["hits"]
        assert path in [h["path"] for h in hits], (word, hits)

    ws = Workspace.open(root)
    try:
        rows = {r["path"]: r for r in records.files(ws.catalog)}
        codes = _codes(ws, cases)
        for c in cases:
            row = rows[c.path]
            if c.expect == hostile.PROBLEM:
                assert row["status"] == "problem", (c.what, row)
            elif c.expect == hostile.NOTE:
                assert row["status"] == "ok", (c.what, row)
            for code in c.words:
                assert code in codes[c.path], (c.what, codes[c.path])
        # the pages past the cap are never read, and those before it are
        ofd = ws.catalog.object(rows["人武部/长篇扫描公文.ofd"]["id"])
        assert json.loads(ofd["ocr_todo"]) == list(range(20)) and ofd["ocr"] == "done"
        tif = ws.catalog.object(rows["人武部/多页扫描.tif"]["id"])
        assert json.loads(tif["ocr_todo"]) == list(range(20))
        # 7z: the bomb stopped, the file before it kept; unsafe names kept under safe paths
        assert rows["人武部/压缩炸弹.7z/a.txt"]["status"] == "ok"
        assert {"人武部/路径穿越.7z/evil.txt", "人武部/路径穿越.7z/etc/evil2.txt",
                "人武部/路径穿越.7z/正常.txt"} <= set(rows)
        assert not list(tmp_path.rglob("evil*.txt"))
        # 16 + 256 + 4,096 members of 42.zip: the change log grows with them, not their square
        nested = [p for p in rows if p.startswith("人武部/42.zip/")]
        assert len(nested) == 16 + 256 + 4096
        changes = ws.catalog.last_seq()
        assert changes <= 3 * len(rows), (changes, len(rows))
        attempts = {c.path: ws.catalog.object(rows[c.path]["id"])["read_attempts"] for c in cases}
        assert all(n == 1 for n in attempts.values()), attempts
    finally:
        ws.close()

    second = _yingjian(root, "ingest", "--json")
    assert second.returncode == 0
    again = json.loads(second.stdout)
    assert again["ingested"] == 0 and again["problems"] == [] and again["ocr"]["pages_total"] == 0
    ws = Workspace.open(root)
    try:
        assert ws.catalog.last_seq() == changes            # not one row touched again
        assert {c.path: ws.catalog.object(rows[c.path]["id"])["read_attempts"]
                for c in cases} == attempts
    finally:
        ws.close()


@pytest.mark.slow
def test_the_watcher_keeps_running_across_every_poison_file(tmp_path):
    root = _workspace(tmp_path)
    inbox = root / "inbox"
    log = open(tmp_path / "watch.out", "wb")       # a file: 4,096 warnings would fill a pipe
    proc = subprocess.Popen([sys.executable, "-m", "yingjian", "-w", str(root), "watch"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(2)
        cases = hostile.build_poison(inbox / "人武部")
        deadline = time.monotonic() + 300
        done: set[str] = set()
        while time.monotonic() < deadline and len(done) < len(cases):
            time.sleep(1)
            assert proc.poll() is None, "the watcher stopped"
            ws = Workspace.open(root)
            try:
                rows = {r["path"]: r for r in records.files(ws.catalog)}
            finally:
                ws.close()
            done = {c.path for c in cases if c.path in rows and rows[c.path]["status"] != "pending"}
        assert len(done) == len(cases), set(c.path for c in cases) - done
        good = _good_files(inbox)
        found: list = []
        while time.monotonic() < deadline and len(found) < len(good):
            time.sleep(1)
            found = [p for p, word in good.items() if p in [h["path"] for h in json.loads(
                _yingjian(root, "search", word, "--json").stdout)["hits"]]]
        assert sorted(found) == sorted(good)
        assert proc.poll() is None, "the watcher stopped"
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()
    out = (tmp_path / "watch.out").read_text(encoding="utf-8", errors="replace")
    assert "已归档 人武部/损坏的台账.xls" in out and "程序异常退出" in out, out[-3000:]
    assert "PanicException" not in out


def test_a_file_whose_reads_never_finished_is_given_up_until_the_office_retries(ws, inbox):
    from archive.catalog import Catalog
    from tests.conftest import ingest
    f.text_pdf(inbox / "人武部/通知.pdf", ["关于开展双拥工作的通知\n2021年3月1日"])
    p = inbox / "人武部/通知.pdf"
    sha = ws.store.put_file(p, 1 << 30, lambda: True)[0]
    # three reads that took the whole process down before they could finish (a power cut,
    # the task manager): the object is left pending with its count, as a killed ingest leaves it
    ws.catalog.record(unit="人武部", path="人武部/通知.pdf", name="通知.pdf", sha=sha,
                      size=p.stat().st_size, fmt="pdf", kind="document", mtime_ns=None)
    for _ in range(3):
        ws.catalog.start_read(sha)
    ingest(ws)
    row = ws.catalog.object(sha)
    assert (row["state"], json.loads(row["reason"])["code"]) == ("problem", "read_gave_up")
    assert records.problems(ws.catalog)[0]["reason"].startswith("读取 PDF 文件已中断 3 次")
    ingest(ws)                                               # not tried again on its own
    assert ws.catalog.object(sha)["read_attempts"] == 4

    res = CliRunner().invoke(cli, ["-w", str(ws.config.root), "retry", sha[:8], "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert (out["id"], out["paths"], out["status"]) == (sha, ["人武部/通知.pdf"], "ok")
    row = Catalog(ws.config.catalog).object(sha)
    assert (row["state"], row["read_attempts"], row["date"]) == ("ok", 1, "2021-03-01")


def test_retry_of_a_crashing_file_says_it_still_crashes(ws, inbox):
    from tests.conftest import ingest
    hostile.xls_sheet_offset_past_end(inbox / "人武部/损坏的台账.xls")
    ingest(ws)
    res = CliRunner().invoke(cli, ["-w", str(ws.config.root), "retry", "人武部/损坏的台账.xls"])
    assert res.exit_code == 0, res.output
    assert "仍有问题" in res.output and "读取 XLS 文件时程序异常退出" in res.output


def test_paged_formats_stop_at_the_page_cap_with_a_warning(tmp_path):
    from archive.extract import extract
    from archive.limits import Limits
    from yingjian.messages import reason
    lim = Limits(max_pdf_pages=20)
    ofd = extract(hostile.ofd_scanned_pages(tmp_path / "长.ofd", 60), "ofd", lim)
    assert (ofd.page_count, len(ofd.pages), ofd.ocr_pages) == (60, 20, list(range(20)))
    assert reason(ofd.note) == "OFD 文件页数过多(60 页),只读取了前 20 页"
    tif = extract(hostile.tiff_many_frames(tmp_path / "长.tif", 60), "tiff", lim)
    assert (tif.page_count, tif.ocr_pages) == (20, list(range(20)))
    assert reason(tif.note) == "TIFF 文件页数过多(20+ 页),只读取了前 20 页"
    short = extract(hostile.tiff_many_frames(tmp_path / "短.tif", 5), "tiff", lim)
    assert short.page_count == 5 and short.note is None


def test_an_ofd_is_parsed_once_for_the_ocr_of_all_its_pages(tmp_path, monkeypatch):
    from archive import ocr
    from archive.limits import Limits
    from archive.readers import ofd
    path = hostile.ofd_scanned_pages(tmp_path / "长.ofd", 30)
    calls = []
    real = ofd.read_ofd
    monkeypatch.setattr(ofd, "read_ofd", lambda *a: calls.append(a) or real(*a))
    images = [ocr.page_images(path, "ofd", page, Limits()) for page in range(30)]
    assert all(len(i) == 1 and i[0].size == (48, 48) for i in images)
    assert len(calls) == 1


def test_a_tiff_page_is_reached_without_walking_the_file_again(tmp_path, monkeypatch):
    from PIL import Image

    from archive import ocr
    from archive.limits import Limits
    path = hostile.tiff_many_frames(tmp_path / "长.tif", 40)
    opened = []
    real = Image.open
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(a) or real(*a, **k))
    for page in range(1, 40):
        assert ocr.page_images(path, "tiff", page, Limits())[0].size == (48, 48)
    assert len(opened) == 1


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_a_read_in_a_batch_the_killed_process_never_committed_is_still_counted(ws, inbox):
    """Reads are counted in the catalog, but inside a batch that count commits with the
    batch: a process killed in the middle of a read (here, by itself, the moment the read
    begins) would forget it and try the same file for ever. The journal of reads in flight
    keeps it: the next pass counts the read that never finished."""
    f.text_pdf(inbox / "人武部/通知.pdf", ["关于开展双拥工作的通知\n2021年3月1日"])
    script = (
        "import os, signal, sys\n"
        "import archive.ingest as ingest\n"
        "from yingjian.workspace import Workspace\n"
        "ingest.read_object = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
        "ws = Workspace.open(sys.argv[1])\n"
        "ws.ingestor(stable_seconds=0, incomplete_after=0).ingest_pass()\n")
    proc = subprocess.run([sys.executable, "-c", script, str(ws.config.root)], timeout=120)
    assert proc.returncode == -signal.SIGKILL
    from tests.conftest import ingest
    ingest(ws)
    (row,) = [r for r in records.files(ws.catalog) if r["path"] == "人武部/通知.pdf"]
    assert row["status"] == "ok"
    assert ws.catalog.object(row["id"])["read_attempts"] == 2     # the killed read, and this one


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_another_live_process_s_reads_in_flight_are_neither_counted_nor_erased(ws, inbox):
    """A watcher, the web app's uploads and a clerk's `ingest` run at once, each noting the reads
    it begins. A process starting while another is in the middle of a read must not count that
    read as a killed process's (three such counts give a good file up unread), nor erase its
    note; once that process is killed, the next one counts its read, once."""
    f.text_pdf(inbox / "人武部/通知.pdf", ["关于开展双拥工作的通知\n2021年3月1日"])
    script = (
        "import sys\n"
        "import archive.ingest as ingest\n"
        "from yingjian.workspace import Workspace\n"
        "ingest.read_object = lambda *a, **k: (print('reading', flush=True), sys.stdin.read())\n"
        "ws = Workspace.open(sys.argv[1])\n"
        "ws.ingestor(stable_seconds=0, incomplete_after=0).ingest_pass()\n")
    reader = subprocess.Popen([sys.executable, "-c", script, str(ws.config.root)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "reading"
        journals = ws.config.archive / "reads-in-flight.d"
        (theirs,) = list(journals.iterdir())
        assert theirs.read_text().startswith("+")
        beside = ws.ingestor(stable_seconds=0, incomplete_after=0)
        beside.catch_up()                   # what a second process does first
        assert beside._unfinished == {}
        assert theirs.read_text().startswith("+")
    finally:
        reader.kill()
        reader.wait(30)
    after = ws.ingestor(stable_seconds=0, incomplete_after=0)
    after.catch_up()
    assert list(after._unfinished.values()) == [1] and not theirs.exists()
    after.ingest_pass()
    (row,) = [r for r in records.files(ws.catalog) if r["path"] == "人武部/通知.pdf"]
    assert row["status"] == "ok"
    assert ws.catalog.object(row["id"])["read_attempts"] == 2     # the killed read, and this one
    assert not list(journals.iterdir())                            # nothing left to take over
