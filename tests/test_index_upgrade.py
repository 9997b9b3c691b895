"""The index of an earlier version (release 0.1.0's Whoosh 3/4-gram index, schema 2; the SQLite
postings of schema 3) is replaced by itself: search says, in Chinese, that the index is being
rebuilt; the next ingest rebuilds it; a reader in another process meanwhile is told how far the
rebuild is."""
import json
import sqlite3
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import IndexRebuilding, SearchIndex, store
from tests import factories as f
from tests.conftest import ingest
from yingjian.cli import cli
from yingjian.messages import describe

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return CliRunner().invoke(cli, list(args), env={"YINGJIAN_HOME": ""})


def old_release_index(folder):
    """What the previous release left: a Whoosh index and its yingjian.json (schema 2)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        from whoosh import fields, index
    folder.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(folder), fields.Schema(path=fields.ID(stored=True, unique=True),
                                                    content=fields.TEXT))
    w = ix.writer()
    w.add_document(path="人武部/征兵总结.pdf", content="征兵")
    w.commit()
    ix.close()
    (folder / "yingjian.json").write_text(json.dumps({"schema": 2, "seq": 99}), encoding="utf-8")


def sqlite_postings_index(folder):
    """What the SQLite postings index (schema 3) left: postings.sqlite and its lock file."""
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(folder / "postings.sqlite")
    db.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                     "INSERT INTO meta VALUES ('schema', '3'), ('seq', '99'), ('building', '0');"
                     "CREATE TABLE docs (doc INTEGER PRIMARY KEY, path TEXT);"
                     "INSERT INTO docs VALUES (1, '人武部/征兵总结.pdf');")
    db.close()
    sqlite3.connect(folder / "writer.lock").close()


def assert_index_of_this_version(index_dir):
    names = {p.name for p in index_dir.iterdir()}
    assert not {"yingjian.json", "postings.sqlite", "writer.lock"} & names, names
    assert not any(n.startswith(("MAIN", "_MAIN")) for n in names), names
    meta = json.loads((index_dir / store.META_NAME).read_text(encoding="utf-8"))
    assert meta["schema"] == store.SCHEMA_VERSION and not meta["building"]


@pytest.mark.parametrize("make_old", [old_release_index, sqlite_postings_index])
def test_an_index_of_an_earlier_version_is_rebuilt_by_the_next_ingest(tmp_path, make_old):
    root = tmp_path / "资料库"
    assert run("init", str(root), "--units", "人武部").exit_code == 0
    f.text_pdf(root / "inbox/人武部/征兵总结.pdf", ["2021年征兵工作总结", "2021年10月20日"])
    assert run("-w", str(root), "ingest", "--no-ocr").exit_code == 0
    index_dir = root / "archive/index"
    for p in index_dir.iterdir():           # the catalog stays; the index is the old version's
        p.unlink()
    make_old(index_dir)

    reader = SearchIndex(index_dir)
    with pytest.raises(IndexRebuilding) as e:
        reader.search("征兵")
    assert "搜索索引正在按新版本重建" in describe(e.value).text

    assert run("-w", str(root), "ingest", "--no-ocr").exit_code == 0
    assert_index_of_this_version(index_dir)
    out = json.loads(run("-w", str(root), "search", "征兵工作", "--json").output)
    assert [h["path"] for h in out["hits"]] == ["人武部/征兵总结.pdf"] and out["estimated"] is False
    assert [h.path for h in reader.search("征兵").hits] == ["人武部/征兵总结.pdf"]
    reader.close()


def test_the_index_of_a_real_0_1_0_workspace_is_rebuilt_by_itself(tmp_path):
    with zipfile.ZipFile(Path(__file__).parent / "fixtures" / "workspace-0.1.0.zip") as z:
        z.extractall(tmp_path)
    root = tmp_path / "ws"
    for p in root.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    index_dir = root / "archive/index"
    assert (index_dir / "yingjian.json").exists() and list(index_dir.glob("_MAIN_*.toc"))
    reader = SearchIndex(index_dir)
    with pytest.raises(IndexRebuilding):
        reader.search("双拥")
    assert run("-w", str(root), "ingest", "--no-ocr").exit_code == 0
    assert_index_of_this_version(index_dir)
    out = json.loads(run("-w", str(root), "search", "政府工作报告", "--json").output)
    assert [h["path"] for h in out["hits"]] == ["人武部/1.1_2021年政府工作报告摘录.pdf"]
    assert out["total"] == 1 and out["estimated"] is False
    assert [h.path for h in reader.search("双拥").hits] == ["人武部/1.1_2021年政府工作报告摘录.pdf"]
    reader.close()


def test_a_search_during_a_build_says_how_far_it_is(ws, inbox, monkeypatch):
    """A search meanwhile (as another process would) says how far the index is: a new
    workspace's first build says the index is being made, not rebuilt for a new version (there
    was none); a rebuild (reindex, a new version) says rebuilt."""
    from indexer import search as search_module
    monkeypatch.setattr(search_module, "COMMIT_EVERY", 2)
    for i in range(5):
        f.docx_file(inbox / f"人武部/纪要{i}.docx", [f"第{i}次议军会议纪要"])
    ws.sync_index()                         # a watcher's start on the new workspace: empty
    assert store.read_meta(ws.config.index)["seq"] == 0
    ingest(ws)                              # archived and read; the index not brought up yet
    other = SearchIndex(ws.config.index, catalog=ws.catalog)
    seen = []

    def progress(done, total):
        if done < total:
            with pytest.raises(IndexRebuilding) as e:
                other.search("议军")
            seen.append(describe(e.value).text)

    ws.index.sync(ws.catalog, items_of=ws.items_of, progress=progress)
    assert seen and "搜索索引正在建立(已完成 2/5 个文件)" in seen[0], seen
    assert other.search("议军会议").total == 5
    seen.clear()
    ws.index.rebuild(ws.catalog, items_of=ws.items_of, progress=progress)
    assert seen and "搜索索引正在按新版本重建(已完成 2/5 个文件)" in seen[0], seen
    assert other.search("议军会议").total == 5
    other.close()


def _hold_index(folder: Path) -> subprocess.Popen:
    """Another process holding the index's writer lock (as a watcher's sync does) until its
    stdin is closed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from indexer import store\n"
         "with store.writer_lock(Path(sys.argv[1])):\n    print('held', flush=True); sys.stdin.read()",
         str(folder)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout.readline().strip() == b"held"
    return holder


