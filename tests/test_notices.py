"""Chasing the units: due dates, the 督办通知 in Word and its record, on a real workspace (real
docx files ingested, indexed and checked), read back with python-docx."""
import json
import zipfile
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn

from tests import factories as f
from tests.conftest import ingest, standard_workspace
from yingjian import messages
from yingjian.cli import cli
from yingjian.notices import DEFAULT_TEMPLATE

pytestmark = pytest.mark.usefixtures("on_both_databases")

ODD = '{{ 7*7 }}与{% if true %}真{% endif %}"引号"<标签>&符号'
ODD_UNIT = "军民{{ 1+1 }}&共建"
STANDARD = f"""
title: 督办测试标准
period: {{start: 2021-01-01, end: 2022-12-31}}
items:
  - code: "1"
    title: 组织领导
    children:
      - code: "1.1"
        title: 议军会议
        points: 2
        units: [人武部]
        materials:
          - {{id: 1.1a, title: 议军会议纪要, kind: document, count: 1, per_year: true, query: 议军会议 纪要}}
          - {{id: 1.1b, title: '{ODD.replace("'", "''")}', kind: document, count: 1, query: 不会出现的词语}}
      - code: "1.2"
        title: 领导小组
        points: 1
        units: [人武部, 教育局, "{ODD_UNIT}"]
        materials:
          - {{id: 1.2a, title: 领导小组文件, kind: document, count: 1, query: 领导小组 调整}}
  - code: "2"
    title: 一票否决
    children:
      - code: "2.1"
        title: 征兵任务完成
        points: 0
        veto: true
        units: [人武部]
        materials:
          - {{id: 2.1a, title: 征兵任务完成通报, kind: document, count: 1, query: 征兵 任务 完成}}
      - code: "2.2"
        title: 财政保障
        points: 1
        units: [财政局]
        materials:
          - {{id: 2.2a, title: 双拥经费下拨凭证, kind: document, count: 1, query: 双拥经费 下拨}}
"""
UNITS = ["人武部", "教育局", "财政局", ODD_UNIT]


@pytest.fixture
def nws(tmp_path):
    ws = standard_workspace(tmp_path, STANDARD, UNITS)
    inbox = ws.config.inbox
    f.docx_file(inbox / "人武部" / "1.1a_议军会议纪要2021.docx", ["中共某市委议军会议纪要", "2021年6月1日"])
    f.docx_file(inbox / "教育局" / "领导小组调整通知.docx", ["关于领导小组调整的通知", "2022年3月1日"])
    f.docx_file(inbox / "财政局" / "2.2a_经费凭证.docx", ["双拥经费下拨凭证", "2022年3月1日"])
    f.docx_file(inbox / "人武部" / "2.1a_征兵通报.docx", ["征兵任务完成情况通报", "2022年9月1日"])
    ingest(ws)
    ws.sync_index()
    # the office sends the veto file back: 2.1a is 已退回 for 人武部
    sha = next(s for s, _ in [(ws.resolve_file("人武部/2.1a_征兵通报.docx"), 0)])
    ws.decide(sha, "2.1a", "reject", "张三")
    yield ws
    ws.close()


