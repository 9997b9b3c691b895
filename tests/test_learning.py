"""Suggestions learned from the office's decisions (checklist/learning.py): a confirmed file
makes similar unmatched files suggestions, with their reason; a rejection removes one for good;
nothing learned ever counts without the office; learning can be switched off."""
import json

import pytest
from click.testing import CliRunner

from tests.conftest import ingest, standard_workspace
from yingjian.cli import cli
from yingjian.workspace import Workspace

pytestmark = pytest.mark.usefixtures("on_both_databases")

STANDARD = """
title: 测试标准
period: {start: 2020-01-01, end: 2023-12-31}
items:
  - code: "1"
    title: 支持国防建设
    children:
      - code: "1.1"
        title: 征兵工作
        points: 2
        units: [人武部]
        materials:
          - {id: 1.1a, title: 征兵工作总结, kind: document, count: 1, per_year: true, query: 征兵工作总结}
      - code: "1.2"
        title: 国防教育
        points: 1
        units: [教育局]
        materials:
          - {id: 1.2a, title: 国防教育课程记录, kind: document, count: 1, query: 国防教育课 记录表}
  - code: "2"
    title: 一票否决
    children:
      - code: "2.1"
        title: 伤病残军人移交安置
        points: 0
        veto: true
        units: [退役军人事务局]
        materials:
          - {id: 2.1a, title: 伤病残军人移交安置台账, kind: document, count: 1, query: 移交安置台账}
"""

RECRUIT = ("关于{y}年度兵役登记和应征青年体检政审工作情况的报告\n"
           "按照上级部署,我市{y}年兵役登记工作全面完成,应征青年上站体检、政治考核、役前教育、"
           "定兵审批和新兵欢送入伍各环节有序推进,大学生应征入伍比例提高。{extra}\n{y}年12月20日")
VETO = ("伤病残退役军人接收工作报告\n本年度共接收伤病残退役军人{n}名,档案移交、医疗保障、"
        "伤残抚恤关系转移和住房安置均已落实,逐人建立接收档案。{extra}\n{y}年11月8日")
NOISE = ["关于开展垃圾分类宣传周活动的通知\n各社区:为推进生活垃圾分类工作,定于下周开展宣传活动。\n2021年5月6日",
         "食堂卫生检查记录\n检查人员对餐具消毒、食材采购台账进行了检查,未发现问题。\n2022年3月2日",
         "2021年度财务预算执行情况说明\n本年度预算收入、支出执行正常,结余资金按规定使用。\n2021年12月30日"]


def write(root, rel, text):
    p = root / "inbox" / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def run(root, *args):
    r = CliRunner().invoke(cli, ["--workspace", str(root), *args], env={"YINGJIAN_HOME": ""})
    assert r.exit_code == 0, r.output
    return r.output


@pytest.fixture
def lws(tmp_path):
    """Recruitment reports under names that say nothing, veto reports, and noise; none of them
    matches a content rule."""
    ws = standard_workspace(tmp_path, STANDARD, ["双拥办", "人武部", "教育局", "退役军人事务局"])
    root = ws.config.root
    write(root, "人武部/扫描全能王 2021-07-28 10.32.txt", RECRUIT.format(y=2021, extra="全年完成征集任务。"))
    write(root, "人武部/微信图片_20220405.txt", RECRUIT.format(y=2022, extra="女兵征集同步开展。"))
    write(root, "人武部/新建文档.txt", RECRUIT.format(y=2023, extra="退役士兵返乡。"))
    write(root, "退役军人事务局/扫描全能王 2021-11-08.txt", VETO.format(y=2021, n=3, extra=""))
    write(root, "退役军人事务局/扫描全能王 2022-11-09.txt", VETO.format(y=2022, n=2, extra="无遗留问题。"))
    for i, text in enumerate(NOISE):
        write(root, f"教育局/文件{i}.txt", text)
    ingest(ws)
    yield ws
    ws.close()


def sha_of(ws, path):
    return ws.catalog.source(path).sha


def learned_rows(ws, material=None):
    return [r for r in ws.review()["suggestions"] if r.get("learned")
            and (material is None or r["material"] == material)]