def test_a_second_writer_is_told_the_index_is_busy(ws, inbox):
    """Another process writing the index (a watcher beside `serve`): this one is told at once,
    and searches what is there; once that process is done, it syncs."""
    from indexer import IndexBusy
    f.docx_file(inbox / "人武部/a.docx", ["议军会议纪要"])
    ingest(ws)
    holder = _hold_index(ws.config.index)
    try:
        start = time.monotonic()
        with pytest.raises(IndexBusy):
            SearchIndex(ws.config.index).sync(ws.catalog)
        assert ws.sync_index() == 0        # the workspace searches what is there
        assert time.monotonic() - start < 20       # told, not kept waiting (30 s for a thread)
    finally:
        holder.stdin.close()
        holder.wait(30)
    assert ws.sync_index() == 1


def test_reindex_beside_a_process_syncing_the_index_waits_its_turn_then_says_so(ws, inbox):
    """`yingjian reindex` while another process (a watcher, a search catching up) holds the
    index: it waits as for the catalog (busy_timeout), rebuilds once the other is done, and
    past the wait says so in a sentence; it used to stop at once as an unexpected error."""
    f.docx_file(inbox / "人武部/a.docx", ["议军会议纪要"])
    ingest(ws)
    ws.close()
    toml = ws.config.root / "yingjian.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("busy_timeout = 30", "busy_timeout = 1"),
                    encoding="utf-8")
    reindex = [sys.executable, "-m", "yingjian", "-w", str(ws.config.root), "reindex"]
    holder = _hold_index(ws.config.index)
    try:
        told = subprocess.run(reindex, capture_output=True, text=True, timeout=120)
        assert told.returncode == 1, told.stderr
        assert "搜索索引正由另一个程序更新" in told.stderr and "错误编号" not in told.stderr
        toml.write_text(toml.read_text(encoding="utf-8").replace("busy_timeout = 1", "busy_timeout = 60"),
                        encoding="utf-8")
        waiting = subprocess.Popen(reindex, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)                        # it is waiting for the holder by now (or soon)
    finally:
        holder.stdin.close()
        holder.wait(30)
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "搜索索引已重建:1 个文件" in out


_SLOW_REINDEX = """
import sys, time
from archive.catalog import Catalog
from yingjian.workspace import Workspace
changed_since = Catalog.changed_since


def slow(self, seq):            # a catalog of 100,000 files: reading its changes takes a while
    print("reading", flush=True)
    time.sleep(3)
    return changed_since(self, seq)


Catalog.changed_since = slow
Workspace.open(sys.argv[1]).rebuild_index()
"""


def test_a_search_while_reindex_starts_never_takes_the_emptied_index_for_complete(ws, inbox):
    """While `reindex` reads what it is to index (long on a big archive), a search in another
    process finds the whole archive in the old index or is told the index is being made; it
    used to find nothing, as if the archive were empty: the old index had been emptied first,
    its version file saying "complete"."""
    for i in range(3):
        f.docx_file(inbox / f"人武部/纪要{i}.docx", [f"第{i}次议军会议纪要"])
    ingest(ws)
    ws.sync_index()
    assert ws.search("议军").total == 3
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_REINDEX, str(ws.config.root)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "reading", proc.stderr.read()
        other = SearchIndex(ws.config.index, catalog=ws.catalog)
        try:
            seen = other.search("议军").total
        except IndexRebuilding as e:
            seen = describe(e).text
        other.close()
    finally:
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert seen == 3 or "搜索索引正在" in str(seen)     # the old index whole, or "being made"
    assert ws.search("议军").total == 3