def run(ws, *args):
    res = CliRunner().invoke(cli, ["--workspace", str(ws.config.root), *args],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def check_json(ws) -> dict:
    return json.loads(run(ws, "check", "--json"))


def notice_rows(path) -> tuple[list[list[str]], str, Document]:
    doc = Document(str(path))
    assert len(doc.tables) == 1
    rows = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    return rows, "\n".join(p.text for p in doc.paragraphs), doc


def expected_rows(result: dict, unit: str) -> list[tuple]:
    u = next(u for u in result["units"] if u["unit"] == unit)
    return [(t["material"], "、".join(map(str, t["years_missing"])) or "—", t["status"],
             "是" if t["veto"] else "", messages.day_text(t["due"]) if t["due"] else "—")
            for t in u["todo"] if t["status"] != "complete"]


def read_back(rows: list[list[str]]) -> list[tuple]:
    out = []
    for no, item, mat, years, status, veto, due in rows[1:]:
        mid = mat.lstrip("※").split(" ", 1)[0]
        code = next(k for k, v in messages.NOTICE_STATUS.items() if v == status)
        out.append((mid, years, code, veto, due.replace("(逾期)", "")))
    return out


def test_every_unit_notice_lists_exactly_its_open_materials(nws, tmp_path):
    run(nws, "due", "--unit", "人武部", "2026-12-15")
    run(nws, "due", "1.2a", "2026-12-20")
    result = check_json(nws)
    out = tmp_path / "通知"
    batch = json.loads(run(nws, "notice", "-o", str(out), "--json"))
    written = {n["unit"]: n for n in batch["notices"]}
    for u in result["units"]:
        open_rows = expected_rows(result, u["unit"])
        if not open_rows:
            assert u["unit"] not in written          # nothing open: no notice
            continue
        path = out / f"督办通知_{u['unit']}_{date.today():%Y%m%d}.docx"
        assert written[u["unit"]]["path"] == str(path) and path.is_file()
        got = read_back(notice_rows(path)[0])
        want = [(m, y, "rejected" if (u["unit"], m) == ("人武部", "2.1a") else s, v, d)
                for m, y, s, v, d in open_rows]
        assert sorted(got) == sorted(want), u["unit"]
        assert [r[3] for r in got] == sorted((r[3] for r in got), reverse=True)   # veto first
    assert "财政局" in batch["skipped"] and "财政局" not in written
    r = {m: row for m, *row in read_back(notice_rows(out / f"督办通知_人武部_{date.today():%Y%m%d}.docx")[0])}
    assert r["2.1a"] == ["—", "rejected", "是", "2026年12月15日"]
    assert r["1.1a"] == ["2022", "partial", "", "2026年12月15日"]
    # the material's own date wins; 教育局's pending file is no part of 人武部's row (issue 30)
    assert r["1.2a"] == ["—", "missing", "", "2026年12月20日"]
    with zipfile.ZipFile(batch["zip"]) as z:
        assert sorted(z.namelist()) == sorted(f"督办通知_{u}_{date.today():%Y%m%d}.docx" for u in written)


def test_a_unit_with_nothing_open_gets_a_notice_only_when_asked(nws, tmp_path):
    res = CliRunner().invoke(cli, ["--workspace", str(nws.config.root), "notice", "--unit", "财政局",
                                   "-o", str(tmp_path)])
    assert res.exit_code == 1 and "财政局 没有未齐全的材料" in res.output
    run(nws, "notice", "--unit", "财政局", "--all", "-o", str(tmp_path))
    rows, text, _ = notice_rows(tmp_path / f"督办通知_财政局_{date.today():%Y%m%d}.docx")
    assert rows == [rows[0]] and "尚有以下 0 项" in text


def test_titles_and_unit_names_are_printed_not_evaluated(nws, tmp_path):
    run(nws, "notice", "--unit", ODD_UNIT, "--unit", "人武部", "-o", str(tmp_path))
    rows, text, _ = notice_rows(tmp_path / f"督办通知_人武部_{date.today():%Y%m%d}.docx")
    assert f"1.1b {ODD}" in [r[2] for r in rows]
    assert "49" not in "".join(c for r in rows for c in r)
    rows, text, _ = notice_rows(tmp_path / f"督办通知_{ODD_UNIT}_{date.today():%Y%m%d}.docx")
    assert f"{ODD_UNIT}:" in text and "军民2&" not in text


def test_the_next_notice_counts_and_marks_what_is_still_open(nws, tmp_path):
    first = json.loads(run(nws, "notice", "--unit", "人武部", "-o", str(tmp_path / "1"), "--json"))
    assert first["notices"][0]["number"] == 1
    f.docx_file(nws.config.inbox / "人武部" / "1.1a_议军会议纪要2022.docx",
                ["中共某市委议军会议纪要", "2022年6月1日"])
    ingest(nws)
    second = json.loads(run(nws, "notice", "--unit", "人武部", "-o", str(tmp_path / "2"), "--json"))
    n = second["notices"][0]
    assert n["number"] == 2
    assert n["previous"]["handed_in"] == 1 and n["previous"]["still_open"] == 3
    rows, text, _ = notice_rows(n["path"])
    assert "(第 2 次督办)" in text
    assert "此后已补交 1 项,仍缺 3 项" in text
    marked = {r[2].lstrip("※").split(" ")[0] for r in rows[1:] if r[2].startswith("※")}
    assert marked == {"2.1a", "1.1b", "1.2a"} and len(rows) == 4
    from yingjian.notices import chase_summaries
    chase = chase_summaries(nws, nws.check())["人武部"]
    assert messages.chase_text(chase) == (f"已督办 2 次,上次 {date.today().month}月{date.today().day}日;"
                                          "此后补交 0 项,仍缺 3 项")
    entries = [e for e in nws.audit.entries() if e["action"] == "notice"]
    assert [e["data"]["number"] for e in entries] == [1, 2]
    kept = nws.notice_log.of_unit("人武部")
    assert [k["number"] for k in kept] == [1, 2]
    assert all((nws.config.archive / "notices" / k["file"]).is_file() for k in kept)


def test_a_template_edited_by_the_office_is_used(nws, tmp_path):
    tpl = tmp_path / "我办模板.docx"
    run(nws, "notice", "--template-out", str(tpl))
    doc = Document(str(tpl))
    for p in doc.paragraphs:
        if "{{ title }}" in p.text:
            for r in p.runs:
                r.text = r.text.replace("{{ title }}", "关于抓紧报送{{ unit }}迎检资料的紧急通知")
    doc.add_paragraph("联系人:王五,电话 0000-1234567;共 {{ count }} 项")
    header = doc.tables[0].rows[0].cells[2].paragraphs[0]
    header.runs[0].text = "材料名称"
    doc.save(str(tpl))
    run(nws, "notice", "--unit", "人武部", "--template", str(tpl), "-o", str(tmp_path / "o"))
    result = check_json(nws)
    rows, text, _ = notice_rows(tmp_path / "o" / f"督办通知_人武部_{date.today():%Y%m%d}.docx")
    assert "关于抓紧报送人武部迎检资料的紧急通知" in text
    assert "联系人:王五,电话 0000-1234567;共 4 项" in text
    assert rows[0][2] == "材料名称"
    want = expected_rows(result, "人武部")
    assert sorted(r[0] for r in read_back(rows)) == sorted(m for m, *_ in want)


def test_a_broken_template_is_one_clear_error_and_records_nothing(nws, tmp_path):
    tpl = tmp_path / "坏模板.docx"
    doc = Document(str(DEFAULT_TEMPLATE))
    doc.add_paragraph("{% if unit %}没有结束")
    doc.save(str(tpl))
    res = CliRunner().invoke(cli, ["--workspace", str(nws.config.root), "notice", "--template",
                                   str(tpl), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1 and "督办通知模板" in res.output and "字段有误" in res.output
    assert nws.notice_log.recent() == []
    res = CliRunner().invoke(cli, ["--workspace", str(nws.config.root), "notice", "--template",
                                   str(tmp_path / "没有这个.docx")])
    assert res.exit_code == 1 and "无法打开督办通知模板" in res.output
    (tmp_path / "旧版.doc").write_bytes(b"\xd0\xcf\x11\xe0 not a docx")
    res = CliRunner().invoke(cli, ["--workspace", str(nws.config.root), "notice", "--template",
                                   str(tmp_path / "旧版.doc")])
    assert res.exit_code == 1 and "不是 Word 的 .docx 文件" in res.output
    assert nws.notice_log.recent() == []


def test_two_hundred_open_materials_are_one_table_with_a_repeated_header(tmp_path):
    mats = "\n".join(f"          - {{id: 1.1m{i}, title: 第{i}项材料, kind: any, count: 1}}"
                     for i in range(200))
    std = f"""
title: 大标准
period: {{start: 2021-01-01, end: 2022-12-31}}
items:
  - code: "1.1"
    title: 很多材料
    points: 10
    units: [人武部]
    materials:
{mats}
"""
    ws = standard_workspace(tmp_path, std, ["人武部"])
    try:
        run(ws, "notice", "-o", str(tmp_path / "o"))
        rows, _, doc = notice_rows(tmp_path / "o" / f"督办通知_人武部_{date.today():%Y%m%d}.docx")
    finally:
        ws.close()
    assert len(rows) == 201 and [r[0] for r in rows[1:]] == [str(i) for i in range(1, 201)]
    trs = doc.tables[0]._tbl.findall(qn("w:tr"))
    assert trs[0].find(qn("w:trPr")).find(qn("w:tblHeader")) is not None      # repeated on each page
    assert all(tr.find(qn("w:trPr")) is None or tr.find(qn("w:trPr")).find(qn("w:tblHeader")) is None
               for tr in trs[1:])
    assert all(tr.find(qn("w:trPr")).find(qn("w:cantSplit")) is not None for tr in trs)


def test_due_dates_make_open_materials_overdue_everywhere(nws):
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    run(nws, "due", "--unit", "人武部", yesterday)
    run(nws, "due", "2.2a", yesterday)                 # complete: never overdue
    r = check_json(nws)
    u = next(u for u in r["units"] if u["unit"] == "人武部")
    assert u["due"] == yesterday and u["overdue"] == 4
    assert all(t["overdue"] and t["due"] == yesterday for t in u["todo"])
    from tests.test_check import material
    assert material(r, "2.2a")["due"] == yesterday and material(r, "2.2a")["overdue"] is False
    assert material(r, "1.1a")["overdue"] is True
    assert material(r, "1.2a")["due"] == yesterday       # the earliest of its units' dates
    assert r["summary"]["overdue"] == 4
    assert "【逾期】" in run(nws, "check", "--unit", "人武部")
    listing = json.loads(run(nws, "due", "--list", "--json"))
    assert {(d["kind"], d["target"], d["overdue"]) for d in listing["due"]} == {
        ("unit", "人武部", 4), ("material", "2.2a", 0)}
    run(nws, "due", "--unit", "人武部", "--clear")
    assert not check_json(nws)["summary"]["overdue"]
    assert [e["data"]["target"] for e in nws.audit.entries() if e["action"] == "due"] == \
        ["人武部", "2.2a", "人武部"]


def test_a_notice_due_date_becomes_the_due_date_of_each_unit_chased(nws, tmp_path):
    out = json.loads(run(nws, "notice", "--due", "2026年12月31日", "-o", str(tmp_path), "--json"))
    chased = {n["unit"] for n in out["notices"]}
    assert "人武部" in chased and "财政局" not in chased
    rows, text, _ = notice_rows(tmp_path / f"督办通知_人武部_{date.today():%Y%m%d}.docx")
    assert {r[6] for r in rows[1:]} == {"2026年12月31日"} and "请于2026年12月31日前报送" in text
    listing = json.loads(run(nws, "due", "--list", "--json"))
    assert {d["target"] for d in listing["due"]} == chased          # not the unit with nothing open
