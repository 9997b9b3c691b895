"""待审核, the dashboard and the units' own status in the web app: through Flask's test client for
the rules, and in Debian's Chromium (Playwright) for the office's and a unit's journeys."""
import io
import shutil

import pytest

from tests import factories as f
from tests.conftest import ingest, standard_workspace
from tests.test_check import STANDARD
from tests.test_web import PASSWORD, Client, _logged_in, browser, server  # noqa: F401 (fixtures)
from yingjian.web import create_app


@pytest.fixture
def site(tmp_path):
    ws = standard_workspace(tmp_path, STANDARD, ["人武部", "教育局", "财政局"])
    inbox = ws.config.inbox
    # a foreign declaration: 人武部 files 教育局's material
    f.docx_file(inbox / "人武部/1.2a_关于调整领导小组的通知.docx", ["关于调整领导小组成员的通知", "2021年3月5日"])
    # suggestions found by content, each worth a share of 1.1's points
    for year in (2020, 2021, 2022):
        f.docx_file(inbox / f"人武部/会议/{year}年议军会议纪要.docx", ["中共某某市委议军会议纪要", f"{year}年6月1日"])
    f.text_pdf(inbox / "人武部/征兵通报.pdf", ["2021年征兵任务完成情况通报\n2021年10月20日"])
    ingest(ws)
    ws.sync_index()
    ws.users.add("张三", PASSWORD, office=True)
    ws.users.add("李四", PASSWORD, unit="人武部")
    ws.close()
    app = create_app(tmp_path / "ws", secret="test-secret")
    yield app
    app.extensions["yingjian"].close()


def test_the_review_page_lists_every_suggestion_with_its_reason_veto_first(site):
    office = Client(site, "张三")
    r = office.get("/review")
    assert r.status_code == 200
    assert 'data-total="5"' in r.text
    assert r.text.index('data-material="2.1a"') < r.text.index('data-material="1.1a"')   # veto first
    assert "由人武部上传,非该项责任单位" in r.text and "按内容自动找到,待确认" in r.text
    assert "/thumb" in r.text and "议军会议纪要" in r.text          # preview: thumbnail and text
    assert office.get("/review?unit=教育局").text.count('class="review-row') == 0
    assert office.get("/review?item=1.1").text.count('class="review-row') == 3
    assert Client(site, "李四").get("/review").status_code == 403