def test_a_confirmed_file_makes_similar_unmatched_files_suggestions_with_their_reason(lws):
    root = lws.config.root
    assert learned_rows(lws) == [] and lws.review()["total"] == 0      # no rule finds them
    example = "人武部/扫描全能王 2021-07-28 10.32.txt"
    run(root, "assign", example, "1.1a", "--user", "张三")
    q = json.loads(run(root, "review", "--json"))
    rows = [r for r in q["suggestions"] if r.get("learned")]
    assert sorted(r["path"] for r in rows) == ["人武部/微信图片_20220405.txt", "人武部/新建文档.txt"]
    for r in rows:
        assert r["material"] == "1.1a" and r["counts"] is True
        assert [w["code"] for w in r["waits"]] == ["similar_to_confirmed"]
        assert r["waits"][0]["text"].startswith("与已确认的 1 个文件相似")
        assert "扫描全能王 2021-07-28 10.32.txt" in r["waits"][0]["text"]
        assert [s["path"] for s in r["similar"]] == [example]
        assert r["similar"][0]["id"] == sha_of(lws, example)
    # neither the noise nor the veto reports resemble a recruitment report
    assert not any(r["path"].startswith(("教育局/", "退役军人事务局/")) for r in q["suggestions"])
    text = run(root, "review")
    assert "与已确认的 1 个文件相似" in text and "微信图片_20220405.txt" in text
    check = json.loads(run(root, "check", "--json"))
    mat = check["items"][0]["children"][0]["materials"][0]
    learned = [e for e in mat["evidence"] if e.get("learned")]
    assert len(learned) == 2 and all(not e["confirmed"] and e["how"] == "suggested" for e in learned)
    assert all(e["similar"][0]["path"] == example for e in learned)
    assert "与已确认的 1 个文件相似" in run(root, "check")
    # a unit is told its file waits, never the names of the files it resembles (maybe others')
    ws = Workspace.open(root)
    assert ws.standing(sha_of(ws, "人武部/新建文档.txt")) == {
        "standing": "waiting", "reasons": ["与已确认的 1 个文件相似,待确认"]}
    ws.close()
    # a learned suggestion is confirmed like any other
    run(root, "confirm", "人武部/新建文档.txt", "1.1a")
    assert [r["path"] for r in learned_rows(Workspace.open(root))] == ["人武部/微信图片_20220405.txt"]


def test_a_rejected_suggestion_is_never_suggested_again_for_that_material(lws):
    root = lws.config.root
    run(root, "assign", "人武部/扫描全能王 2021-07-28 10.32.txt", "1.1a")
    run(root, "review")
    run(root, "reject", "人武部/微信图片_20220405.txt", "1.1a")
    def paths():
        return [r["path"] for r in json.loads(run(root, "review", "--json"))["suggestions"]]
    assert paths() == ["人武部/新建文档.txt"]
    run(root, "unassign", "人武部/微信图片_20220405.txt", "1.1a")     # the rejection withdrawn
    assert paths() == ["人武部/新建文档.txt"]
    run(root, "confirm", "人武部/新建文档.txt", "1.1a")                 # more examples, retrained
    assert paths() == []
    run(root, "learn", "run", "--rebuild")                             # rebuilt from the record
    assert paths() == []
    # it is still evidence for nothing, yet the office may assign it by hand
    run(root, "assign", "人武部/微信图片_20220405.txt", "1.1a")
    ws = Workspace.open(root)
    assert sha_of(ws, "人武部/微信图片_20220405.txt") in ws.readiness().serves


def test_nothing_learned_counts_without_the_office(lws):
    root = lws.config.root
    # a unit's own declarations that do not count by themselves: a foreign unit, and a date
    # that came from outside the file; both read like the example
    write(root, "教育局/1.1a_兵役登记.txt", RECRUIT.format(y=2022, extra="") + "\n")
    write(root, "人武部/1.1a/征兵情况.txt", RECRUIT.format(y=2023, extra="").rsplit("\n", 1)[0])
    ingest(lws)
    run(root, "assign", "人武部/扫描全能王 2021-07-28 10.32.txt", "1.1a")
    run(root, "assign", "退役军人事务局/扫描全能王 2021-11-08.txt", "2.1a")
    ws = Workspace.open(root)
    ws.learn()
    result = ws.check()
    veto = result["items"][1]["children"][0]
    assert veto["veto"] and [e["path"] for e in veto["materials"][0]["evidence"]
                             if e.get("learned")] == ["退役军人事务局/扫描全能王 2022-11-09.txt"]
    for it in (result["items"][0]["children"][0], veto):
        for e in it["materials"][0]["evidence"]:
            assert e["confirmed"] == (e["how"] == "decided"), e
    mat = result["items"][0]["children"][0]["materials"][0]
    assert mat["status"] == "partial" and mat["have"] == 1 and mat["years_missing"] == [2020]
    assert mat["years_unconfirmed"] == [2022, 2023]                 # learned: waiting, not counted
    assert result["score"] == pytest.approx(2 * 1 / 4)              # the one assigned year only
    declared = {e["path"]: [w["code"] for w in e["waits"]] for e in mat["evidence"]
                if e["how"] == "declared"}
    assert declared == {"教育局/1.1a_兵役登记.txt": ["not_responsible_unit"],
                        "人武部/1.1a/征兵情况.txt": ["date_not_inside"]}
    # 待审核 keeps its order: the veto item first
    assert [r["material"] for r in ws.review()["suggestions"]][0] == "2.1a"
    ws.close()


