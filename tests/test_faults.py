"""Faults: kill -9 at random moments while files arrive and change, the disk filling up
mid-write, the catalog held by another process. Each must lose nothing, double nothing and
end with a clear sentence."""
import errno
import hashlib
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from archive import StoreFull
from tests import factories as f
from tests.conftest import files_by_path, ingest

KILL_TRIALS = 30


def _ingest_cmd(root):
    return [sys.executable, "-m", "yingjian", "-w", str(root), "ingest", "--json"]


def _disable_ocr(root):
    p = root / "yingjian.toml"
    p.write_text(p.read_text(encoding="utf-8").replace("enabled = true", "enabled = false"),
                 encoding="utf-8")


def _objects(store) -> int:
    """How many objects the store holds (files below its root, not its temporary folder)."""
    return sum(1 for p in store.root.rglob("*") if p.is_file() and p.parent != store.tmp)


def _last_change(catalog) -> int:
    """The catalog's last change number, read by a connection of the test's own."""
    if not catalog.exists():
        return 0
    db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]
    except sqlite3.OperationalError:          # a table not made yet
        return 0
    finally:
        db.close()


def _wait_for(proc, seen, timeout=120.0) -> bool:
    """Poll until `seen()` holds (True) or the process has ended without it (False)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if seen():
            return True
        if proc.poll() is not None:
            return seen()
        time.sleep(0.005)
    return False


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_kill_9_at_random_moments_loses_and_doubles_nothing(ws, inbox):
    """Files arrive and change between kills; `yingjian ingest` (which also updates the search
    index) is killed at a random moment each time. Afterwards every file is archived once with
    its bytes, every version is kept, the index agrees with the catalog, decisions are intact."""
    rnd = random.Random(20261129)
    expected: dict[str, str] = {}
    history: dict[str, set[str]] = {}

    def drop(i):
        unit = ("人武部", "教育局")[i % 2]
        kind = i % 4
        if kind == 0:
            p = f.text_pdf(inbox / unit / f"文件{i:03d}.pdf", [f"第{i}号文件 2021年{i % 12 + 1}月1日"])
        elif kind == 1:
            p = f.photo_jpeg(inbox / unit / f"照片{i:03d}.jpg",
                             exif_date=f"2022:0{i % 9 + 1}:01 10:00:00", size=(300 + i, 200))
        elif kind == 2:
            p = f.docx_file(inbox / unit / f"总结{i:03d}.docx", [f"总结 {i}"])
        else:
            p = f.xlsx_file(inbox / unit / f"台账{i:03d}.xlsx", [["序号", "内容"], [i, f"条目{i}"]])
        note(p)

    def note(p):
        rel = p.relative_to(inbox).as_posix()
        expected[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        history.setdefault(rel, set()).add(expected[rel])

    _disable_ocr(ws.config.root)
    for i in range(20):
        drop(i)
    ingest(ws)
    decided = sorted(expected)[:3]
    for rel in decided:
        ws.decide(rel, "2.1a", "assign", "测试员")
    decisions_before = [tuple(d.values()) for d in ws.decisions.all()]
    ws.close()

    kills, n = 0, 20
    settled = set(expected)           # contents a finished run has certainly seen
    for trial in range(KILL_TRIALS):
        for _ in range(10):           # fresh work for every trial to be interrupted in
            drop(n)
            n += 1
        replaced = trial % 5 == 2
        if replaced:                  # a unit replaces a file it sent before: a new version
            rel = rnd.choice(sorted(p for p in settled if p.endswith(".docx")))
            note(f.docx_file(inbox / rel, [f"修改后的总结 第{trial}次"]))
        if trial == 0:                # the same bytes from both units
            dup = (inbox / "人武部" / "文件000.pdf").read_bytes()
            (inbox / "教育局" / "转发文件000.pdf").write_bytes(dup)
            note(inbox / "教育局" / "转发文件000.pdf")
        objects_before, seq_before = _objects(ws.store), _last_change(ws.config.catalog)
        proc = subprocess.Popen(_ingest_cmd(ws.config.root), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        if replaced:
            # this run is let finish, so that the version it saw must be kept; a version
            # overwritten before any run could see it was never the archive's to keep
            proc.wait()
            settled = set(expected)
            continue
        # kill at a moment of the child's own work, never in its interpreter's start-up: right
        # after it stored its first new object (mid-record or mid-batch), right after its first
        # commit reached the catalog, or a random moment after its first object
        moment = trial % 3
        if moment == 1:
            started = _wait_for(proc, lambda: _last_change(ws.config.catalog) > seq_before)
        else:
            started = _wait_for(proc, lambda: _objects(ws.store) > objects_before)
            if started and moment == 2:
                time.sleep(rnd.uniform(0.0, 0.4))
        if started and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1                # only kills that interrupted work are counted
        proc.wait()
    final = subprocess.run(_ingest_cmd(ws.config.root), capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert kills >= KILL_TRIALS // 2, f"only {kills} runs were killed mid-way"

    from yingjian.workspace import Workspace
    ws2 = Workspace.open(ws.config.root)
    try:
        import sqlite3
        db = sqlite3.connect(ws2.config.catalog)     # read independently of the stores
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = dict(db.execute("SELECT path, COUNT(*) FROM sources GROUP BY path").fetchall())
        kept = {}
        for path, sha in db.execute("SELECT s.path, v.sha FROM versions v JOIN sources s "
                                    "ON s.id = v.source_id").fetchall():
            kept.setdefault(path, []).append(sha)
        pending = db.execute("SELECT COUNT(*) FROM objects WHERE state = 'pending'").fetchone()[0]
        rows = files_by_path(ws2)
        lost = [p for p in expected if p not in rows]
        doubled = [p for p, k in counts.items() if k != 1] + \
            [p for p, shas in kept.items() if len(shas) != len(set(shas))]
        versions_lost = [p for p, shas in history.items() if set(kept.get(p, ())) != shas]
        index = ws2.index.paths()
        catalog_present = {p: r["id"] for p, r in rows.items() if r["status"] not in ("withdrawn", "refused")}
        decisions_after = [tuple(d.values()) for d in ws2.decisions.all()]
        print(f"\nkill trials: {kills} of {KILL_TRIALS}, files: {len(expected)}, lost: {len(lost)}, "
              f"duplicated: {len(doubled)}, versions kept: {sum(map(len, kept.values()))} "
              f"(lost {len(versions_lost)}), index agrees: {index == catalog_present}, "
              f"decisions intact: {decisions_after == decisions_before}")
        assert lost == [] and doubled == [] and versions_lost == [] and pending == 0
        assert index == catalog_present
        assert decisions_after == decisions_before
        for path, digest in expected.items():
            assert rows[path]["id"] == digest
            assert hashlib.sha256(ws2.store.path(digest).read_bytes()).hexdigest() == digest
        assert list(ws2.store.tmp.glob("*.part")) == []
    finally:
        ws2.close()


def test_disk_full_mid_write_keeps_nothing_half_written_and_resumes(ws, inbox):
    big = f.photo_jpeg(inbox / "人武部/大照片.jpg", exif_date="2021:08:01 10:00:00", size=(2400, 1800))
    f.docx_file(inbox / "人武部/总结.docx", ["总结"])
    written = []

    def full(size):
        written.append(size)
        if size >= 64 * 1024 or len(written) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
    ws.store.fault = full
    import archive.store as store_module
    old_chunk, store_module.CHUNK = store_module.CHUNK, 64 * 1024
    try:
        with pytest.raises(StoreFull):
            ingest(ws)
    finally:
        store_module.CHUNK = old_chunk
    assert list(ws.store.tmp.glob("*.part")) == []
    assert all(r["path"] != "人武部/大照片.jpg" for r in files_by_path(ws).values())
    objects = [p for p in ws.store.root.rglob("*") if p.is_file() and p.parent != ws.store.tmp]
    for p in objects:                       # whatever was committed is whole
        assert hashlib.sha256(p.read_bytes()).hexdigest() == p.parent.name + p.name

    ws.store.fault = None                   # space again: the next pass finishes the work
    s = ingest(ws)
    rows = files_by_path(ws)
    assert set(rows) == {"人武部/大照片.jpg", "人武部/总结.docx"}
    assert rows["人武部/大照片.jpg"]["id"] == hashlib.sha256(big.read_bytes()).hexdigest()
    assert s.problems == []


def test_disk_full_is_a_clear_sentence_on_the_command_line(ws, inbox, monkeypatch):
    from click.testing import CliRunner

    from yingjian.cli import cli
    from yingjian.workspace import Workspace
    f.docx_file(inbox / "人武部/总结.docx", ["总结"])

    def full(size):
        raise OSError(errno.ENOSPC, "No space left on device")
    real_open = Workspace.open

    def opened(*a, **kw):
        w = real_open(*a, **kw)
        w.store.fault = full
        return w
    monkeypatch.setattr(Workspace, "open", opened)
    res = CliRunner().invoke(cli, ["-w", str(ws.config.root), "ingest", "--no-ocr"])
    assert res.exit_code == 1
    assert "磁盘空间不足" in res.output and "重新运行即可继续" in res.output


@pytest.mark.slow
def test_catalog_held_by_another_process_waits_then_says_so(ws, inbox):
    p = ws.config.root / "yingjian.toml"
    p.write_text(p.read_text(encoding="utf-8").replace("busy_timeout = 30", "busy_timeout = 1"),
                 encoding="utf-8")
    f.docx_file(inbox / "人武部/总结.docx", ["总结"])
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         f"db = sqlite3.connect({str(ws.config.catalog)!r}, isolation_level=None)\n"
         "db.execute('BEGIN EXCLUSIVE'); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        res = subprocess.run([sys.executable, "-m", "yingjian", "-w", str(ws.config.root), "ingest",
                              "--no-ocr"], capture_output=True, text=True, timeout=120)
        assert res.returncode == 1
        assert "资料目录库正被另一个程序占用" in res.stderr and "稍后再试" in res.stderr
        assert "Traceback" not in res.stderr
    finally:
        holder.kill()
        holder.wait()
    res = subprocess.run([sys.executable, "-m", "yingjian", "-w", str(ws.config.root), "ingest",
                          "--no-ocr", "--json"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and '"ingested": 1' in res.stdout


_SLOW_PASS = """
import sys, time
from archive.catalog import Catalog
from yingjian.workspace import Workspace
record = Catalog.record


