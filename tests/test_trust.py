"""What counts by itself (checklist/trust.py), on the bundled standard: a unit's own word (a
folder or file-name code) makes a file confirmed evidence only from a responsible unit or the
office, for a material of its kind, when the file was read and dated from inside; everything
else waits for the office with its reasons. The trial of issue 13 first."""
import json
import os
import time

import pytest

from archive import readers
from tests import factories as f
from tests.conftest import ingest
from tests.test_check import material
from yingjian import records
from yingjian.workspace import Workspace, init

UNITS = ["双拥办", "人武部", "退役军人事务局", "宣传部"]


@pytest.fixture
def ws(tmp_path):
    init(tmp_path / "ws", units=UNITS)
    w = Workspace.open(tmp_path / "ws")
    yield w
    w.close()


def check(ws):
    ingest(ws)
    ws.sync_index()
    return ws.check()


def ledger_text(path, year):
    """A .txt that says what a ledger would (and is dated inside, so only unit and kind fail)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{year}年伤病残军人接收安置台账\n姓名 接收时间 安置去向\n张三 {year}年5月 民政局\n"
                    f"某某市人民武装部\n{year}年12月20日\n", encoding="utf-8")
    return path


def test_a_unit_cannot_complete_another_units_veto_item_with_text_files(ws):
    for year in (2020, 2021, 2022, 2023):
        ledger_text(ws.config.inbox / f"人武部/10.1a_{year}年伤病残军人接收安置台账.txt", year)
    r = check(ws)
    m = material(r, "10.1a")
    assert m["status"] != "complete" and m["have"] == 0
    assert "10.1" in r["summary"]["veto_at_risk"]
    assert len(m["evidence"]) == 4 and not any(e["confirmed"] for e in m["evidence"])
    for e in m["evidence"]:
        assert e["how"] == "declared"
        assert [(w["code"], w["data"]) for w in e["waits"]] == [
            ("not_responsible_unit", {"unit": "人武部"}),
            ("kind_mismatch", {"need": "ledger", "got": "document"})]
        assert [w["text"] for w in e["waits"]] == ["由人武部上传,非该项责任单位",
                                                   "类型不符:需要台账,收到文本文件"]
    # the office sees them first in its queue: a veto item
    q = ws.review()
    assert q["total"] == 4 and all(s["material"] == "10.1a" and s["veto"] for s in q["suggestions"])
    assert q["suggestions"][0]["waits"][0]["text"] == "由人武部上传,非该项责任单位"


def test_the_responsible_unit_still_needs_the_right_kind(ws):
    ledger_text(ws.config.inbox / "退役军人事务局/10.1a_2021年台账.txt", 2021)
    m = material(check(ws), "10.1a")
    (e,) = m["evidence"]
    assert not e["confirmed"] and [w["code"] for w in e["waits"]] == ["kind_mismatch"]


def test_a_dated_ledger_of_the_responsible_unit_waits_for_the_office_on_a_veto_item(ws):
    """10.1 is a veto item: even a file that meets every rule waits for the office by default
    (`veto_needs_review`); an office that turns it off has it count by itself."""
    f.xlsx_file(ws.config.inbox / "退役军人事务局/10.1a 接收安置台账/2021年台账.xlsx",
                [["2021年伤病残军人接收安置台账"], ["姓名", "接收时间"], ["张三", "2021年5月6日"],
                 ["填报日期:2021年12月20日"]])
    m = material(check(ws), "10.1a")
    (e,) = m["evidence"]
    assert (e["how"], e["confirmed"], e["date_source"]) == ("declared", False, "content")
    assert [w["code"] for w in e["waits"]] == ["veto_needs_review"]
    assert m["have"] == 0 and m["status"] == "unconfirmed" or m["status"] == "partial"
    assert ws.review()["suggestions"][0]["material"] == "10.1a"
    ws.decide(e["id"], "10.1a", "confirm", "张三")
    m = material(ws.check(), "10.1a")
    assert m["have"] == 1 and m["evidence"][0]["confirmed"]

    toml = ws.config.root / "yingjian.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "veto_needs_review = true", "veto_needs_review = false"), encoding="utf-8")
    ws.decide(e["id"], "10.1a", "unassign", "张三")
    other = Workspace.open(ws.config.root)
    try:
        m = material(other.check(), "10.1a")
    finally:
        other.close()
    (e,) = m["evidence"]
    assert (e["how"], e["confirmed"], e["date_source"]) == ("declared", True, "content")
    assert m["have"] == 1 and m["years_missing"] == [2020, 2022, 2023]
    assert "waits" not in e


def test_the_offices_own_folder_counts_for_any_item(ws):
    f.docx_file(ws.config.inbox / "双拥办/10.2a_2021年征兵任务完成情况通报.docx",
                ["2021年征兵任务完成情况通报", "2021年10月20日"])
    (e,) = material(check(ws), "10.2a")["evidence"]
    assert e["confirmed"] and e["how"] == "declared"


def test_the_office_folder_is_the_one_named_in_the_configuration(ws):
    toml = ws.config.root / "yingjian.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('office = "双拥办"', 'office = "宣传部"'),
                    encoding="utf-8")
    root = ws.config.root
    ws.close()
    w = Workspace.open(root)
    try:
        f.docx_file(w.config.inbox / "宣传部/10.2a_通报.docx", ["征兵任务完成情况通报", "2021年10月20日"])
        f.docx_file(w.config.inbox / "双拥办/10.2a_通报二.docx", ["征兵任务完成情况通报", "2022年10月20日"])
        found = {e["unit"]: e["confirmed"] for e in material(check(w), "10.2a")["evidence"]}
        assert found == {"宣传部": True, "双拥办": False}
    finally:
        w.close()


def test_a_date_from_the_file_time_is_not_enough(ws):
    path = f.docx_file(ws.config.inbox / "人武部/10.2a 征兵/征兵任务完成情况通报.docx",
                       ["征兵任务完成情况通报", "输送新兵十二名"])
    when = time.mktime((2021, 10, 20, 9, 0, 0, 0, 0, -1))
    os.utime(path, (when, when))
    (e,) = material(check(ws), "10.2a")["evidence"]
    assert (e["date"], e["date_source"], e["confirmed"]) == ("2021-10-20", "mtime", False)
    assert e["waits"] == [{"code": "date_not_inside", "data": {"source": "mtime"},
                           "text": "日期不是从文件内容中读出的(来自文件时间),需人工核对"}]


def test_a_file_no_reader_understood_never_counts_by_its_file_time(ws, monkeypatch):
    monkeypatch.delitem(readers.REGISTRY, "txt")        # a format with no reader here
    from archive import guard       # read in this process, where the registry is patched
    monkeypatch.setattr(guard, "run_guarded", lambda fn, args, limits: guard.Done(fn(*args)))
    ledger_text(ws.config.inbox / "人武部/10.2a 征兵/征兵任务完成情况通报.txt", 2021)
    (e,) = material(check(ws), "10.2a")["evidence"]
    assert not e["confirmed"] and [w["code"] for w in e["waits"]] == ["unread"]
    assert e["waits"][0]["text"] == "无法读取内容,日期未知"
    # confirmed by the office, it still cannot count: nobody knows its date
    ws.decide("人武部/10.2a 征兵/征兵任务完成情况通报.txt", "10.2a", "confirm", "张三")
    m = material(ws.check(), "10.2a")
    (e,) = m["evidence"]
    assert e["confirmed"] and not e["counts"] and e["why_not"].startswith("无法读取内容,日期未知")
    assert m["have"] == 0
    # the office vouches for a date: it counts for that year, its source says so
    ws.decide(e["id"][:8], "10.2a", "assign", "张三", date="2021-10-20")
    m = material(ws.check(), "10.2a")
    (e,) = m["evidence"]
    assert (e["date"], e["date_source"], e["counts"]) == ("2021-10-20", "vouched", True)
    assert m["have"] == 1 and 2021 not in m["years_missing"]


def test_a_vouched_date_holds_for_its_material_only(ws):
    path = f.docx_file(ws.config.inbox / "人武部/会议记录.docx", ["征兵任务完成情况通报", "伤病残军人接收"])
    r = check(ws)
    sha = ws.resolve_file("人武部/会议记录.docx")
    ws.decide(sha, "10.2a", "assign", "张三", date="2022-06-01")
    r = ws.check()
    ws.decide(sha, "2.1a", "assign", "张三")                 # the same file, no date vouched
    r = ws.check()
    (e,) = material(r, "10.2a")["evidence"]
    assert (e["date"], e["date_source"]) == ("2022-06-01", "vouched")
    (other,) = material(r, "2.1a")["evidence"]                # the file's own date there
    (own,) = records.files(ws.catalog)
    assert own["date_source"] == "mtime" and own["date"] != "2022-06-01"
    assert (other["date"], other["date_source"]) == (own["date"], "mtime")
    assert not other["counts"]
    assert path.exists()


def test_check_json_carries_the_reasons_as_codes_and_words(ws):
    ledger_text(ws.config.inbox / "宣传部/10.1a_2021年台账.txt", 2021)
    r = check(ws)
    (e,) = material(r, "10.1a")["evidence"]
    assert e["waits"][0] == {"code": "not_responsible_unit", "data": {"unit": "宣传部"},
                             "text": "由宣传部上传,非该项责任单位"}
    json.dumps(r, ensure_ascii=False)
    assert r["summary"]["review_pending"] == ws.review()["total"] == 1
