"""Totals and facet counts always equal the set of hits, whatever decisions and updates came
before (issue 16: after a few assign/confirm decisions a search with NOT counted the file it
excluded)."""
import json

import pytest
from click.testing import CliRunner

from tests import factories as f
from tests.conftest import set_watch_options
from yingjian.cli import cli


def run(*args):
    return CliRunner().invoke(cli, list(args), env={"YINGJIAN_HOME": ""})


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "资料库"
    assert run("init", str(r), "--units", "双拥办,人武部").exit_code == 0
    set_watch_options(r, stable_seconds=0.1)
    return r


def search_json(root, *words):
    res = run("-w", str(root), "search", *words, "--json", "--limit", "1000")
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_total_and_facets_equal_the_hits_after_decisions_and_not(root):
    inbox = root / "inbox"
    f.text_pdf(inbox / "人武部/征兵通报.pdf", ["八一 2021年征兵任务完成情况通报\n2021年10月20日"])
    f.docx_file(inbox / "双拥办/八一活动.docx", ["八一建军节双拥活动方案", "2022年7月20日"])
    f.docx_file(inbox / "双拥办/八一总结.docx", ["八一走访慰问活动总结", "2023年8月5日"])
    assert run("-w", str(root), "ingest", "--no-ocr").exit_code == 0
    before = search_json(root, "八一 -征兵")
    assert before["total"] == 2
    for args in (("confirm", "人武部/征兵通报.pdf", "10.2a"),
                 ("assign", "双拥办/八一活动.docx", "8.1a"),
                 ("assign", "人武部/征兵通报.pdf", "8.1a"),
                 ("assign", "双拥办/八一总结.docx", "8.1a")):     # never suggested: assigned
        res = run("-w", str(root), *args, "--user", "张三")
        assert res.exit_code == 0, res.output
        for words in ("八一 -征兵", "八一 NOT 征兵", "八一", "征兵"):
            out = search_json(root, words)
            paths = {h["path"] for h in out["hits"]}
            assert out["total"] == len(paths) == len(out["hits"]), (args, words, out)
            for facet in ("unit", "kind", "year"):
                assert sum(out["facets"][facet].values()) == out["total"], (args, words, facet, out)
    out = search_json(root, "八一 -征兵")
    assert {h["path"] for h in out["hits"]} == {"双拥办/八一活动.docx", "双拥办/八一总结.docx"}
    assert out["facets"]["unit"] == {"双拥办": 2} and out["facets"]["year"] == {"2022": 1, "2023": 1}
    text = run("-w", str(root), "search", "八一 -征兵").output
    assert "找到 2 个文件" in text and "显示前" not in text


def _catalog_with(tmp_path, texts):
    """A real catalog holding `texts` (path -> text) as extracted documents."""
    import hashlib
    from archive import Catalog
    cat = Catalog(tmp_path / "catalog.sqlite")

    def put(path, text):
        sha = hashlib.sha256((path + text).encode()).hexdigest()
        cat.record(unit=path.split("/")[0], path=path, name=path.split("/")[1], sha=sha,
                   size=len(text), fmt="txt", kind="document", mtime_ns=None)
        cat.save_extraction(sha, state="ok", reason=None, pages=1, text=text, info={},
                            date=f"202{len(text) % 3}-01-01", date_source="content")
    for p, t in texts.items():
        put(p, t)
    return cat, put


@pytest.mark.parametrize("verify_all", [10_000, 0])       # exact, then the estimating path
def test_hits_totals_and_facets_match_substring_truth_through_updates(tmp_path, monkeypatch,
                                                                      verify_all):
    import random

    from indexer import SearchIndex
    from indexer import search as search_module
    from indexer.querying import matcher
    monkeypatch.setattr(search_module, "COMMIT_EVERY", 3)
    monkeypatch.setattr(search_module, "VERIFY_ALL", verify_all)
    monkeypatch.setattr(search_module, "SAMPLE", 2)
    rnd = random.Random(7)
    alphabet = "八一征兵双拥活动"       # few characters: bigrams meet without the word
    texts = {f"{u}/{i}.txt": "".join(rnd.choice(alphabet) for _ in range(12))
             for i in range(12) for u in ["双拥办", "人武部"][i % 2:i % 2 + 1]}
    cat, put = _catalog_with(tmp_path, texts)
    si = SearchIndex(tmp_path / "index", catalog=cat)
    queries = ["八一 -征兵", "八一征", "兵双拥", "双拥 NOT 一征兵", "征兵 OR 活动八", "八一"]
    for round_ in range(6):
        for p in rnd.sample(sorted(texts), 4):                   # updates: new content
            texts[p] = "".join(rnd.choice(alphabet) for _ in range(12))
            put(p, texts[p])
        si.sync(cat)
        for q in queries:
            test = matcher(q)
            truth = {p for p, t in texts.items() if test(t) or test(p.split("/")[1])}
            r = si.search(q, limit=100)
            assert {h.path for h in r.hits} == truth, (round_, q)
            if not r.estimated:
                assert r.total == len(truth), (round_, q)
                for facet in ("unit", "kind", "year"):
                    assert sum(r.facets[facet].values()) == r.total
            page = si.search(q, limit=3, page=2)
            assert {h.path for h in page.hits} <= truth
    assert verify_all > 100 or any(si.search(q).estimated for q in queries)
    si.close()
    cat.close()