def slow(self, **kw):             # the pace of files read in the guarded reader, 10 ms each
    time.sleep(0.01)
    print("recorded", flush=True)
    return record(self, **kw)


Catalog.record = slow
ws = Workspace.open(sys.argv[1])
ws.ingestor(stable_seconds=0, incomplete_after=0).ingest_pass()
"""


@pytest.mark.slow
@pytest.mark.parametrize("arrives", ["folder", "zip"])
def test_a_decision_beside_a_long_ingest_pass_waits_for_a_batch_not_the_pass(ws, inbox, arrives):
    """A clerk's decision while a pass archives a thousand files (a watcher's start-up scan, a
    unit's big zip) gets the catalog between two of the pass's batches. It used to wait out
    the whole pass and fail 'catalog busy': the pass took the lock again the moment it had
    committed, and a zip's members were all one transaction."""
    _disable_ocr(ws.config.root)
    p = ws.config.root / "yingjian.toml"
    p.write_text(p.read_text(encoding="utf-8").replace("busy_timeout = 30", "busy_timeout = 3"),
                 encoding="utf-8")
    (inbox / "人武部/纪要.txt").write_text("议军会议纪要 2021年3月1日", encoding="utf-8")
    ingest(ws)
    ws.close()
    texts = {f"记录{i:04d}.txt": f"第{i}号记录 2021年5月1日".encode() for i in range(1000)}
    if arrives == "zip":
        f.zip_with_names(inbox / "教育局/全年记录.zip", texts)
    else:
        for name, data in texts.items():
            (inbox / "教育局" / name).write_bytes(data)
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_PASS, str(ws.config.root)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for _ in range(50):               # well into the pass's batches
            assert proc.stdout.readline(), "the pass ended before the decision"
        res = subprocess.run([sys.executable, "-m", "yingjian", "-w", str(ws.config.root), "assign",
                              "人武部/纪要.txt", "2.1a"], capture_output=True, text=True, timeout=120)
        overlapped = proc.poll() is None
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    assert res.returncode == 0, res.stderr
    assert overlapped, "the pass had ended: the decision did not have to wait for it"


