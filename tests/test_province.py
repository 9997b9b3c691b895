"""A province of cities in one deployment, on a real PostgreSQL: `province init`, `city add`,
`city list`, every command with `--city`; each city's tables in its own schema; each city's
summary written by its own changes into the province's registry; a city exported to one PC
answers as it did in the province, and comes back in by `city import`."""
from __future__ import annotations

import json

import psycopg
import pytest
from click.testing import CliRunner

from tests import factories as f
from yingjian.cli import cli

PASSWORD = "Dy-2021-zheng"


def run(*args, province=None, env=None):
    base = ["-w", str(province)] if province is not None else []
    return CliRunner().invoke(cli, [*base, *args], env={"YINGJIAN_HOME": "", **(env or {})})


def ok(*args, province=None) -> str:
    res = run(*args, province=province)
    assert res.exit_code == 0, res.output
    return res.output


def make_city_files(inbox, city: str, words: str) -> None:
    """Real files in two units' folders: a PDF declared for 1.1a, a docx, a text file shared by
    both cities (same content: one object on the shared store)."""
    f.text_pdf(inbox / "人武部" / "1.1a_议军会议纪要2021.pdf", [f"{city}议军会议纪要\n2021年6月1日\n{words}"])
    f.docx_file(inbox / "教育局" / f"{city}国防教育.docx", [f"{city}国防教育课程", "2022年3月1日", words])
    (inbox / "人武部" / "共同通知.txt").write_text("全省征兵工作通知\n2022年5月", encoding="utf-8")


@pytest.fixture
def province(tmp_path, pg_dsn):
    """A province with two cities, 兴义市 and 遵义市, each with its own inbox and files, ingested."""
    root = tmp_path / "贵州省"
    ok("province", "init", str(root), "--name", "贵州省", "--database", pg_dsn)
    for city, words in (("兴义市", "兴义征兵 万峰林"), ("遵义市", "遵义会议 红色教育")):
        inbox = tmp_path / f"inbox-{city}"
        for unit in ("人武部", "教育局"):
            (inbox / unit).mkdir(parents=True)
        make_city_files(inbox, city, words)
        ok("city", "add", city, "--inbox", str(inbox), province=root)
        ok("--city", city, "ingest", "--no-ocr", province=root)
    return root


def test_cities_are_added_listed_and_each_answers_only_for_itself(province, pg_dsn):
    listed = json.loads(ok("city", "list", "--json", province=province))
    assert listed["province"] == "贵州省"
    assert [c["name"] for c in listed["cities"]] == ["兴义市", "遵义市"]
    for c in listed["cities"]:
        # written by the city's own ingest (record_history), not computed for this list
        assert c["max_score"] > 0 and c["materials"] > 0 and c["last_upload"]
        assert c["complete"] + c["open"] == c["materials"]
    text = ok("city", "list", province=province)
    assert "兴义市" in text and "预计得分" in text
    a = json.loads(ok("--city", "兴义市", "files", "--json", province=province))
    b = json.loads(ok("--city", "遵义市", "files", "--json", province=province))
    names_a = {x["path"] for x in a["files"]}
    assert any("兴义市" in n for n in names_a) and not any("遵义市" in n for n in names_a)
    # the same content in both cities: one object on the shared store, each city its own record
    shared_a = [x["id"] for x in a["files"] if x["path"].endswith("共同通知.txt")]
    shared_b = [x["id"] for x in b["files"] if x["path"].endswith("共同通知.txt")]
    assert shared_a == shared_b and len(shared_a) == 1
    # search, check and log of one city never show the other's
    hits = json.loads(ok("--city", "兴义市", "search", "遵义会议", "--json", province=province))
    assert hits["total"] == 0
    hits = json.loads(ok("--city", "遵义市", "search", "遵义会议", "--json", province=province))
    assert hits["total"] == 2 and {h["id"] for h in hits["hits"]} <= {x["id"] for x in b["files"]}
    # the tables of each city are in its own schema; the province's registry in public
    with psycopg.connect(pg_dsn) as db:
        schemas = {r[0] for r in db.execute("SELECT DISTINCT table_schema FROM information_schema.tables "
                                            "WHERE table_name = 'sources'")}
        cities = dict(db.execute("SELECT name, schema_name FROM cities").fetchall())
    assert set(cities.values()) <= schemas and len(schemas) == 3     # two cities, the province


def test_a_mistyped_city_is_an_error_naming_the_closest(province):
    res = run("--city", "兴义", "check", province=province)
    assert res.exit_code != 0
    assert "兴义市" in res.output and "没有名为" in res.output
    res = run("--city", "遵义", "files", province=province)
    assert "遵义市" in res.output
    res = run("city", "add", "兴义市", "--inbox", str(province), province=province)
    assert res.exit_code != 0 and "已有名为“兴义市”的城市" in res.output


def test_a_city_connection_cannot_name_another_citys_tables(province):
    """Isolation by construction: a city's store connections have only its schema on their
    search_path; a table of the province or another city is not found by its plain name."""
    from yingjian.workspace import Workspace
    from yingjian.province import Province
    p = Province.open(province)
    try:
        root = p.city_root("兴义市")
    finally:
        p.close()
    ws = Workspace.open(root)
    try:
        assert ws.catalog.object_count() >= 3
        with pytest.raises(psycopg.errors.UndefinedTable):
            ws.catalog.table_count("cities")
    finally:
        ws.close()


