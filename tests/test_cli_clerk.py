"""The command line as a new clerk uses it, mistakes included (issue 16): words typed without
quotes, dates in every form, unit lists however they are separated, mistyped units, items and
kinds, ids that are hard to find, and the rough edges (ports, YAML, click's own English)."""
import json
import os
import shutil
import socket
import tomllib

import pytest
from click.testing import CliRunner

from tests import factories as f
from tests.conftest import set_watch_options
from yingjian.cli import cli

FULL_COMMA, FULL_SEMI, ENUM_COMMA = "\uff0c", "\uff1b", "\u3001"


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env={"YINGJIAN_HOME": ""}, input=input)


def ok(*args, **kw):
    res = run(*args, **kw)
    assert res.exit_code == 0, res.output
    return res


def fails(*args, code=1):
    res = run(*args)
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output and "Error:" not in res.output
    return res.output


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "资料库"
    ok("init", r, "--units", "双拥办,人武部,教育局")
    set_watch_options(r, stable_seconds=0.1)
    f.text_pdf(r / "inbox/人武部/征兵/2022年征兵工作总结.pdf",
               ["2022年征兵任务完成情况通报\n2022年12月20日"])
    f.text_pdf(r / "inbox/人武部/草稿.pdf", ["八一征兵草稿\n2026年1月2日"])
    f.text_pdf(r / "inbox/双拥办/兵员.pdf", ["兵员征集 八一\n2022年3月3日"])
    ok("-w", r, "ingest", "--no-ocr")
    return r


SUMMARY, DRAFT, RECRUITS = "人武部/征兵/2022年征兵工作总结.pdf", "人武部/草稿.pdf", "双拥办/兵员.pdf"


def paths(root, *args) -> set[str]:
    out = json.loads(ok("-w", root, "search", "--json", *args).output)
    assert out["total"] == len(out["hits"])
    return {h["path"] for h in out["hits"]}


def ids(root) -> dict[str, str]:
    return {r["path"]: r["id"] for r in json.loads(ok("-w", root, "files", "--json").output)["files"]}


# -- 1. search takes the words as they are typed ------------------------------------------------

def test_search_takes_several_words_without_quotes(root):
    assert paths(root, "八一", "征兵") == {DRAFT}
    assert paths(root, "征兵", "OR", "兵员", "-草稿") == {SUMMARY, RECRUITS}


def test_search_takes_an_exclusion_first_or_after_the_double_dash(root):
    assert paths(root, "-草稿", "八一") == {RECRUITS}
    assert paths(root, "--", "-草稿", "八一") == {RECRUITS}
    assert paths(root, "八一", "NOT", "草稿") == {RECRUITS}


def test_quoted_search_still_works(root):
    assert paths(root, "八一 -草稿") == {RECRUITS}
    assert paths(root, '"征兵任务"') == {SUMMARY}


def test_search_with_only_an_exclusion_says_what_to_type(root):
    out = fails("-w", root, "search", "-征兵")
    assert "错误:只有排除条件(NOT / -),请至少输入一个要查找的词" in out
    assert "没有选项" not in out


def test_known_options_still_work_between_the_words(root):
    assert paths(root, "征兵", "--unit", "人武部", "OR", "兵员") == {SUMMARY, DRAFT}


# -- 3. dates in every form a clerk types --------------------------------------------------------

@pytest.mark.parametrize("start", ["2022-01-01", "2022/01/01", "2022/1/1", "2022.1.1",
                                   "2022年1月1日", "20220101", "2022"])
def test_search_from_a_date_in_any_form(root, start):
    assert paths(root, "征兵", "OR", "兵员", "--from", start, "--to", "2022年12月31日") == {SUMMARY, RECRUITS}


def test_a_year_or_a_month_is_the_whole_of_it(root):
    assert paths(root, "征兵", "OR", "兵员", "--from", "2022", "--to", "2022") == {SUMMARY, RECRUITS}
    assert paths(root, "征兵", "OR", "兵员", "--from", "2022-03", "--to", "2022-03") == {RECRUITS}
    assert paths(root, "征兵", "OR", "兵员", "--from", "2026") == {DRAFT}


@pytest.mark.parametrize("bad", ["2022/13/01", "22/1/1", "明年", "2022-02-30"])
def test_a_date_that_is_no_date_is_an_error_naming_the_forms(root, bad):
    out = fails("-w", root, "search", "征兵", "--from", bad)
    assert f"错误:无法识别日期“{bad}”" in out
    assert ("提示:可写成 2022-01-01、2022/1/1、2022.1.1、2022年1月1日 或 20220101;"
            "整年写 2022,整月写 2022-03") in out


