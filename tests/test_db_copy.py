"""`yingjian db copy --to postgresql://…`: a workspace built from real files on SQLite, copied
into a real PostgreSQL, answers `files`, `search` and `check --json` exactly as it did; a
target that holds records is refused; the sentences are Chinese."""
from __future__ import annotations

import json

import psycopg
import pytest
from click.testing import CliRunner

from tests import factories as f
from tests.conftest import use_database
from yingjian.cli import cli
from yingjian.workspace import init

PASSWORD = "Dy-2021-zheng"


def run(root, *args):
    res = CliRunner().invoke(cli, ["-w", str(root), *args], env={"YINGJIAN_HOME": ""})
    return res


def ok(root, *args) -> str:
    res = run(root, *args)
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture
def root(tmp_path):
    """A workspace on SQLite with real files of every kind, a zip, a problem, a duplicate,
    decisions, an account, a due date and a notice's history."""
    root = tmp_path / "ws"
    init(root, units=["人武部", "教育局"])
    inbox = root / "inbox"
    f.text_pdf(inbox / "人武部/1.1a_议军会议纪要2021.pdf", ["中共某市委议军会议纪要\n2021年6月1日\n征兵工作"])
    f.docx_file(inbox / "教育局/国防教育课程.docx", ["国防教育课程安排", "2022年3月1日"],
                table=[["年级", "课时"], ["初一", "8"]])
    f.xlsx_file(inbox / "人武部/征兵台账.xlsx", [["姓名", "去向"], ["张三", "某部"]])
    f.zip_with_names(inbox / "教育局/资料.zip", {"课程记录.txt": "2022年国防教育课程记录".encode("utf-8")})
    (inbox / "人武部/空文件.pdf").write_bytes(b"")
    (inbox / "人武部/说明.txt").write_text("征兵宣传 100% 覆盖\n2022年5月", encoding="utf-8")
    (inbox / "教育局/说明副本.txt").write_text("征兵宣传 100% 覆盖\n2022年5月", encoding="utf-8")
    ok(root, "ingest", "--no-ocr")
    sha = json.loads(ok(root, "files", "--json"))["files"][0]["id"]
    ok(root, "assign", sha[:8], "1.1a", "--user", "张三")
    ok(root, "user", "add", "张三", "--office", "--password", PASSWORD)
    ok(root, "due", "--unit", "人武部", "2026-12-15")
    return root


def answers(root) -> dict:
    return {"files": json.loads(ok(root, "files", "--json")),
            "search": json.loads(ok(root, "search", "征兵", "--json")),
            "search_year": json.loads(ok(root, "search", "课程", "--year", "2022", "--json")),
            "check": json.loads(ok(root, "check", "--json")),
            "log": json.loads(ok(root, "log", "--json")),
            "problems": json.loads(ok(root, "problems", "--json"))}


def test_a_copied_workspace_answers_exactly_as_it_did_on_sqlite(root, pg_server):
    before = answers(root)
    assert len(before["files"]["files"]) == 8 and before["search"]["total"] >= 2
    dsn = pg_server.database()
    result = json.loads(ok(root, "db", "copy", "--to", dsn, "--json"))
    assert result["same"] and result["rows"] > 0
    counts = {t["table"]: t["rows"] for t in result["tables"]}
    assert counts["sources"] == 8 and counts["users"] == 1 and counts["decisions"] == 1
    assert all(t["rows"] == t["target_rows"] and t["hash"] == t["target_hash"] for t in result["tables"])
    assert result["config_line"] == f'[cluster]\ndatabase = "{dsn}"'
    # the workspace switches: the SQLite file moved away, so nothing can be read from it
    use_database(root, dsn)
    (root / "archive/catalog.sqlite").rename(root / "catalog.sqlite.bak")
    after = answers(root)
    for key in before:
        assert after[key] == before[key], key
    assert not (root / "archive/catalog.sqlite").exists()
    # and it goes on working there: a new file, a login
    (root / "inbox/人武部/新的.txt").write_text("2023年征兵工作总结", encoding="utf-8")
    ok(root, "ingest", "--no-ocr")
    assert json.loads(ok(root, "search", "总结", "--json"))["total"] == 1
    with psycopg.connect(dsn) as db:
        assert db.execute("SELECT COUNT(*) FROM sources").fetchone()[0] == 9


def test_the_copy_says_in_chinese_what_it_compared_and_the_line_to_add(root, pg_server):
    dsn = pg_server.database()
    out = ok(root, "db", "copy", "--to", dsn)
    assert "没有丢失" in out and "一致" in out and "objects:" in out
    assert f'database = "{dsn}"' in out and "yingjian.toml" in out


def test_a_target_with_records_is_refused_unless_replaced(root, pg_server):
    dsn = pg_server.database()
    ok(root, "db", "copy", "--to", dsn)
    res = run(root, "db", "copy", "--to", dsn)
    assert res.exit_code != 0
    assert "已有记录" in res.output and "--replace" in res.output and "Traceback" not in res.output
    result = json.loads(ok(root, "db", "copy", "--to", dsn, "--replace", "--json"))
    assert result["same"]
    with psycopg.connect(dsn) as db:            # replaced, not added to
        assert db.execute("SELECT COUNT(*) FROM sources").fetchone()[0] == 8
        # the identities go on after the copied ids
        top = db.execute("SELECT MAX(id) FROM sources").fetchone()[0]
    use_database(root, dsn)
    (root / "inbox/人武部/另一个.txt").write_text("2023年另一个文件", encoding="utf-8")
    ok(root, "ingest", "--no-ocr")
    with psycopg.connect(dsn) as db:
        assert db.execute("SELECT MIN(id) FROM sources WHERE path = '人武部/另一个.txt'").fetchone()[0] > top


def test_a_copy_found_different_is_an_error_not_a_success(root, pg_server, monkeypatch):
    """If what was read back differed, the command says so and fails (the comparison is real)."""
    from yingjian import db_copy
    real = db_copy.table_hash
    calls = []

    def one_row_lost(rows):
        rows = list(rows)
        calls.append(1)
        if len(calls) % 2 == 0 and rows:        # the PostgreSQL side of each table
            rows = rows[1:]
        return real(rows)
    monkeypatch.setattr(db_copy, "table_hash", one_row_lost)
    res = run(root, "db", "copy", "--to", pg_server.database())
    assert res.exit_code != 0 and "不一致" in res.output


def test_a_bad_address_is_one_chinese_error(root):
    res = run(root, "db", "copy", "--to", "mysql://x/y")
    assert res.exit_code != 0 and "postgresql://" in res.output and "Traceback" not in res.output
