"""Ingest of every kind of file, and of the ways units really hand them in."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archive import reasons
from tests import factories as f
from tests.conftest import files_by_path, ingest
from yingjian.messages import reason as say

pytestmark = pytest.mark.usefixtures("on_both_databases")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_text_pdf_is_archived_with_its_text_pages_and_signing_date(ws, inbox):
    p = f.text_pdf(inbox / "人武部/征兵总结.pdf",
                   ["2021年征兵工作总结", "圆满完成征兵任务\n某某市人民武装部\n2021年10月20日"])
    s = ingest(ws)
    assert (s.ingested, s.duplicates, s.problems) == (1, 0, [])
    row = files_by_path(ws)["人武部/征兵总结.pdf"]
    assert row["id"] == sha(p)
    assert (row["kind"], row["pages"], row["status"]) == ("document", 2, "ok")
    assert (row["date"], row["date_source"]) == ("2021-10-20", "content")
    obj = ws.catalog.object(row["id"])
    assert "圆满完成征兵任务" in obj["text"]
    assert ws.store.path(row["id"]).read_bytes() == p.read_bytes()


def test_a_text_file_typed_in_full_width_is_dated_from_its_content(ws, inbox):
    p = inbox / "人武部/通知.txt"
    p.write_text("关于开展双拥工作的通知\n某某市人民武装部\n２０２２年３月１日\n", encoding="utf-8")
    os.utime(p, ns=(1_600_000_000 * 10**9, 1_600_000_000 * 10**9))   # a file time in 2020
    ingest(ws)
    row = files_by_path(ws)["人武部/通知.txt"]
    assert (row["date"], row["date_source"]) == ("2022-03-01", "content")


def test_original_is_never_modified_moved_or_deleted(ws, inbox):
    p = f.text_pdf(inbox / "人武部/a.pdf", ["原件"])
    before = (p.read_bytes(), p.stat().st_mtime_ns)
    ingest(ws)
    ingest(ws)
    assert (p.read_bytes(), p.stat().st_mtime_ns) == before


def test_scanned_pdf_has_pages_and_takes_its_date_from_the_file_name(ws, inbox):
    f.scanned_pdf(inbox / "教育局/扫描全能王 2018-12-24 10.32.pdf", ["第一页", "第二页"])
    ingest(ws)
    row = files_by_path(ws)["教育局/扫描全能王 2018-12-24 10.32.pdf"]
    assert (row["kind"], row["pages"], row["text_chars"]) == ("document", 2, 0)
    assert (row["date"], row["date_source"]) == ("2018-12-24", "filename")


def test_photo_keeps_exif_date_size_and_orientation(ws, inbox):
    f.photo_jpeg(inbox / "人武部/慰问.jpg", "八一慰问", exif_date="2022:08:01 09:30:00",
                 orientation=6, size=(640, 480))
    ingest(ws)
    row = files_by_path(ws)["人武部/慰问.jpg"]
    assert (row["kind"], row["date"], row["date_source"]) == ("photo", "2022-08-01", "exif")
    info = json.loads(ws.catalog.object(row["id"])["info"])
    assert (info["width"], info["height"], info["orientation"]) == (640, 480, 6)


def test_docx_and_xlsx_text_is_extracted(ws, inbox):
    f.docx_file(inbox / "教育局/总结.docx", ["国防教育工作总结", "2022年6月30日"],
                table=[["班级", "课时"], ["初一(3)班", "4"]])
    f.xlsx_file(inbox / "人武部/台账.xlsx", [["姓名", "乡镇"], ["张国强", "捧乍镇"]])
    ingest(ws)
    rows = files_by_path(ws)
    docx_text = ws.catalog.object(rows["教育局/总结.docx"]["id"])["text"]
    xlsx_text = ws.catalog.object(rows["人武部/台账.xlsx"]["id"])["text"]
    assert "国防教育工作总结" in docx_text and "初一(3)班" in docx_text
    assert "捧乍镇" in xlsx_text and "张国强" in xlsx_text
    assert rows["教育局/总结.docx"]["date"] == "2022-06-30"
    assert rows["人武部/台账.xlsx"]["kind"] == "ledger"


def test_kind_is_decided_from_the_bytes_not_the_extension(ws, inbox):
    f.photo_jpeg(inbox / "人武部/其实是照片.pdf", exif_date="2020:01:02 03:04:05")
    f.text_pdf(inbox / "人武部/其实是PDF.docx", ["内容"])
    ingest(ws)
    rows = files_by_path(ws)
    assert rows["人武部/其实是照片.pdf"]["kind"] == "photo"
    assert rows["人武部/其实是照片.pdf"]["format"] == "jpeg"
    assert rows["人武部/其实是PDF.docx"]["format"] == "pdf"
    assert rows["人武部/其实是PDF.docx"]["status"] == "ok"


def test_same_bytes_from_two_units_is_one_object_and_two_sources(ws, inbox):
    p = f.text_pdf(inbox / "人武部/通知.pdf", ["同一份通知"])
    shutil.copy(p, inbox / "教育局/转发的通知.pdf")
    s = ingest(ws)
    assert (s.ingested, s.duplicates) == (1, 1)
    rows = files_by_path(ws)
    assert rows["人武部/通知.pdf"]["id"] == rows["教育局/转发的通知.pdf"]["id"]
    assert rows["教育局/转发的通知.pdf"]["duplicate_of"] == "人武部/通知.pdf"
    assert len(list(p for p in ws.config.objects.rglob("*") if p.is_file()
                    and p.parent.name != "tmp")) == 1


def test_modified_file_gets_a_new_version_and_the_old_one_is_kept(ws, inbox):
    p = f.text_pdf(inbox / "人武部/计划.pdf", ["初稿"])
    old = sha(p)
    ingest(ws)
    f.text_pdf(p, ["定稿"])
    os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 10**9))
    s = ingest(ws)
    assert s.ingested == 1
    row = files_by_path(ws)["人武部/计划.pdf"]
    assert row["versions"] == 2 and row["id"] == sha(p) != old
    assert ws.store.has(old)
    assert [v["sha"] for v in ws.catalog.versions(ws.catalog.source("人武部/计划.pdf").id)] == [old, row["id"]]


def test_file_deleted_by_its_unit_is_kept_and_marked_withdrawn(ws, inbox):
    p = f.text_pdf(inbox / "人武部/撤回.pdf", ["将被删除"])
    digest = sha(p)
    ingest(ws)
    p.unlink()
    s = ingest(ws)
    assert s.withdrawn == 1
    row = files_by_path(ws)["人武部/撤回.pdf"]
    assert row["status"] == "withdrawn" and ws.store.has(digest)


def test_missing_unit_folder_withdraws_nothing(ws, inbox):
    """An unmounted share or a renamed unit folder must not look like mass deletion."""
    f.text_pdf(inbox / "人武部/a.pdf", ["甲"])
    ingest(ws)
    shutil.rmtree(inbox / "人武部")
    assert ingest(ws).withdrawn == 0


def test_second_pass_with_nothing_new_ingests_nothing(ws, inbox):
    f.text_pdf(inbox / "人武部/a.pdf", ["甲"])
    f.photo_jpeg(inbox / "教育局/b.jpg")
    ingest(ws)
    seq = ws.catalog.last_seq()
    s = ingest(ws)
    assert (s.scanned, s.ingested, s.unchanged, s.duplicates) == (2, 0, 2, 0)
    assert ws.catalog.last_seq() == seq


def test_temporary_and_system_files_are_ignored(ws, inbox):
    for name in ("~$总结.docx", ".~lock.台账.xlsx#", "Thumbs.db", "desktop.ini", ".DS_Store",
                 "下载中.tmp", "大文件.part"):
        (inbox / "人武部" / name).write_bytes(b"junk")
    f.text_pdf(inbox / "人武部/正式文件.pdf", ["正文"])
    s = ingest(ws)
    assert s.scanned == 1 and list(files_by_path(ws)) == ["人武部/正式文件.pdf"]


def test_zip_with_gbk_names_is_expanded_into_members(ws, inbox):
    doc = f.docx_file(ws.config.root / "tmp/课程.docx", ["国防教育课程记录", "2021年9月10日"])
    f.zip_with_names(inbox / "教育局/资料.zip", {
        "6.1b 国防教育/课程记录.docx": doc.read_bytes(),
        "照片/升旗仪式.txt": "升旗仪式 2021年10月1日".encode("utf-8"),
    })
    s = ingest(ws)
    rows = files_by_path(ws)
    member = rows["教育局/资料.zip/6.1b 国防教育/课程记录.docx"]
    assert member["unit"] == "教育局" and member["kind"] == "document"
    assert member["date"] == "2021-09-10"
    assert "教育局/资料.zip/照片/升旗仪式.txt" in rows
    assert s.problems == []


def test_zip_slip_member_is_archived_under_a_safe_path_and_reported(ws, inbox, tmp_path):
    f.raw_zip(inbox / "人武部/恶意.zip", {"../../逃逸.txt": b"escape", "/etc/abs.txt": b"abs",
                                            "C:\\Windows\\win.txt": b"win"})
    s = ingest(ws)
    rows = files_by_path(ws)
    for safe in ("人武部/恶意.zip/逃逸.txt", "人武部/恶意.zip/etc/abs.txt",
                 "人武部/恶意.zip/Windows/win.txt"):
        assert rows[safe]["status"] == "problem"
        assert "路径不安全" in rows[safe]["reason"]
    assert not (tmp_path / "逃逸.txt").exists() and not (inbox / "逃逸.txt").exists()
    assert len(s.problems) == 3


def test_symlink_out_of_the_inbox_is_not_followed(ws, inbox, tmp_path):
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("不该被读取", encoding="utf-8")
    os.symlink(secret, inbox / "人武部" / "link.txt")
    os.symlink(secret.parent, inbox / "人武部" / "linkdir")
    s = ingest(ws)
    rows = files_by_path(ws)
    assert rows["人武部/link.txt"]["status"] == "refused"
    assert rows["人武部/link.txt"]["reason_code"] == reasons.SYMLINK_OUTSIDE.code
    assert rows["人武部/link.txt"]["reason"] == say(reasons.SYMLINK_OUTSIDE)
    assert rows["人武部/link.txt"]["id"] is None
    assert not any("secret" in p for p in rows)
    assert len(s.problems) == 2


def _rss_mb() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_decompression_bombs_are_refused_without_using_the_memory_they_claim(ws, inbox):
    f.png_bomb(inbox / "人武部/巨图.png")                 # claims 3.6 gigapixels (10 GB)
    f.zip_bomb(inbox / "人武部/炸弹.zip", megabytes=300)  # 300 MB of zeros in ~300 KB
    before = _rss_mb()
    s = ingest(ws)
    assert _rss_mb() - before < 150
    reasons_by_path = {p["path"]: say(p["reason"]) for p in s.problems}
    assert "疑似恶意文件" in reasons_by_path["人武部/巨图.png"]
    assert "压缩炸弹" in reasons_by_path["人武部/炸弹.zip/zeros.bin"]
    assert files_by_path(ws)["人武部/巨图.png"]["status"] == "problem"


@pytest.mark.parametrize("make, reason", [
    (lambda p: f.encrypted_pdf(p), reasons.PDF_ENCRYPTED),
    (lambda p: p.write_bytes(b""), reasons.EMPTY),
    (lambda p: p.write_bytes(f.text_pdf(p, ["完整内容"]).read_bytes()[:600]), reasons.TRUNCATED),
    (lambda p: p.write_bytes(b"%PDF-1.4\n garbage garbage \n%%EOF"), reasons.PDF_CORRUPT),
], ids=["encrypted", "empty", "truncated", "corrupt"])
def test_unreadable_pdf_is_archived_and_listed_with_a_reason(ws, inbox, make, reason):
    p = inbox / "人武部" / "文件.pdf"
    make(p)
    s = ingest(ws)
    assert s.problems == [{"path": "人武部/文件.pdf", "reason": reason}]
    row = files_by_path(ws)["人武部/文件.pdf"]
    assert row["status"] == "problem" and ws.store.path(row["id"]).read_bytes() == p.read_bytes()


def test_corrupt_office_files_and_images_get_reasons(ws, inbox):
    (inbox / "人武部/坏.docx").write_bytes(b"PK\x03\x04" + b"\0" * 100 + b"PK\x05\x06" + b"\0" * 18)
    good = f.photo_jpeg(inbox / "人武部/好.jpg").read_bytes()
    (inbox / "人武部/半张.jpg").write_bytes(good[: len(good) // 2])   # transfer cut off
    (inbox / "人武部/未知.bin").write_bytes(os.urandom(256))
    s = ingest(ws)
    got = {p["path"]: say(p["reason"]) for p in s.problems}
    assert "损坏" in got["人武部/坏.docx"] or "无法解压" in got["人武部/坏.docx"]
    assert got["人武部/半张.jpg"] in (say(reasons.IMAGE_TRUNCATED), say(reasons.IMAGE_CORRUPT))
    assert got["人武部/未知.bin"] == say(reasons.UNKNOWN_FORMAT)
    assert "人武部/好.jpg" not in got


def test_realworld_pdfs_never_stop_the_pipeline(ws, inbox):
    pdfs = sorted((Path(__file__).parent / "fixtures" / "realworld-pdfs").glob("*.pdf"))
    assert len(pdfs) == 13        # py-pdf/sample-files, CC-BY-SA-4.0 (see the folder's README)
    for p in pdfs:
        shutil.copy(p, inbox / "人武部" / p.name)
    s = ingest(ws)
    assert s.ingested + s.duplicates == len(pdfs)
    rows = files_by_path(ws)
    readable = [r for r in rows.values() if r["status"] == "ok"]
    assert len(readable) >= len(pdfs) - 2
    assert any(r["text_chars"] > 100 for r in readable)


def test_change_sequence_moves_with_every_change(ws, inbox):
    s0 = ws.catalog.last_seq()
    p = f.text_pdf(inbox / "人武部/a.pdf", ["一"])
    ingest(ws)
    s1, changed = ws.catalog.changed_since(s0)
    assert s1 > s0 and changed == [ws.catalog.source("人武部/a.pdf").id]
    p.unlink()
    ingest(ws)
    s2, changed = ws.catalog.changed_since(s1)
    assert s2 > s1 and len(changed) == 1


class ManualClock:
    """A clock that moves only when the code under test sleeps; each sleep may also do what the
    world does meanwhile (a copy writes its next chunk)."""

    def __init__(self, meanwhile=lambda: None):
        self.now, self.meanwhile, self.slept = 1000.0, meanwhile, 0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += 1
        self.meanwhile()


def test_a_copy_in_progress_is_archived_once_whole_after_its_stability_window(ws, inbox):
    """The same as the real-time test below, on an injected clock: a chunk arrives every time
    the pass waits; the file is archived once, whole, only after it kept still for the window."""
    data = f.text_pdf(ws.config.root / "full.pdf", ["慢慢复制的文件" * 5] * 30).read_bytes()
    target = inbox / "人武部" / "慢.pdf"
    chunks = [data[i:i + 4000] for i in range(0, len(data), 4000)]
    target.write_bytes(chunks.pop(0))

    def next_chunk():
        if chunks:
            with open(target, "ab") as out:
                out.write(chunks.pop(0))
    clock = ManualClock(next_chunk)
    s = ws.ingestor(stable_seconds=1.0, incomplete_after=60, clock=clock,
                    sleep=clock.sleep).ingest_pass(max_wait=60)
    rows = files_by_path(ws)
    assert s.ingested == 1 and not chunks and clock.slept > len(data) // 4000
    assert rows["人武部/慢.pdf"]["versions"] == 1
    assert ws.store.path(rows["人武部/慢.pdf"]["id"]).read_bytes() == data


def test_a_pass_that_runs_out_of_time_leaves_the_copy_for_the_next_one(ws, inbox):
    target = inbox / "人武部" / "慢.pdf"
    target.write_bytes(b"%PDF-1.4 partial")

    def grow():
        with open(target, "ab") as out:
            out.write(b" more")
    clock = ManualClock(grow)
    s = ws.ingestor(stable_seconds=1.0, clock=clock, sleep=clock.sleep).ingest_pass(max_wait=5)
    assert (s.ingested, s.pending) == (0, 1) and "人武部/慢.pdf" not in files_by_path(ws)


@pytest.mark.slow
def test_file_still_being_written_waits_and_is_archived_once_and_whole(ws, inbox):
    """Written in chunks over ~2.5 s while a pass runs: never archived half-written."""
    import threading
    import time
    data = f.text_pdf(ws.config.root / "full.pdf", ["慢慢复制的文件" * 5] * 30).read_bytes()
    target = inbox / "人武部" / "慢.pdf"

    def writer():
        with open(target, "wb") as out:
            step = len(data) // 10 + 1
            for i in range(0, len(data), step):
                out.write(data[i:i + step])
                out.flush()
                time.sleep(0.25)

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.1)
    s = ws.ingestor(stable_seconds=1.0, incomplete_after=60).ingest_pass(max_wait=10)
    t.join()
    s2 = ws.ingestor(stable_seconds=1.0).ingest_pass(max_wait=10)
    rows = files_by_path(ws)
    assert s.ingested + s2.ingested == 1
    assert rows["人武部/慢.pdf"]["versions"] == 1
    assert ws.store.path(rows["人武部/慢.pdf"]["id"]).read_bytes() == data


def test_temporary_files_of_dead_writers_are_swept_and_a_live_ones_kept(ws, inbox):
    import os
    import subprocess
    import sys
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    left = ws.store.tmp / f"{dead}.abc.part"
    left.write_bytes(b"half an object")
    mine = ws.store.tmp / f"{os.getpid()}.def.part"
    mine.write_bytes(b"being written")
    ingest(ws)
    assert not left.exists() and mine.exists()


def test_on_a_shared_objects_folder_another_machines_temporary_file_is_left_alone(ws, inbox):
    """A pid means nothing on another machine: its file in progress on the share is removed
    only once it is old, while this machine's dead writer's file is removed at once."""
    import os
    import subprocess
    import sys
    from archive.store import HOST
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    ours = ws.store.tmp / f"{dead}-{HOST}.abc.part"
    theirs = ws.store.tmp / f"{dead}-another-pc.def.part"
    for p in (ours, theirs):
        p.write_bytes(b"half an object")
    ingest(ws)
    assert not ours.exists() and theirs.exists()
    os.utime(theirs, (1, 1))               # an hour and more old: its writer is gone
    ingest(ws)
    assert not theirs.exists()


def test_a_stored_object_that_does_not_hash_to_its_name_is_found(ws, inbox):
    import os
    import stat
    (inbox / "人武部/通知.txt").write_text("通知 2022年1月1日", encoding="utf-8")
    ingest(ws)
    sha = files_by_path(ws)["人武部/通知.txt"]["id"]
    assert ws.store.verify(sha) is None
    path = ws.store.path(sha)
    os.chmod(path, stat.S_IREAD | stat.S_IWRITE)
    path.write_bytes(b"changed on the share")
    assert ws.store.verify(sha) not in (None, "", sha)
    path.unlink()
    assert ws.store.verify(sha) == ""


_PASS_UNDER_STRACE = """
import os, sys
from yingjian.workspace import Workspace
ws = Workspace.open(sys.argv[1])
ing = ws.ingestor(stable_seconds=0, incomplete_after=0)
os.path.exists("/yingjian-pass-begins")
s = ing.ingest_pass()
os.path.exists("/yingjian-pass-ends")
assert s.unchanged == s.scanned, s.to_json()
"""
_PATH_STAT = re.compile(r"\b(?:stat|lstat|newfstatat|statx)\((?:AT_FDCWD|\d+), \"[^\"]")


@pytest.mark.skipif(not shutil.which("strace"), reason="strace counts the system calls")
def test_an_unchanged_pass_costs_one_stat_a_file_however_deep_the_folders(ws, inbox, tmp_path):
    """On a share every stat is a round trip: a pass over files already archived stats each
    file once, and nothing for its parent folders (the nested-workspace and ignore rules are
    decided once per folder, from its listing)."""
    folders = 0
    for unit in ("人武部", "教育局"):
        for a in range(3):
            for b in range(3):
                folder = inbox / unit / f"{2020 + a}年" / f"{b + 1}月" / "会议"
                folder.mkdir(parents=True)
                folders += 1
                for i in range(5):
                    (folder / f"纪要{i}.txt").write_text(f"{unit}{a}{b}{i}", encoding="utf-8")
    (inbox / "人武部" / "~$纪要.docx").write_bytes(b"lock")       # ignored, never stat-ed
    files = 2 * 3 * 3 * 5
    folders += 2 + 2 * 3 + 1                  # unit and year folders, the inbox
    assert ingest(ws).ingested == files
    trace = tmp_path / "pass.strace"
    res = subprocess.run(["strace", "-f", "-qq", "-s", "200", "-e",
                          "trace=stat,lstat,newfstatat,statx", "-o", str(trace),
                          sys.executable, "-c", _PASS_UNDER_STRACE, str(ws.config.root)],
                         capture_output=True, text=True, timeout=120)
    if res.returncode != 0 and "ptrace" in res.stderr:
        pytest.skip("this machine does not allow tracing")
    assert res.returncode == 0, res.stderr
    lines = trace.read_text(errors="replace").splitlines()
    begin = next(i for i, line in enumerate(lines) if "/yingjian-pass-begins" in line)
    end = next(i for i, line in enumerate(lines) if "/yingjian-pass-ends" in line)
    stats = [line for line in lines[begin + 1:end] if _PATH_STAT.search(line)]
    assert len(stats) <= files + folders, "\n".join(stats[:20])


def test_a_small_text_file_is_read_from_the_bytes_it_was_stored_from(ws, inbox, monkeypatch):
    """A plain-text file up to 1 MB is read from the bytes the ingest has just copied (not from
    the stored object opened again) and its object is recorded once with what was read: text,
    date, one read counted. Same bytes in a second unit are one object, read once."""
    import archive.ingest as ingest_module
    read_from_disk = []
    real = ingest_module.read_object
    monkeypatch.setattr(ingest_module, "read_object",
                        lambda path, fmt, limits: read_from_disk.append(fmt) or real(path, fmt, limits))
    small = "双拥工作记录\n走访慰问军属。\n2021年3月5日\n".encode("utf-8")
    ledger = ("姓名,单位,日期\n" + "张三,人武部,2022年7月1日\n" * 8000).encode("gb18030")  # ~200 KB
    (inbox / "人武部/记录.txt").write_bytes(small)
    (inbox / "教育局/记录副本.txt").write_bytes(small)
    (inbox / "人武部/台账.csv").write_bytes(ledger)
    s = ingest(ws)
    assert (s.ingested, s.duplicates, s.problems) == (2, 1, [])
    assert read_from_disk == []
    for data, text, date in ((small, "走访慰问军属", "2021-03-05"), (ledger, "张三,人武部", "2022-07-01")):
        sha = hashlib.sha256(data).hexdigest()
        row = ws.catalog.object(sha)
        assert (row["state"], row["date"], row["date_source"]) == ("ok", date, "content")
        assert text in row["text"] and row["read_attempts"] == 1
        stored = ws.store.path(sha)
        assert stored.read_bytes() == data
        assert stored.stat().st_mode & 0o222 == 0 or os.name == "nt"     # read-only
    assert list(ws.store.tmp.iterdir()) == []


def test_the_store_takes_whatever_the_caller_has_read_already(ws, monkeypatch):
    """`put_stream(first=…)`: the bytes a caller read from the start of the stream (to detect
    its format, or all of a small file) are stored with the rest, whatever their length, in
    the store's chunks."""
    import io

    import archive.store as store_module
    monkeypatch.setattr(store_module, "CHUNK", 1000)
    for size in (0, 10, 999, 1000, 1001, 4321):
        data = hashlib.sha256(str(size).encode()).digest() * (size // 32 + 1)
        data = data[:size]
        for head in sorted({0, 1, min(size, 500), size}):
            stream = io.BytesIO(data)
            first = stream.read(head)
            chunks = []
            ws.store.fault = chunks.append      # called before each chunk is written
            sha, n, _ = ws.store.put_stream(stream, first=first)
            ws.store.fault = None
            assert (sha, n) == (hashlib.sha256(data).hexdigest(), size), (size, head)
            assert ws.store.path(sha).read_bytes() == data
            assert all(b - a <= 1000 for a, b in zip(chunks, chunks[1:] + [size]))
