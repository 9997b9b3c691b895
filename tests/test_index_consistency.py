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
                 ("confirm", "双拥办/八一总结.docx", "8.1a")):
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