def test_assign_takes_the_vouched_date_in_any_form(root):
    from yingjian.workspace import Workspace
    ok("-w", root, "assign", RECRUITS, "2.4a", "--date", "2022年8月1日")
    ws = Workspace.open(root)
    try:
        assert ws.decisions.all()[-1]["date"] == "2022-08-01"
    finally:
        ws.close()
    assert "无法识别日期“8月1日”" in fails("-w", root, "assign", DRAFT, "2.4a", "--date", "8月1日")


# -- 4. unit names -------------------------------------------------------------------------------

@pytest.mark.parametrize("sep", [",", FULL_COMMA, ENUM_COMMA, ";", FULL_SEMI, " "])
def test_init_splits_units_however_they_are_separated(tmp_path, sep):
    ok("init", tmp_path / "ws", "--units", sep.join(["双拥办", "人武部", "教育局"]))
    assert sorted(p.name for p in (tmp_path / "ws/inbox").iterdir()) == ["人武部", "双拥办", "教育局"]
    config = tomllib.loads((tmp_path / "ws/yingjian.toml").read_text(encoding="utf-8"))
    assert config["workspace"]["units"] == ["双拥办", "人武部", "教育局"]


def test_init_refuses_duplicate_units_and_folders_in_a_name(tmp_path):
    assert "错误:单位“双拥办”重复出现" in fails("init", tmp_path / "a", "--units", "双拥办,双拥办")
    out = fails("init", tmp_path / "b", "--units", "双拥办/人武部")
    assert "错误:单位名称“双拥办/人武部”不能含 /" in out
    assert "单位名称“a\\b”不能含" in fails("init", tmp_path / "c", "--units", "a\\b")
    assert not any((tmp_path / d).exists() for d in "abc")


def test_a_folder_that_is_no_unit_is_a_problem_with_the_closest_name_until_the_unit_is_added(root):
    f.text_pdf(root / "inbox/教育/课程.pdf", ["国防教育课程\n2022年9月1日"])
    f.text_pdf(root / "inbox/团委/活动.pdf", ["活动\n2022年9月1日"])
    ok("-w", root, "ingest", "--no-ocr")
    probs = {p["path"]: p for p in json.loads(ok("-w", root, "problems", "--json").output)["problems"]}
    assert probs["教育/课程.pdf"]["reason"].startswith("不是已知单位的文件夹:教育;是否应为 教育局?")
    assert probs["团委/活动.pdf"]["reason"].startswith("不是已知单位的文件夹:团委;请改为本单位的名称")
    rows = {r["path"]: r for r in json.loads(ok("-w", root, "files", "--json").output)["files"]}
    assert rows["教育/课程.pdf"]["status"] == "refused" and rows["教育/课程.pdf"]["id"] is None
    units = {u["unit"] for u in json.loads(ok("-w", root, "check", "--json").output)["units"]}
    assert "教育" not in units and "团委" not in units
    assert "之间" not in ok("-w", root, "unit", "add", "团委").output
    ok("-w", root, "ingest", "--no-ocr")
    rows = {r["path"]: r for r in json.loads(ok("-w", root, "files", "--json").output)["files"]}
    assert rows["团委/活动.pdf"]["status"] == "ok" and rows["团委/活动.pdf"]["unit"] == "团委"
    (root / "inbox/教育").rename(root / "inbox/教育局/课程")      # the unit fixes its folder
    ok("-w", root, "ingest", "--no-ocr")
    probs = json.loads(ok("-w", root, "problems", "--json").output)["problems"]
    assert probs == []
    assert paths(root, "国防教育") == {"教育局/课程/课程.pdf"}


def test_a_file_at_the_inbox_root_is_a_problem_and_not_archived(root):
    f.text_pdf(root / "inbox/散落.pdf", ["散落的文件"])
    ok("-w", root, "ingest", "--no-ocr")
    probs = json.loads(ok("-w", root, "problems", "--json").output)["problems"]
    assert [(p["path"], p["reason"]) for p in probs] == [
        ("散落.pdf", "文件直接放在收件箱中,不属于任何单位,未归档;请移到本单位的文件夹中")]
    assert paths(root, "散落") == set()


def test_check_lists_the_standards_units_without_a_folder_once_with_the_command(root):
    out = ok("-w", root, "check").output
    line = next(x for x in out.splitlines() if x.startswith("标准中的责任单位未建文件夹:"))
    assert "市政府办" in line and "人武部" not in line
    assert "yingjian unit add 市政府办" in out
    assert "市政府办:尚未上传" not in out
    data = json.loads(ok("-w", root, "check", "--json").output)
    assert "市政府办" in data["units_without_folder"]
    ok("-w", root, "unit", "add", "市政府办")
    assert (root / "inbox/市政府办").is_dir()
    data = json.loads(ok("-w", root, "check", "--json").output)
    assert "市政府办" not in data["units_without_folder"]
    assert "错误:工作区中已有单位“市政府办”" in fails("-w", root, "unit", "add", "市政府办")
    assert "不能含 /" in fails("-w", root, "unit", "add", "a/b")


