"""The standard, the mapping of files to its materials and the readiness check, on a real
workspace: files built in tmp_path, ingested by the real pipeline, indexed, checked."""
import json

import pytest

from checklist import CodeMatcher, StandardError, load, parse
from yingjian.messages import describe, standard_problem
from checklist.xlsx import import_xlsx, template
from tests import factories as f
from tests.conftest import ingest, standard_workspace
from yingjian.workspace import Workspace

pytestmark = pytest.mark.usefixtures("on_both_databases")

STANDARD = """
title: 测试标准
period: {start: 2020-01-01, end: 2022-12-31}
items:
  - code: "1"
    title: 组织领导
    children:
      - code: "1.1"
        title: 议军会议
        points: 2
        units: [人武部]
        materials:
          - {id: 1.1a, title: 议军会议纪要, kind: document, count: 1, per_year: true, query: 议军会议 纪要}
      - code: "1.2"
        title: 领导小组
        points: 1
        units: [教育局]
        materials:
          - {id: 1.2a, title: 领导小组文件, kind: document, count: 1, query: 领导小组 调整}
          - {id: 1.2b, title: 慰问照片, kind: photo, count: 2, query: 慰问}
  - code: "2"
    title: 一票否决
    children:
      - code: "2.1"
        title: 征兵任务完成
        points: 0
        veto: true
        units: [人武部]
        materials:
          - {id: 2.1a, title: 征兵任务完成通报, kind: document, count: 1, query: 征兵 任务 完成}
"""


@pytest.fixture
def cws(tmp_path):
    ws = standard_workspace(tmp_path, STANDARD, ["人武部", "教育局", "财政局"])
    yield ws
    ws.close()


def minutes(path, year, body="议军会议纪要"):
    f.docx_file(path, [f"中共某某市委{body}", f"{year}年6月1日"])


def run_check(ws):
    ingest(ws)
    ws.sync_index()
    return ws.check()


def material(result, mid):
    def walk(items):
        for it in items:
            yield from it["materials"]
            yield from walk(it.get("children", []))
    return next(m for m in walk(result["items"]) if m["id"] == mid)


def item(result, code):
    def walk(items):
        for it in items:
            yield it
            yield from walk(it.get("children", []))
    return next(it for it in walk(result["items"]) if it["code"] == code)


def test_each_status_per_year_gaps_and_veto_first(cws):
    inbox = cws.config.inbox
    minutes(inbox / "人武部/1.1a 议军会议/2020年议军会议纪要.docx", 2020)
    minutes(inbox / "人武部/1.1a 议军会议/2021年议军会议纪要.docx", 2021)
    f.docx_file(inbox / "教育局/1.2a_关于调整领导小组的通知.docx", ["关于调整领导小组成员的通知", "2021年3月5日"])
    f.text_pdf(inbox / "人武部/征兵通报.pdf", ["2021年征兵任务完成情况通报\n2021年10月20日"])
    r = run_check(cws)

    m = material(r, "1.1a")
    assert (m["status"], m["need"], m["have"], m["years_missing"]) == ("partial", 3, 2, [2022])
    assert material(r, "1.2a")["status"] == "complete"
    assert material(r, "1.2b")["status"] == "missing"
    veto = material(r, "2.1a")
    assert (veto["status"], veto["have"], veto["suggested"]) == ("unconfirmed", 0, 1)
    assert [e["how"] for e in veto["evidence"]] == ["suggested"]
    assert r["summary"]["veto_at_risk"] == ["2.1"] and r["veto"][0]["status"] == "unconfirmed"
    assert item(r, "1.1")["score"] == round(2 * 2 / 3, 2)
    assert r["potential_score"] == r["score"]            # the veto item carries no points
    todo = {u["unit"]: u for u in r["units"]}
    assert [t["material"] for t in todo["人武部"]["todo"]] == ["2.1a", "1.1a"]   # veto first
    assert todo["人武部"]["todo"][1]["years_missing"] == [2022]
    assert todo["财政局"]["never_uploaded"] is True and todo["财政局"]["todo"] == []
    assert todo["人武部"]["files"] == 3 and todo["人武部"]["never_uploaded"] is False


