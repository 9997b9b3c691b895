"""Chasing the units in the web app: due dates and 生成督办通知 on the 单位 page, a unit user's
own notices, pages that never write the history; the dashboard's readiness chart in Debian's
Chromium, and the HTML report's chart printed on A4."""
import io
import re
import shutil
import zipfile
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from docx import Document

from tests import factories as f
from tests.conftest import ingest, standard_workspace
from tests.test_check import STANDARD
from tests.test_web import PASSWORD, Client, _logged_in, browser, server  # noqa: F401  (fixtures)
from yingjian.cli import cli
from yingjian.history import project, summary_of
from yingjian.web import create_app

INSPECTION = date.today() + timedelta(days=20)


@pytest.fixture
def site(tmp_path):
    ws = standard_workspace(tmp_path, STANDARD, ["人武部", "教育局"])
    toml = ws.config.root / "yingjian.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "[workspace]\n", f"[workspace]\ninspection_date = {INSPECTION.isoformat()}\n", 1),
        encoding="utf-8")
    f.docx_file(ws.config.inbox / "人武部/1.1a_议军会议纪要.docx", ["议军会议纪要", "2021年6月1日"])
    ingest(ws)
    ws.sync_index()
    # a fortnight of history: the open materials fall from 9 to today's
    now = summary_of(ws.check())
    for back, extra in ((20, 6), (14, 4), (7, 2), (3, 1)):
        day = (date.today() - timedelta(days=back)).isoformat()
        ws.history.keep(day, {**now, "open": now["open"] + extra, "score": max(0, now["score"] - extra / 4)})
    ws.users.add("张三", PASSWORD, office=True)
    ws.users.add("李四", PASSWORD, unit="人武部")
    ws.users.add("王五", PASSWORD, unit="教育局")
    ws.close()
    app = create_app(tmp_path / "ws", secret="test-secret")
    app.config["TESTING"] = False
    yield app
    app.extensions["yingjian"].close()


def test_the_office_sets_a_due_date_and_downloads_a_units_notice(site):
    ws = site.extensions["yingjian"]
    office = Client(site, "张三")
    stored = len(ws.history.days())
    for url in ("/", "/units", "/units/人武部", "/items/1.1"):
        assert office.get(url).status_code == 200
    assert len(ws.history.days()) == stored                  # pages only read
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    r = office.post("/due", {"unit": "人武部", "due": yesterday})
    assert r.status_code == 302
    assert len(ws.history.days()) == stored + 1              # the form kept today's point
    page = office.get("/units/人武部").text
    assert f'id="unit-due">{yesterday}<' in page and 'data-overdue="1"' in page
    assert "尚未督办" in page
    office.post("/due", {"unit": "人武部", "material": "1.1a", "due": "2099-01-01"})
    m = next(t for u in ws.check()["units"] if u["unit"] == "人武部" for t in u["todo"]
             if t["material"] == "1.1a")
    assert (m["due"], m["overdue"]) == ("2099-01-01", False)      # the material's own date wins
    r = office.post("/notices", {"unit": "人武部", "due": ""})
    assert r.status_code == 200 and r.headers["Content-Disposition"].endswith(".docx")
    doc = Document(io.BytesIO(r.data))
    mats = [row.cells[2].text.split(" ")[0] for row in doc.tables[0].rows[1:]]
    u = next(u for u in ws.check()["units"] if u["unit"] == "人武部")
    assert sorted(mats) == sorted(t["material"] for t in u["todo"])
    r = office.post("/notices", {"due": ""})
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        assert sorted(n.split("_")[1] for n in z.namelist()) == ["人武部", "教育局"]
    page = office.get("/units/人武部").text
    assert re.search(r"已督办 2 次,上次 \d+月\d+日;此后补交 0 项,仍缺 \d+ 项", page)
    assert "已督办 2 次" in office.get("/").text