# -- 5. mistyped filters name the closest valid names -------------------------------------------

@pytest.mark.parametrize("command", [["files"], ["problems"], ["search", "征兵"], ["check"]])
def test_a_mistyped_unit_is_an_error_with_the_closest_name(root, command):
    out = fails("-w", root, *command, "--unit", "人武")
    assert "错误:工作区中没有单位“人武”;是否应为 人武部?" in out


def test_item_material_and_kind_are_checked_against_the_standard(root):
    assert paths(root, "征兵", "--item", "10.2a") == {SUMMARY}
    assert paths(root, "征兵", "--item", "10.2") == {SUMMARY}      # an item with one material
    assert "错误:考评标准中没有考评项目或材料“10.9”" in fails("-w", root, "search", "征兵", "--item", "10.9")
    out = fails("-w", root, "assign", SUMMARY, "10.2x")
    assert "错误:考评标准中没有材料 10.2x;是否应为 10.2a" in out
    assert paths(root, "征兵", "--kind", "文档") == {SUMMARY, DRAFT}
    assert paths(root, "征兵", "--kind", "document") == {SUMMARY, DRAFT}
    assert paths(root, "征兵", "--kind", "照片") == set()
    assert "错误:没有文件类型“图片”;是否应为 照片?" in fails("-w", root, "search", "征兵", "--kind", "图片")


# -- 6. ids a clerk can see and type -------------------------------------------------------------

def test_files_prints_a_short_id_column(root):
    out = ok("-w", root, "files").output
    assert out.splitlines()[0].startswith("编号")
    short = ids(root)[SUMMARY][:8]
    assert any(line.startswith(short) and "2022年征兵工作总结.pdf" in line for line in out.splitlines())


def test_check_names_the_suggested_files_with_their_ids_and_confirm_takes_them(root):
    short = ids(root)[SUMMARY][:8]
    out = ok("-w", root, "check").output
    assert f"建议 {short}  {SUMMARY}  → yingjian confirm {short} 10.2a" in out
    res = ok("-w", root, "confirm", short, "10.2a", "--user", "张三")
    assert f"已确认:{SUMMARY}({short})→ 10.2a 征兵任务完成通报(操作人 张三)" in res.output
    assert f"建议 {short}  {SUMMARY}  → yingjian confirm {short} 10.2a" not in ok("-w", root, "check").output


def test_an_id_prefix_needs_six_characters(root):
    short = ids(root)[SUMMARY][:5]
    out = fails("-w", root, "confirm", short, "10.2a")
    assert f"错误:文件编号“{short}”太短:至少输入 6 位" in out


def test_an_item_where_a_material_is_needed_lists_its_materials(root):
    out = fails("-w", root, "confirm", SUMMARY, "10.2")
    assert "错误:10.2 是考评项目,不是材料;请指定它的一项材料:10.2a 征兵任务完成通报" in out
    out = fails("-w", root, "assign", SUMMARY, "1.1")
    assert "1.1a 政府工作报告(含双拥工作内容)、1.1b 目标考核办法(含双拥指标)" in out


def test_confirming_a_file_never_suggested_asks_for_assign(root):
    out = fails("-w", root, "confirm", RECRUITS, "1.1a")
    assert f"错误:{RECRUITS} 没有被建议为 1.1a 的佐证,无法“确认”" in out
    assert f"提示:要直接把它指定为佐证,请用 yingjian assign {RECRUITS} 1.1a" in out
    ok("-w", root, "assign", RECRUITS, "1.1a")


def test_a_decision_that_changes_nothing_says_so(root):
    assert f"错误:{RECRUITS} 与 1.1a 之间没有任何决定,无需撤销" in fails(
        "-w", root, "unassign", RECRUITS, "1.1a")
    assert "本来就不是 1.1a 的佐证" in fails("-w", root, "reject", RECRUITS, "1.1a")
    ok("-w", root, "confirm", SUMMARY, "10.2a")
    assert f"错误:{SUMMARY} 已经是 10.2a 的佐证,无需再次确认" in fails(
        "-w", root, "confirm", SUMMARY, "10.2a")
    ok("-w", root, "reject", SUMMARY, "10.2a")
    assert "已经被排除" in fails("-w", root, "reject", SUMMARY, "10.2a")
    ok("-w", root, "confirm", SUMMARY, "10.2a")        # the office may change its mind
    ok("-w", root, "unassign", SUMMARY, "10.2a")


# -- 7. the rough edges --------------------------------------------------------------------------