def test_learning_is_switched_off_per_material_or_for_the_workspace(lws):
    root = lws.config.root
    run(root, "assign", "人武部/扫描全能王 2021-07-28 10.32.txt", "1.1a")
    run(root, "assign", "退役军人事务局/扫描全能王 2021-11-08.txt", "2.1a")
    def learned():
        return sorted({r["material"] for r in json.loads(run(root, "review", "--json"))[
            "suggestions"] if r.get("learned")})
    assert learned() == ["1.1a", "2.1a"]
    run(root, "learn", "off", "1.1a")
    assert 'off = ["1.1a"]' in (root / "yingjian.toml").read_text(encoding="utf-8")
    assert learned() == ["2.1a"]
    status = json.loads(run(root, "learn", "status", "--json"))
    assert {m["material"]: (m["on"], m["examples"]) for m in status["materials"]} == {
        "1.1a": (False, 1), "1.2a": (True, 0), "2.1a": (True, 1)}
    run(root, "learn", "off")
    assert learned() == []
    run(root, "learn", "on")
    assert learned() == ["1.1a", "2.1a"]
    assert "样例 1" in run(root, "learn", "status")


def test_the_web_app_learns_in_the_background_and_its_pages_only_read(lws):
    from tests.test_web import PASSWORD, Client
    from yingjian.learning import BackgroundLearner
    from yingjian.web import create_app
    import time
    root = lws.config.root
    lws.users.add("张三", PASSWORD, office=True)
    app = create_app(root, secret="test-secret")
    try:
        office = Client(app, "张三")
        example = sha_of(lws, "人武部/扫描全能王 2021-07-28 10.32.txt")
        office.post("/decide", {"sha": example, "material": "1.1a", "action": "assign"})
        before = lws.learner.store.version()
        page = office.get("/review").text
        assert "similar_to_confirmed" not in page                     # nothing learned yet ...
        assert lws.learner.store.version() == before                  # ... and a GET learns nothing
        learner = BackgroundLearner(root, every=0.2)
        learner.start()
        try:
            deadline = time.monotonic() + 60
            while "similar_to_confirmed" not in page and time.monotonic() < deadline:
                time.sleep(0.3)
                page = office.get("/review").text
        finally:
            learner.stop()
        assert page.count('data-code="similar_to_confirmed"') == 2
        assert f'<a href="/file/{example}">人武部/扫描全能王 2021-07-28 10.32.txt</a>' in page
        # rejected on the page: gone at once, before anything learns again
        other = sha_of(lws, "人武部/微信图片_20220405.txt")
        office.post("/review/decide", {"sha": other, "material": "1.1a", "action": "reject",
                                       "note": "wrong_material"})
        page = office.get("/review").text
        assert page.count('data-code="similar_to_confirmed"') == 1 and other not in page
    finally:
        app.extensions["yingjian"].close()


def test_the_watcher_learns_between_its_steps_and_survives_a_failure(lws):
    from yingjian.watching import WatchCallbacks, WatchService
    lws.config.ocr = False
    events, now = [], [0.0]
    service = WatchService(lws, poll=1.0, callbacks=WatchCallbacks(
        on_event=lambda code, data: events.append(code), clock=lambda: now[0]))
    lws.decide("人武部/扫描全能王 2021-07-28 10.32.txt", "1.1a", "assign", "张三")
    service.after_step()
    assert len(learned_rows(lws, "1.1a")) == 2 and events == []
    # the vectors' folder made unusable: reported, the watcher goes on, and learns once it heals
    lws.learner.rebuild()
    lws.learner.folder.write_text("不是文件夹", encoding="utf-8")
    lws.decide("人武部/新建文档.txt", "1.1a", "assign", "张三")
    now[0] += service.LEARN_EVERY
    service.after_step()
    assert events == ["learning_failed"]
    lws.learner.folder.unlink()
    now[0] += service.LEARN_EVERY
    service.after_step()
    assert [r["path"] for r in learned_rows(lws, "1.1a")] == ["人武部/微信图片_20220405.txt"]


def test_a_wrong_learning_setting_is_one_clear_error(lws):
    from yingjian import messages
    from yingjian.config import WorkspaceError
    root = lws.config.root
    toml = root / "yingjian.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "min_similarity = 0.1", "min_similarity = 5"), encoding="utf-8")
    with pytest.raises(WorkspaceError) as e:
        Workspace.open(root)
    assert e.value.code == "learning_invalid"
    assert "[learning]" in messages.describe(e.value).text