def test_out_of_period_undated_and_broken_files_never_count(cws):
    inbox = cws.config.inbox
    minutes(inbox / "人武部/1.1a/2019年纪要.docx", 2019)            # before the round
    good = f.text_pdf(inbox / "教育局/tmp.pdf", ["关于调整领导小组成员的通知\n2021年3月5日"])
    data = good.read_bytes()
    good.unlink()
    (inbox / "教育局/1.2a_领导小组(传输中断).pdf").write_bytes(data[: len(data) // 2])
    r = run_check(cws)
    m = material(r, "1.1a")
    assert m["status"] == "missing" and m["evidence"][0]["counts"] is False
    assert m["evidence"][0]["why_not"] == "日期不在考评周期内"
    broken = material(r, "1.2a")
    assert broken["status"] == "missing" and broken["have"] == 0
    assert broken["evidence"][0]["why_not"] == "文件无法打开,不能作为佐证"


def test_one_file_serves_two_materials_and_decisions_count(cws):
    inbox = cws.config.inbox
    f.docx_file(inbox / "人武部/会议纪要.docx",
                ["议军会议纪要:通报全年征兵任务完成情况", "2021年12月1日"])
    r = run_check(cws)
    assert material(r, "1.1a")["suggested"] == 1 and material(r, "2.1a")["suggested"] == 1
    cws.decide("人武部/会议纪要.docx", "2.1a", "confirm", "张三")
    cws.decide("人武部/会议纪要.docx", "1.1a", "confirm", "张三")
    r = cws.check()
    assert material(r, "2.1a")["status"] == "complete"
    assert material(r, "1.1a")["years_missing"] == [2020, 2022] and material(r, "1.1a")["have"] == 1
    ev = material(r, "2.1a")["evidence"][0]
    assert (ev["how"], ev["confirmed"]) == ("decided", True)
    assert cws.mapping.history(ev["id"])[0]["user"] == "张三"


def test_reject_unassign_and_assign(cws):
    inbox = cws.config.inbox
    f.text_pdf(inbox / "人武部/征兵通报.pdf", ["2021年征兵任务完成情况通报\n2021年10月20日"])
    f.photo_jpeg(inbox / "教育局/IMG_20210801_100000.jpg", exif_date="2021:08:01 10:00:00")
    run_check(cws)
    cws.decide("人武部/征兵通报.pdf", "2.1a", "reject", "李四")
    assert material(cws.check(), "2.1a")["status"] == "missing"
    cws.decide("人武部/征兵通报.pdf", "2.1a", "unassign", "李四")      # back to the suggestion
    assert material(cws.check(), "2.1a")["status"] == "unconfirmed"
    sha = cws.resolve_file("教育局/IMG_20210801_100000.jpg")
    cws.decide(sha[:8], "1.2b", "assign", "李四")                       # by an id prefix
    m = material(cws.check(), "1.2b")
    assert (m["status"], m["have"], m["need"]) == ("partial", 1, 2)


def test_decisions_survive_a_reindex_and_reach_the_search_filter(cws):
    f.text_pdf(cws.config.inbox / "人武部/征兵通报.pdf", ["2021年征兵任务完成情况通报\n2021年10月20日"])
    run_check(cws)
    cws.decide("人武部/征兵通报.pdf", "2.1a", "confirm", "张三")
    cws.sync_index()
    assert [h.path for h in cws.index.search("通报", item="2.1a").hits] == ["人武部/征兵通报.pdf"]
    cws.index.rebuild(cws.catalog, items_of=cws.items_of)
    assert material(cws.check(), "2.1a")["status"] == "complete"
    assert [h.items for h in cws.index.search("通报").hits] == [["2.1a"]]


def test_a_new_round_remaps_and_keeps_decisions_for_ids_that_remain(cws, tmp_path):
    f.text_pdf(cws.config.inbox / "人武部/征兵通报.pdf", ["2021年征兵任务完成情况通报\n2021年10月20日"])
    f.photo_jpeg(cws.config.inbox / "教育局/IMG_20210801_100000.jpg", exif_date="2021:08:01 10:00:00")
    run_check(cws)
    cws.decide("人武部/征兵通报.pdf", "2.1a", "confirm", "张三")
    cws.decide("教育局/IMG_20210801_100000.jpg", "1.2b", "assign", "张三")
    new = STANDARD.replace("2022-12-31", "2023-12-31").replace(
        "          - {id: 1.2b, title: 慰问照片, kind: photo, count: 2, query: 慰问}\n", "")
    cws.config.standard.write_text(new, encoding="utf-8")
    root = cws.config.root
    cws.close()
    ws = Workspace.open(root)
    try:
        r = ws.check()
        assert r["period"]["years"] == [2020, 2021, 2022, 2023]
        assert material(r, "2.1a")["status"] == "complete"
        assert "1.2b" not in json.dumps(r)
        ws.sync_index()
        assert [h.items for h in ws.index.search("通报").hits] == [["2.1a"]]
    finally:
        ws.close()


@pytest.mark.parametrize("path, code", [
    ("人武部/1.1a_2021议军会议纪要.docx", "1.1a"),
    ("人武部/1.1/纪要.docx", "1.1"),
    ("人武部/1.1议军会议/纪要.docx", "1.1"),
    ("人武部/1.2-领导小组/1.2a 文件.docx", "1.2a"),                 # the deepest name wins
    ("人武部/2 一票否决/通报.docx", "2"),
    ("人武部/2018年工作总结.docx", None),                          # not item 2
    ("人武部/2.jpg", None),                                        # a photo numbered 2
    ("人武部/1.10_其他.docx", None),                               # 1.10 is not 1.1 nor 1
    ("人武部/11 其他.docx", None),
    ("人武部/20210405.jpg", None),
    ("1.1a_单位文件夹本身不算.docx", None),
    ("人武部/资料.zip/1.2b 照片/慰问.jpg", "1.2b"),
])
def test_declared_codes(path, code):
    assert CodeMatcher(parse(STANDARD)).declared(path) == code


def test_validation_names_the_line_and_field():
    bad = """title: 坏标准
period: {start: 2021-01-01, end: 2020-12-31}
items:
  - code: "1"
    title: 组织领导
    points: 5
    children:
      - code: "1.1"
        title: 甲
        points: 2
        materials:
          - {id: 1.1a, title: 纪要, kind: doc, count: 0, query: NOT}
      - code: "1.1"
        title: 乙
        points: 1
        materials:
          - {id: 1.1a, title: 重复, kind: photo}
"""
    with pytest.raises(StandardError) as e:
        parse(bad, "坏标准.yaml")
    problems = [(p.line, standard_problem(p)) for p in e.value.problems]
    whole = describe(e.value).text

    def at(line, words):
        return any(ln == line and all(w in m for w in words) for ln, m in problems)
    assert "第 2 行" in whole and "结束日期" in whole
    assert at(6, ["与其下各项分值之和 3 不一致"])
    assert at(12, ["kind", "doc"]) and at(12, ["count"]) and at(12, ["query"])
    assert at(13, ["1.1", "编号重复"])
    assert at(17, ["1.1a", "重复"])
    assert len(problems) == 7
    with pytest.raises(StandardError) as e:
        parse("title: x\nitems:\n  - code: 1\n   title: 缩进错了\n")
    assert e.value.problems[0].line == 4 and "YAML" in standard_problem(e.value.problems[0])


def test_codes_are_kept_as_written():
    std = parse(STANDARD.replace('code: "1.1"', "code: 1.10").replace("id: 1.1a", "id: 1.10a"))
    assert std.item("1.10") is not None and "1.10a" in std.materials()


def test_excel_import_with_merged_first_level_cells(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某某省双拥模范城考评标准(2020—2023年)"])
    ws.merge_cells("A1:F1")
    ws.append(["考评项目", "序号", "考评内容", "分值", "评分标准", "责任单位"])
    ws.append(["一、组织领导坚强有力(4分)", "1", "双拥工作纳入政府工作报告", "2分", "每年纳入得2分", "市政府办、双拥办"])
    ws.append([None, "2", "召开议军会议", 2, "每年至少一次", "双拥办,人武部"])
    ws.append(["二、拥军优属", "1", "优抚金按时足额发放", 1.5, "查台账", "退役军人事务局"])
    ws.append(["一票否决", "1", "兵员征集任务未完成的", 0, "一票否决", "人武部"])
    ws.merge_cells("A3:A4")
    path = tmp_path / "考评标准.xlsx"
    wb.save(path)
    std = load(path)
    assert (std.title, std.start.year, std.end.year) == ("某某省双拥模范城考评标准(2020—2023年)", 2020, 2023)
    assert [(i.code, i.title, i.points) for i in std.items] == [
        ("1", "组织领导坚强有力", 4.0), ("2", "拥军优属", 1.5), ("3", "一票否决", 0.0)]
    one = std.item("1.2")
    assert (one.title, one.points, one.units) == ("召开议军会议", 2.0, ["双拥办", "人武部"])
    assert std.item("3.1").veto and std.materials()["1.1a"].per_year
    assert std.materials()["2.1a"].per_year is False


def test_excel_template_imports_and_reports_bad_rows(tmp_path):
    std = import_xlsx(template(tmp_path / "模板.xlsx"))
    assert std.materials()["1.1a"].query == "政府工作报告 双拥" and std.item("2.1").veto
    import openpyxl
    wb = openpyxl.load_workbook(tmp_path / "模板.xlsx")
    wb.active["D3"] = "两分"
    wb.save(tmp_path / "坏.xlsx")
    with pytest.raises(StandardError) as e:
        import_xlsx(tmp_path / "坏.xlsx")
    said = standard_problem(e.value.problems[0])
    assert "第 3 行" in said and "两分" in said


def test_bundled_standard_is_complete_and_valid():
    from checklist import DEFAULT_STANDARD
    std = load(DEFAULT_STANDARD)
    leaves = [i for i in std.walk() if not i.children]
    assert len(std.items) >= 9 and len(std.materials()) >= 30
    assert any(i.veto for i in leaves) and any(i.bonus for i in leaves)
    assert all(m.query for m in std.materials().values())