def test_serve_on_a_port_in_use_is_one_chinese_line_naming_port(root):
    ok("-w", root, "user", "add", "张三", "--office", "--password", "mima-12345")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        res = run("-w", root, "serve", "--port", port)
    assert res.exit_code == 1
    assert res.output.strip() == (f"错误:端口 {port} 已被占用(可能已有一个 yingjian serve 在运行);"
                                  f"请用 --port 换一个端口,例如 yingjian serve --port {port + 1}")


def test_init_refuses_a_folder_inside_another_workspaces_inbox_or_archive(root):
    out = fails("init", root / "inbox/人武部/新库")
    assert f"错误:{root / 'inbox/人武部/新库'} 位于工作区 {root} 的收件箱中" in out
    assert "的归档文件夹中" in fails("init", root / "archive/新库")
    assert not (root / "inbox/人武部/新库").exists()


def test_ingest_never_archives_a_nested_workspaces_own_files(root, tmp_path):
    ok("init", tmp_path / "另一个库", "--units", "双拥办")
    f.text_pdf(tmp_path / "另一个库/inbox/双拥办/内层.pdf", ["内层文件"])
    ok("-w", tmp_path / "另一个库", "ingest", "--no-ocr")
    shutil.copytree(tmp_path / "另一个库", root / "inbox/人武部/另一个库")
    ok("-w", root, "ingest", "--no-ocr")
    rows = json.loads(ok("-w", root, "files", "--json").output)["files"]
    assert not any(r["path"].startswith("人武部/另一个库/") for r in rows)
    probs = json.loads(ok("-w", root, "problems", "--json").output)["problems"]
    assert [(p["path"], p["reason_code"]) for p in probs] == [("人武部/另一个库", "nested_workspace")]


STANDARD_HEAD = "title: 标准\nperiod: {start: 2020, end: 2023}\nitems:\n  - code: \"1\"\n"


@pytest.mark.parametrize("line, message", [
    ("    title\uff1a甲", "第 5 行:YAML 格式错误:用了中文冒号“\uff1a”,请改为英文冒号“:”并在后面加一个空格"),
    ("\ttitle: 甲", "第 5 行:YAML 格式错误:含有制表符(Tab 键),请改为空格缩进"),
    ("    title:甲", "第 5 行:YAML 格式错误:冒号后缺少空格,应写成“title: 甲”"),
])
def test_yaml_errors_name_the_right_line_and_the_cause_in_chinese(tmp_path, line, message):
    std = tmp_path / "标准.yaml"
    std.write_text(STANDARD_HEAD + line + "\n    points: 1\n", encoding="utf-8")
    out = fails("standard", "check", std)
    assert message in out
    assert "could not" not in out and "found character" not in out


def test_clicks_own_help_and_usage_errors_are_chinese(root):
    out = ok("--help").output
    assert "用法: yingjian [选项] 命令 [参数]..." in out and "显示本帮助并退出。" in out
    assert "Show this message" not in out and "Usage:" not in out and "Options" not in out
    out = fails("-w", root, "unit", "add", code=2)
    assert "错误:缺少参数 'NAME'\n提示:运行 yingjian unit add --help 查看用法和示例" in out
    assert "Missing" not in out
    out = fails("-w", root, "confirm", SUMMARY, code=1)      # a file and no material
    assert "错误:没有给出考评标准中的材料编号" in out and "yingjian confirm 10.1a" in out
    assert "错误:没有选项 '--bogus'" in fails("-w", root, "files", "--bogus", code=2)
    assert "错误:没有命令 'nosuch'" in fails("nosuch", code=2)
    assert "'abc' 不是整数" in fails("-w", root, "search", "征兵", "--limit", "abc", code=2)
    assert "文档、照片、台账、视频、其他" in ok("search", "--help").output


def test_decision_times_are_shown_in_local_time(monkeypatch):
    import time

    from yingjian.text import local_time
    if not hasattr(time, "tzset"):
        pytest.skip("time zones are set through TZ only where tzset exists")
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert local_time("2026-11-29T10:12:50+00:00") == "2026-11-29 18:12"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_the_workspace_file_is_left_as_written_when_a_unit_is_added(root):
    before = (root / "yingjian.toml").read_text(encoding="utf-8")
    ok("-w", root, "unit", "add", "团市委")
    after = (root / "yingjian.toml").read_text(encoding="utf-8")
    assert after.replace('"教育局", "团市委"]', '"教育局"]') == before
    assert os.path.isdir(root / "inbox/团市委")


def test_a_mistyped_option_in_a_search_is_an_error_not_a_word(root):
    out = fails("-w", root, "search", "征兵", "--unti", "人武部", code=2)
    assert "错误:没有选项 '--unti'" in out and "'--unit'" in out
    assert paths(root, "征兵", "-草稿") == {SUMMARY}