def test_confirm_reject_not_this_one_and_confirm_all(site):
    ws = site.extensions["yingjian"]
    office = Client(site, "张三")
    q = ws.review(item="1.1")
    shas = [s["id"] for s in q["suggestions"]]
    r = office.post("/review/decide", {"sha": shas, "material": "1.1a", "action": "confirm",
                                       "back": "/review"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/review")
    assert ws.review(item="1.1")["total"] == 0
    assert [h["user"] for sha in shas for h in ws.mapping.history(sha)] == ["张三"] * 3
    veto = ws.review(item="2.1")["suggestions"][0]
    office.post("/review/decide", {"sha": veto["id"], "material": "2.1a", "action": "reject",
                                   "note": "wrong_material"})
    assert ws.mapping.history(veto["id"])[-1]["note"] == "wrong_material"
    assert ws.review()["total"] == 1
    bad = office.post("/review/decide", {"sha": "x" * 64, "material": "1.2a", "action": "confirm"})
    assert bad.status_code == 400
    unknown = office.post("/review/decide", {"sha": veto["id"], "material": "9.9z", "action": "confirm"})
    assert unknown.status_code == 400 and "9.9z" in unknown.text


def test_the_dashboard_links_what_needs_doing(site):
    office = Client(site, "张三")
    r = office.get("/")
    assert r.status_code == 200
    for needle in ('id="dash-score"', 'href="/review" data-total="5"', 'href="/problems"',
                   'id="dash-never" href="/units" data-count="2"', 'href="/units/财政局"',
                   'href="/items/2.1"'):
        assert needle in r.text, needle
    assert "找到" in office.get("/?q=征兵").text          # the old search address still searches
    unit = Client(site, "李四").get("/")
    assert unit.status_code == 200 and 'id="todo"' in unit.text and "dash-score" not in unit.text


def test_a_units_upload_for_a_todo_row_is_declared_and_waits(site):
    ws = site.extensions["yingjian"]
    unit = Client(site, "李四")
    page = unit.get("/")
    assert 'href="/upload?material=2.1a"' in page.text
    data = {"files": [(io.BytesIO("征兵任务完成情况通报\n输送新兵十二名\n".encode()), "征兵情况.txt"),
                      (io.BytesIO(b""), "空文件.txt")], "material": "2.1a"}
    r = unit.post("/upload", data, content_type="multipart/form-data")
    assert r.status_code == 200
    assert (ws.config.inbox / "人武部/网页上传/2.1a/征兵情况.txt").is_file()
    good = r.text[r.text.index('id="uploaded"'):]
    assert "征兵情况.txt:已归档" in good and "待审核" in good and "文件为空" not in good
    red = r.text[r.text.index('id="upload-problems"'):r.text.index('id="uploaded"')]
    assert "空文件.txt" in red and "文件为空" in red
    row = next(s for s in ws.review()["suggestions"] if s["path"].endswith("征兵情况.txt"))
    assert row["material"] == "2.1a" and [w["code"] for w in row["waits"]] == ["date_not_inside"]
    # its own page shows how each file stands
    page = unit.get("/units/人武部").text
    assert 'data-standing="waiting"' in page and 'data-standing="problem"' in page
    again = {"files": [(io.BytesIO(b"x"), "x.txt")], "material": "9.9z"}
    assert unit.post("/upload", again, content_type="multipart/form-data").status_code == 400


def test_a_declared_upload_that_meets_the_rule_is_accepted_at_once(site):
    unit = Client(site, "李四")
    buf = io.BytesIO()
    import docx
    d = docx.Document()
    for p in ("中共某某市委议军会议纪要", "2022年6月1日"):
        d.add_paragraph(p)
    d.save(buf)
    buf.seek(0)
    r = unit.post("/upload", {"files": [(buf, "纪要.docx")], "material": "1.1a"},
                  content_type="multipart/form-data")
    assert "已采用为佐证" in r.text[r.text.index('id="uploaded"'):]


# -- in the browser --------------------------------------------------------------------------

def _figures(page):
    return (float(page.get_attribute("#dash-score", "data-score")),
            int(page.get_attribute("#dash-review", "data-total")))


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_office_confirms_three_suggestions_and_the_dashboard_changes(site, server, browser, tmp_path):
    errors = []
    page = _logged_in(browser, server, "张三", errors)
    page.goto(server + "/")
    score, waiting = _figures(page)
    assert waiting == 5
    page.click("#dash-review")
    assert page.inner_text("#review-total").startswith("共 5 条")
    for _ in range(3):
        page.click(".review-group[data-material='1.1a'] .review-row button.confirm >> nth=0")
    assert page.inner_text("#review-total").startswith("共 2 条")
    page.screenshot(path=str(tmp_path / "review.png"), full_page=True)
    page.click("header nav a[href='/']")
    new_score, new_waiting = _figures(page)
    assert new_waiting == 2 and new_score == pytest.approx(score + 2.0, abs=0.02)
    assert errors == []


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_unit_uploads_for_a_todo_row_and_sees_it_waiting(site, server, browser, tmp_path):
    errors = []
    page = _logged_in(browser, server, "李四", errors)
    page.goto(server + "/")
    note = tmp_path / "征兵情况.txt"
    note.write_text("征兵任务完成情况通报\n输送新兵十二名\n", encoding="utf-8")
    page.click("tr.todo[data-material='2.1a'] a.upload-for")
    assert "2.1a 征兵任务完成通报" in page.inner_text("h1")
    page.set_input_files("input[type=file]", str(note))
    page.click("button[type=submit]")
    assert "待审核" in page.inner_text("#uploaded")
    page.goto(server + "/")
    row = page.locator("tr.unit-file", has_text="征兵情况.txt")
    assert row.get_attribute("data-standing") == "waiting" and "待审核" in row.inner_text()
    page.screenshot(path=str(tmp_path / "unit.png"), full_page=True)
    assert errors == []