def test_a_damaged_catalog_page_is_not_mistaken_for_an_empty_archive(ws, inbox):
    f.docx_file(inbox / "人武部/总结.docx", ["总结"])
    ingest(ws)
    ws.close()
    path = ws.config.catalog
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)          # the schema page, overwritten
    path.write_bytes(bytes(data))
    from click.testing import CliRunner
    from yingjian.cli import cli
    res = CliRunner().invoke(cli, ["-w", str(ws.config.root), "files"])
    assert res.exit_code == 1 and "资料目录库" in res.output and "损坏" in res.output


BATCH = 40
_CHILD = """
import sys
from yingjian.workspace import Workspace
ws = Workspace.open(sys.argv[1])
ing = ws.ingestor(stable_seconds=0, incomplete_after=0)
ing.batch_files, ing.batch_seconds = int(sys.argv[2]), 3600.0   # batches by count only
print("start", flush=True)
ing.ingest_pass(progress=lambda rel: print(rel, flush=True))
"""


def _committed(catalog) -> int:
    with sqlite3.connect(catalog) as db:
        return db.execute("SELECT COUNT(*) FROM sources WHERE container_id IS NULL").fetchone()[0]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_kill_9_in_the_middle_of_a_batch_loses_and_doubles_nothing(ws, inbox):
    """Files are recorded BATCH to a commit. The ingest is killed while a batch is half done,
    timed from the files the child reports archived (not from its start-up): the batches it
    committed stay, the half batch is redone by the next run, and in the end every file is
    archived once, with whole objects and one version each."""
    rnd = random.Random(28)
    _disable_ocr(ws.config.root)
    expected = {}
    for i in range(7 * BATCH):
        unit = ("人武部", "教育局")[i % 2]
        if i % 25 == 7:                     # a zip: its members are recorded in the batch too
            p = f.zip_with_names(inbox / unit / f"附件{i:04d}.zip",
                                 {f"成员{i}甲.txt": f"压缩包成员 {i} 甲".encode(),
                                  f"成员{i}乙.txt": f"压缩包成员 {i} 乙".encode()})
        else:                               # every tenth file repeats another's bytes
            p = inbox / unit / f"记录{i:04d}.txt"
            p.write_text(f"第{i - i % 10 if i % 10 == 3 else i}号记录 2021年5月1日",
                         encoding="utf-8")
        expected[p.relative_to(inbox).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    ws.close()
    cmd = [sys.executable, "-c", _CHILD, str(ws.config.root), str(BATCH)]
    in_flight_lost = 0
    for trial in range(5):
        before = _committed(ws.config.catalog)
        done_batches, into = rnd.randint(0, 1), rnd.randint(5, BATCH - 5)
        kill_after = before + done_batches * BATCH + into  # lines: unchanged files come first
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout.readline().strip() == "start"
        lines = 0
        while lines < kill_after and proc.stdout.readline():
            lines += 1
        assert lines == kill_after, "the run ended before it could be killed mid-batch"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        after = _committed(ws.config.catalog)
        # the batches completed before the kill were committed, the half batch was not
        assert after >= before + done_batches * BATCH
        in_flight_lost += lines - after
    assert in_flight_lost > 0, "no kill landed between a batch's files and its commit"

    final = subprocess.run(_ingest_cmd(ws.config.root), capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    from yingjian.workspace import Workspace
    ws2 = Workspace.open(ws.config.root)
    try:
        db = sqlite3.connect(ws2.config.catalog)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        paths = [r[0] for r in db.execute("SELECT path FROM sources WHERE container_id IS NULL")]
        assert sorted(paths) == sorted(expected)
        versions = dict(db.execute("SELECT s.path, COUNT(v.id) FROM sources s "
                                   "JOIN versions v ON v.source_id = s.id GROUP BY s.id"))
        assert set(versions.values()) == {1}
        members = db.execute("SELECT COUNT(*) FROM sources WHERE container_id IS NOT NULL").fetchone()[0]
        assert members == 2 * sum(p.endswith(".zip") for p in expected)
        assert db.execute("SELECT COUNT(*) FROM objects WHERE state = 'pending'").fetchone()[0] == 0
        rows = files_by_path(ws2)
        for path, digest in expected.items():
            assert rows[path]["id"] == digest and rows[path]["status"] == "ok", path
        for (sha,) in db.execute("SELECT sha FROM objects"):
            assert hashlib.sha256(ws2.store.path(sha).read_bytes()).hexdigest() == sha
        assert list(ws2.store.tmp.glob("*.part")) == []
    finally:
        ws2.close()
