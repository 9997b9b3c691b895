"""Every command run as a user runs it, and its effect checked: what a command changes is read
back through another command, never from the inside. The gaps these close were real bugs:
`reindex` once wiped every file's materials from the index."""
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
    f.text_pdf(r / "inbox/人武部/10.2a_2021年征兵工作总结.pdf",
               ["2021年征兵工作总结\n完成征兵任务\n2021年12月20日"])
    f.text_pdf(r / "inbox/人武部/八一慰问.pdf", ["八一建军节慰问驻地部队\n2022年8月1日"])
    assert run("-w", str(r), "ingest", "--no-ocr").exit_code == 0
    return r


def hits(root, *args):
    out = json.loads(run("-w", str(root), "search", *args, "--json").output)
    return sorted(h["path"] for h in out["hits"])


def test_reindex_keeps_every_files_materials(root):
    before = hits(root, "征兵", "--item", "10.2a")
    assert before == ["人武部/10.2a_2021年征兵工作总结.pdf"]
    res = run("-w", str(root), "reindex")
    assert res.exit_code == 0 and "搜索索引已重建" in res.output
    assert hits(root, "征兵", "--item", "10.2a") == before
    assert hits(root, "慰问") == ["人武部/八一慰问.pdf"]


def test_decisions_change_what_a_file_serves_in_search_and_check(root):
    def serves(path):
        out = json.loads(run("-w", str(root), "search", "2022", "--json").output)
        return next(h["items"] for h in out["hits"] if h["path"] == path)

    assert run("-w", str(root), "assign", "人武部/八一慰问.pdf", "10.2a").exit_code == 0
    assert "10.2a" in serves("人武部/八一慰问.pdf")
    assert run("-w", str(root), "reject", "人武部/八一慰问.pdf", "10.2a").exit_code == 0
    assert "10.2a" not in serves("人武部/八一慰问.pdf")
    assert run("-w", str(root), "unassign", "人武部/八一慰问.pdf", "10.2a").exit_code == 0
    assert "10.2a" not in serves("人武部/八一慰问.pdf")


def test_files_and_problems_speak_chinese_and_list_every_file(root):
    (root / "inbox/人武部/空.pdf").write_bytes(b"")
    assert run("-w", str(root), "ingest", "--no-ocr").exit_code == 0
    out = run("-w", str(root), "files").output
    assert "八一慰问.pdf" in out and "共 3 个文件" in out and "有问题" in out
    out = run("-w", str(root), "problems").output
    assert "人武部/空.pdf" in out and "文件为空" in out


def test_user_add_and_list_and_serve_refuses_without_accounts(root):
    res = run("-w", str(root), "serve", "--port", "0")
    assert res.exit_code == 1 and "还没有任何账号" in res.output and "user add" in res.output
    res = run("-w", str(root), "user", "add", "张三", "--office", "--password", "password-1")
    assert res.exit_code == 0 and "已创建账号 张三" in res.output
    res = run("-w", str(root), "user", "add", "李四", "--unit", "没有的单位", "--password", "password-1")
    assert res.exit_code == 1 and "工作区中没有单位“没有的单位”" in res.output and "人武部" in res.output
    assert "张三" in run("-w", str(root), "user", "list").output


def test_a_format_no_reader_understands_is_never_listed_as_plain_ok():
    from yingjian.records import file_status
    row = {"source_state": "present", "sha": "ab" * 32, "source_reason": None, "state": "ok",
           "info": json.dumps({"unread": True})}
    assert file_status(row) == "unread"
    assert file_status({**row, "info": "{}"}) == "ok"
