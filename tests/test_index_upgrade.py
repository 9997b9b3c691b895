"""The index of an earlier release (Whoosh segments, schema 2) is replaced by itself: search
says, in Chinese, that the index is being rebuilt; the next ingest rebuilds it; a reader in
another process meanwhile is told how far the rebuild is."""
import json
import warnings

import pytest
from click.testing import CliRunner

from indexer import IndexRebuilding, SearchIndex
from tests import factories as f
from tests.conftest import ingest
from yingjian.cli import cli
from yingjian.messages import describe


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


def test_an_index_of_the_previous_release_is_rebuilt_by_the_next_ingest(tmp_path):
    root = tmp_path / "资料库"
    assert run("init", str(root), "--units", "人武部").exit_code == 0
    f.text_pdf(root / "inbox/人武部/征兵总结.pdf", ["2021年征兵工作总结", "2021年10月20日"])
    assert run("-w", str(root), "ingest", "--no-ocr").exit_code == 0
    index_dir = root / "archive/index"
    for p in index_dir.iterdir():           # the catalog stays; the index is the old release's
        p.unlink()
    old_release_index(index_dir)

    reader = SearchIndex(index_dir)
    with pytest.raises(IndexRebuilding) as e:
        reader.search("征兵")
    assert "搜索索引正在按新版本重建" in describe(e.value).text

    assert run("-w", str(root), "ingest", "--no-ocr").exit_code == 0
    assert not list(index_dir.glob("*.toc")) and not (index_dir / "yingjian.json").exists()
    out = json.loads(run("-w", str(root), "search", "征兵工作", "--json").output)
    assert [h["path"] for h in out["hits"]] == ["人武部/征兵总结.pdf"] and out["estimated"] is False
    assert [h.path for h in reader.search("征兵").hits] == ["人武部/征兵总结.pdf"]
    reader.close()


def test_a_search_during_a_rebuild_says_how_far_it_is(ws, inbox, monkeypatch):
    from indexer import search as search_module
    monkeypatch.setattr(search_module, "COMMIT_EVERY", 2)
    for i in range(5):
        f.docx_file(inbox / f"人武部/纪要{i}.docx", [f"第{i}次议军会议纪要"])
    ingest(ws)
    other = SearchIndex(ws.config.index, catalog=ws.catalog)     # as another process would
    seen = []

    def progress(done, total):
        if done < total:
            with pytest.raises(IndexRebuilding) as e:
                other.search("议军")
            seen.append(describe(e.value).text)

    ws.index.rebuild(ws.catalog, items_of=ws.items_of, progress=progress)
    assert seen and "已完成 2/5 个文件" in seen[0]
    assert other.search("议军会议").total == 5
    other.close()


def test_a_second_writer_is_told_the_index_is_busy(ws, inbox):
    from indexer import IndexBusy
    from indexer import store
    f.docx_file(inbox / "人武部/a.docx", ["议军会议纪要"])
    ingest(ws)
    with store.writer_lock(ws.config.index):
        with pytest.raises(IndexBusy):
            SearchIndex(ws.config.index).sync(ws.catalog)
        assert ws.sync_index() == 0        # the workspace searches what is there
    assert ws.sync_index() == 1
