"""The review queue (Workspace.review, `yingjian review`) and deciding several files at once:
what waits for the office, veto items first, then by the score confirming it would add."""
import json

import pytest
from click.testing import CliRunner

from tests import factories as f
from tests.conftest import ingest
from yingjian.cli import cli
from yingjian.workspace import Workspace, init

UNITS = ["双拥办", "人武部", "退役军人事务局", "宣传部", "教育局"]


def run(*args):
    return CliRunner().invoke(cli, list(args), env={"YINGJIAN_HOME": ""})


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "ws"
    init(root, units=UNITS)
    inbox = root / "inbox"
    for year in (2020, 2021, 2022, 2023):           # the trial: a foreign veto declaration
        p = inbox / f"人武部/10.1a_{year}年伤病残军人接收安置台账.txt"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"{year}年伤病残军人接收安置台账\n{year}年12月20日\n", encoding="utf-8")
    # scored suggestions: found by content (1.1a is worth more than 6.1a)
    f.docx_file(inbox / "宣传部/2021年双拥宣传工作计划.docx", ["2021年双拥宣传工作计划", "2021年2月10日"])
    f.docx_file(inbox / "双拥办/政府工作报告摘录.docx", ["2022年政府工作报告", "深入开展双拥工作", "2022年1月10日"])
    ws = Workspace.open(root)
    ingest(ws)
    ws.sync_index()
    ws.close()
    return root


def test_the_queue_puts_veto_items_first_then_the_score_it_would_add(root):
    ws = Workspace.open(root)
    try:
        q = ws.review()
        mats = [s["material"] for s in q["suggestions"]]
        assert mats[:4] == ["10.1a"] * 4
        rest = q["suggestions"][4:]
        assert rest and [s["gain"] for s in rest] == sorted((s["gain"] for s in rest), reverse=True)
        assert q["total"] == len(q["suggestions"]) == ws.check()["summary"]["review_pending"]
        row = q["suggestions"][0]
        assert {"id", "short", "path", "unit", "date", "date_source", "material", "title", "item",
                "veto", "gain", "waits", "counts"} <= set(row)
        assert row["short"] == row["id"][:8] and row["unit"] == "人武部"
        # filters and pages
        assert ws.review(unit="人武部")["total"] == 4
        assert ws.review(item="10")["total"] == 4 and ws.review(item="10.1")["total"] == 4
        one = ws.review(item="1")["suggestions"]
        assert one and all(s["item"].startswith("1.") for s in one)
        assert len(one) == len([s for s in q["suggestions"] if s["item"].startswith("1.")])
        page = ws.review(offset=2, limit=2)
        assert page["total"] == q["total"] and [s["id"] for s in page["suggestions"]] == \
            [s["id"] for s in q["suggestions"][2:4]]
    finally:
        ws.close()


def test_review_command_lists_the_queue_in_words_and_json(root):
    res = run("-w", str(root), "review")
    assert res.exit_code == 0, res.output
    assert "待审核的建议" in res.output and "由人武部上传,非该项责任单位" in res.output
    assert "类型不符:需要台账,收到文本文件" in res.output and "【否决项】10.1a" in res.output
    out = json.loads(run("-w", str(root), "review", "--unit", "人武部", "--json").output)
    assert out["total"] == 4 and {s["material"] for s in out["suggestions"]} == {"10.1a"}
    assert out["suggestions"][0]["waits"][0] == {
        "code": "not_responsible_unit", "data": {"unit": "人武部"}, "text": "由人武部上传,非该项责任单位"}
    bad = run("-w", str(root), "review", "--unit", "没有的单位")
    assert bad.exit_code != 0 and "没有的单位" in bad.output
    bad = run("-w", str(root), "review", "--item", "99")
    assert bad.exit_code != 0 and "考评标准中没有项目 99" in bad.output


def test_confirm_takes_several_files_for_one_material(root):
    out = json.loads(run("-w", str(root), "review", "--item", "10.1", "--json").output)
    shorts = [s["short"] for s in out["suggestions"]]
    res = run("-w", str(root), "confirm", "10.1a", *shorts[:3], "--user", "张三")
    assert res.exit_code == 0, res.output
    assert res.output.count("已确认") == 3 and "共 3 个文件" in res.output
    left = json.loads(run("-w", str(root), "review", "--item", "10.1", "--json").output)
    assert [s["short"] for s in left["suggestions"]] == shorts[3:]
    check = json.loads(run("-w", str(root), "check", "--json").output)
    m = next(m for it in check["items"] for c in it.get("children", []) for m in c["materials"]
             if m["id"] == "10.1a")
    assert m["have"] == 3
    # FILE … MATERIAL, the README's order, and reject several
    res = run("-w", str(root), "reject", shorts[3], "10.1a")
    assert res.exit_code == 0 and "已排除" in res.output
    assert json.loads(run("-w", str(root), "review", "--item", "10.1", "--json").output)["total"] == 0


def test_one_unknown_file_stops_the_whole_batch(root):
    out = json.loads(run("-w", str(root), "review", "--item", "10.1", "--json").output)
    shorts = [s["short"] for s in out["suggestions"]]
    res = run("-w", str(root), "confirm", "10.1a", shorts[0], "人武部/没有这个文件.txt")
    assert res.exit_code != 0 and "找不到文件" in res.output
    again = json.loads(run("-w", str(root), "review", "--item", "10.1", "--json").output)
    assert again["total"] == 4
    res = run("-w", str(root), "confirm", shorts[0])
    assert res.exit_code != 0 and "材料编号" in res.output