def test_a_unit_user_sees_and_downloads_its_own_notices_only(site):
    office = Client(site, "张三")
    office.post("/notices", {"due": ""})
    ws = site.extensions["yingjian"]
    mine = ws.notice_log.of_unit("人武部")[0]["id"]
    theirs = ws.notice_log.of_unit("教育局")[0]["id"]
    unit = Client(site, "李四")
    page = unit.get("/").text
    assert f'href="/notices/{mine}"' in page and f'href="/notices/{theirs}"' not in page
    r = unit.get(f"/notices/{mine}")
    assert r.status_code == 200 and Document(io.BytesIO(r.data)).tables
    assert unit.get(f"/notices/{theirs}").status_code == 404
    assert unit.post("/notices", {"unit": "人武部"}).status_code == 403
    assert unit.post("/due", {"unit": "人武部", "due": "2030-01-01"}).status_code == 403
    assert office.post("/due", {"unit": "人武部", "due": "明天"}).status_code == 400


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_the_dashboard_chart_draws_the_history_the_inspection_date_and_the_projection(
        site, server, browser):  # noqa: F811
    ws = site.extensions["yingjian"]
    stored = ws.history.days()
    live = summary_of(ws.check())
    expected = project([*stored, {**live, "day": date.today().isoformat()}], date.today(), INSPECTION)
    errors = []
    page = _logged_in(browser, server, "张三", errors)
    page.set_default_timeout(5000)
    page.goto(server + "/")
    chart = page.locator("#history svg.history-chart")
    assert chart.is_visible()
    days = page.eval_on_selector_all("#history circle.pt-open", "els => els.map(e => e.dataset.day)")
    assert days == [d["day"] for d in stored] + [date.today().isoformat()]
    xs = [b["x"] for b in (page.locator("#history circle.pt-open").nth(i).bounding_box()
                           for i in range(len(days)))]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    box = chart.bounding_box()
    insp = page.locator("#history line.inspection")
    assert insp.get_attribute("data-day") == INSPECTION.isoformat()
    ib = insp.bounding_box()
    assert xs[-1] < ib["x"] <= box["x"] + box["width"]
    proj = page.locator("#history line.projection")
    assert expected.code == "projected" and proj.get_attribute("data-day") == expected.day
    assert page.locator("#history circle.pt-score").count() == len(days)
    text = page.inner_text("#projection")
    assert "按近两周进度,预计" in text and ("晚于迎检日期" in text or "早于迎检日期" in text
                                          or "正好在迎检日期" in text)
    assert f"距迎检日期还有 {(INSPECTION - date.today()).days} 天" in text
    page.goto(server + "/units")
    assert page.locator("svg.history-chart polyline.unit-line").count() == 2
    assert errors == []


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_the_report_chart_prints_on_a4(site, browser, tmp_path):  # noqa: F811
    from pypdf import PdfReader
    root = site.extensions["yingjian"].config.root
    out = tmp_path / "报告.html"
    res = CliRunner().invoke(cli, ["--workspace", str(root), "report", "--html", str(out)])
    assert res.exit_code == 0, res.output
    a4_printable_px = int((210 - 24) / 25.4 * 96)           # the report's @page margins: 12 mm
    page = browser.new_page(viewport={"width": a4_printable_px, "height": 1000})
    page.goto(out.as_uri())
    page.emulate_media(media="print")
    svg = page.locator("#history svg.history-chart")
    box = svg.bounding_box()
    assert box["x"] >= 0 and 0 < box["x"] + box["width"] <= a4_printable_px and box["height"] > 0
    assert page.locator("#history circle.pt-open").count() == 5
    assert page.locator("#history-units polyline.unit-line").count() == 2
    ub = page.locator("#history-units svg").bounding_box()
    assert 0 < ub["x"] + ub["width"] <= a4_printable_px
    pdf = tmp_path / "报告.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    reader = PdfReader(str(pdf))
    first, second = reader.pages[0], reader.pages[1]
    assert abs(float(first.mediabox.width) - 595.3) < 1.5 and abs(float(first.mediabox.height) - 841.9) < 1.5
    # the readiness over time is a page of its own, after the overview
    assert "迎检准备进度" in second.extract_text() and "迎检准备进度" not in first.extract_text()