def test_province_accounts_are_made_in_the_province_only(province, tmp_path):
    res = run("user", "add", "省厅张三", "--province", "--password", PASSWORD, province=province)
    assert res.exit_code == 0, res.output
    assert "省级账号" in res.output
    res = run("--city", "兴义市", "user", "add", "王五", "--province", "--password", PASSWORD,
              province=province)
    assert res.exit_code != 0 and "省级" in res.output


def test_a_standard_pushed_to_the_cities_keeps_each_citys_units(province, tmp_path):
    from yingjian.province import Province
    p = Province.open(province)
    try:
        root = p.city_root("遵义市")
    finally:
        p.close()
    std = (root / "standard.yaml").read_text(encoding="utf-8")
    first = std.index("units:")
    end = std.index("\n", first)
    mine = std[:first] + "units: [遵义市人武部]" + std[end:]
    (root / "standard.yaml").write_text(mine, encoding="utf-8")
    out = json.loads(ok("standard", "push", str(province / "standard.yaml"), "--cities", "遵义市,兴义市",
                        "--json", province=province))
    assert {c["city"] for c in out["cities"]} == {"遵义市", "兴义市"}
    assert "遵义市人武部" in (root / "standard.yaml").read_text(encoding="utf-8")


def answers(root, *extra) -> dict:
    """files, search and check --json; the check's `standard.source` is the standard file's
    path, which is the folder's own (its fingerprint, the content, must be the same)."""
    check = json.loads(ok(*extra, "check", "--json", province=root))
    check["standard"].pop("source")
    return {"files": json.loads(ok(*extra, "files", "--json", province=root)),
            "search": json.loads(ok(*extra, "search", "征兵", "--json", province=root)),
            "check": check}


def test_an_exported_city_answers_on_one_pc_as_it_did_in_the_province(province, tmp_path):
    ok("--city", "兴义市", "user", "add", "张三", "--office", "--password", PASSWORD, province=province)
    before = answers(province, "--city", "兴义市")
    out = tmp_path / "兴义市单机"
    result = json.loads(ok("city", "export", "兴义市", str(out), "--json", province=province))
    assert result["same"] and result["objects"] >= 3
    toml = (out / "yingjian.toml").read_text(encoding="utf-8")
    assert "[cluster]" not in toml and "[province]" not in toml
    assert (out / "archive" / "catalog.sqlite").is_file()
    after = answers(out)
    for key in ("files", "search", "check"):
        assert after[key] == before[key], key
    users = ok("user", "list", province=out)
    assert "张三" in users
    # and back into the province as another city
    res = json.loads(ok("city", "import", str(out), "--name", "兴义市二", "--json", province=province))
    assert res["same"]
    again = answers(province, "--city", "兴义市二")
    assert again["files"] == before["files"] and again["check"] == before["check"]


def test_the_main_commands_of_one_city_never_show_another_citys_data(province, tmp_path):
    """Every reading command with --city 兴义市, as JSON and as text: nothing of 遵义市 (its
    files' names and words, its only file's id); a decision by an id of the other city's file
    is "no such file"."""
    b_files = json.loads(ok("--city", "遵义市", "files", "--json", province=province))["files"]
    a_ids = {x["id"] for x in json.loads(ok("--city", "兴义市", "files", "--json", province=province))["files"]}
    b_only = [x["id"] for x in b_files if x["id"] not in a_ids]
    assert b_only
    ok("--city", "遵义市", "assign", b_only[0][:8], "1.1a", "--user", "赵六", province=province)
    commands = [("files", "--json"), ("files",), ("search", "遵义会议", "--json"), ("search", "遵义会议"),
                ("search", "教育", "--json"), ("check", "--json"), ("check",), ("problems", "--json"),
                ("log", "--json"), ("review", "--json"), ("history", "--json"), ("unit", "list"),
                ("learn", "status", "--json"), ("due", "--list", "--json")]
    for args in commands:
        out = ok("--city", "兴义市", *args, province=province).replace("遵义会议", "")  # the query, echoed
        for word in ("遵义", "红色教育", "赵六", *(i[:8] for i in b_only)):
            assert word not in out, (args, word)
    res = run("--city", "兴义市", "assign", b_only[1][:8], "1.1a", "--user", "张三", province=province)
    assert res.exit_code != 0
    out = tmp_path / "report.html"
    ok("--city", "兴义市", "report", "--html", str(out), province=province)
    text = out.read_text(encoding="utf-8")
    assert "遵义" not in text and "红色教育" not in text


def test_each_citys_row_is_kept_current_by_its_own_changes(province, tmp_path):
    before = {c["name"]: c for c in json.loads(ok("city", "list", "--json", province=province))["cities"]}
    p_inbox = json.loads(ok("--city", "兴义市", "files", "--json", province=province))
    assert p_inbox["files"]
    from yingjian.province import Province
    p = Province.open(province)
    try:
        root = p.city_root("兴义市")
    finally:
        p.close()
    from yingjian.config import load
    inbox = load(root).inbox
    f.text_pdf(inbox / "教育局" / "1.2a_关于调整领导小组的通知.pdf", ["关于调整双拥工作领导小组成员的通知\n2022年3月5日"])
    ok("--city", "兴义市", "ingest", "--no-ocr", province=province)
    after = {c["name"]: c for c in json.loads(ok("city", "list", "--json", province=province))["cities"]}
    assert after["兴义市"]["updated_at"] > before["兴义市"]["updated_at"]
    assert after["兴义市"]["last_upload"] >= before["兴义市"]["last_upload"]
    assert after["兴义市"]["materials"] == before["兴义市"]["materials"]
    assert after["遵义市"] == before["遵义市"]           # nothing of the other city rewritten
