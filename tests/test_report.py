"""The readiness report (HTML, Excel) and the inspection binder, checked for content against the
check they were made from, on a real workspace; the HTML rendered in Debian's Chromium."""
import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest

from yingjian.report import write_binder, write_html, write_xlsx
from tests import factories as f
from tests.conftest import ingest, standard_workspace
from tests.test_check import STANDARD, material

HOSTILE = "<img src=x onerror=alert(1)>纪要.docx"


@pytest.fixture
def rws(tmp_path):
    ws = standard_workspace(tmp_path, STANDARD, ["人武部", "教育局"])
    inbox = ws.config.inbox
    f.docx_file(inbox / "人武部/1.1a 议军会议/2020年议军会议纪要.docx", ["议军会议纪要", "2020年6月1日"])
    f.docx_file(inbox / f"人武部/1.1a 议军会议/{HOSTILE}", ["议军会议纪要", "2021年6月1日"])
    f.text_pdf(inbox / "人武部/征兵通报.pdf", ["2021年征兵任务完成情况通报\n2021年10月20日"])
    f.photo_jpeg(inbox / "教育局/1.2b/IMG_20210801_100000.jpg", "八一慰问", exif_date="2021:08:01 10:00:00")
    f.photo_jpeg(inbox / "教育局/1.2b/IMG_20220801_100000.jpg", "春节慰问", exif_date="2022:01:20 10:00:00")
    good = f.text_pdf(tmp_path / "x.pdf", ["关于调整领导小组的通知\n2021年3月5日"])
    (inbox / "教育局/1.2a 领导小组(传输中断).pdf").write_bytes(good.read_bytes()[:400])
    ingest(ws)
    ws.sync_index()
    yield ws
    ws.close()


class _Rows(HTMLParser):
    """Collects the data-* attributes of the report's marked elements, and every reference."""

    def __init__(self):
        super().__init__()
        self.marked, self.refs = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-material" in a or "data-key" in a or "data-unit" in a or "data-code" in a:
            self.marked.append((tag, a))
        for key in ("src", "href"):
            if a.get(key):
                self.refs.append((tag, a[key]))
        if tag in ("link", "script", "iframe", "object", "embed"):
            self.refs.append((tag, "ELEMENT"))


def test_html_report_matches_the_check_and_is_self_contained(rws, tmp_path):
    r = rws.readiness()
    check = r.result
    out = write_html(rws.report_data(r, links_from=tmp_path / "out"), tmp_path / "out/报告.html")
    text = out.read_text(encoding="utf-8")
    p = _Rows()
    p.feed(text)
    rows = {a["data-material"]: a for tag, a in p.marked if tag == "tr" and a.get("class") == "material"}
    assert set(rows) == {"1.1a", "1.2a", "1.2b", "2.1a"}
    for mid, a in rows.items():
        m = material(check, mid)
        assert (a["data-status"], int(a["data-need"]), int(a["data-have"])) == (m["status"], m["need"], m["have"])
    assert rows["1.2b"]["data-status"] == "complete" and rows["1.2a"]["data-status"] == "missing"
    summary = {a["data-key"]: a for tag, a in p.marked if "data-key" in a}
    assert set(summary) >= {"materials", "complete", "missing"}
    counts = re.findall(r'data-key="(\w+)">(\d+)<', text)
    assert {k: int(v) for k, v in counts} == {"materials": 4, **{k: check["summary"][k] for k in
                                              ("complete", "unconfirmed", "partial", "missing")},
                                              "suggestions_pending": check["summary"]["suggestions_pending"]}
    assert [a["data-unit"] for tag, a in p.marked if "data-unit" in a] == ["人武部", "教育局"]
    # veto first, and problems listed with their reason
    assert text.index('class="veto"') < text.index('class="material"')
    assert "传输中断" in text and "文件不完整" in text
    # nothing reaches outside the file: images are inline, links only to the files themselves
    for tag, ref in p.refs:
        assert ref != "ELEMENT", tag
        assert ref.startswith("data:image/jpeg;base64,") or (tag == "a" and not re.match(r"\w+:", ref)), ref
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text) and "@import" not in text
    assert sum(1 for tag, ref in p.refs if ref.startswith("data:image")) >= 2     # the photos
    # a file name with HTML in it is shown, escaped, never run
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;纪要.docx" in text
    links = [ref for tag, ref in p.refs if tag == "a"]
    assert links and all((out.parent / unquote(h)).is_file() for h in links)


def test_excel_report_sheets_match_the_check(rws, tmp_path):
    r = rws.readiness()
    check = r.result
    out = write_xlsx(rws.report_data(r), tmp_path / "报告.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["总览", "考评项目", "责任单位任务清单", "证据清单", "问题文件"]
    overview = {r[0]: r[1] for r in wb["总览"].iter_rows(values_only=True)}
    assert overview["预计得分"] == check["score"] and overview["材料缺失"] == check["summary"]["missing"]
    labels = {"complete": "齐全", "unconfirmed": "待确认", "partial": "不全", "missing": "缺失"}
    items = list(wb["考评项目"].iter_rows(min_row=2, values_only=True))
    by_material = {r[7]: r for r in items if r[7]}
    for mid in ("1.1a", "1.2a", "1.2b", "2.1a"):
        m = material(check, mid)
        assert (by_material[mid][5], by_material[mid][9], by_material[mid][10]) == (labels[m["status"]], m["need"], m["have"])
    fill = {r[7]: c for r, c in zip(items, wb["考评项目"].iter_rows(min_row=2)) if r[7]}
    assert fill["1.2b"][5].fill.fgColor.rgb.endswith("C6EFCE")        # complete is green
    evidence = list(wb["证据清单"].iter_rows(min_row=2, values_only=True))
    assert {r[2] for r in evidence} == {r["path"] for r in __import__("yingjian.records").records.files(rws.catalog)}
    photo = next(r for r in evidence if r[2].endswith("IMG_20210801_100000.jpg"))
    assert (photo[4], photo[5], photo[7]) == ("2021-08-01", "拍摄时间", "1.2b")
    problems = list(wb["问题文件"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in problems] == ["教育局/1.2a 领导小组(传输中断).pdf"]
    todo = [r for r in wb["责任单位任务清单"].iter_rows(min_row=2, values_only=True) if r[0] == "人武部"]
    assert {r[3] for r in todo} == {"1.1a", "2.1a"}


def test_binder_holds_the_confirmed_evidence_byte_for_byte(rws, tmp_path):
    r = rws.readiness()
    check = r.result
    data = rws.report_data(r)
    table = write_xlsx(data, tmp_path / "自评表.xlsx")
    out = write_binder(data, tmp_path / "汇编.zip", table)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        root = names[0].split("/")[0]
        assert f"{root}/index.html" in names and f"{root}/00 总目录与自评表/自评表.xlsx" in names
        evidence = [n for n in names if "/00 " not in n and not n.endswith("index.html")
                    and n.split("/")[1] not in ("_search", "汇编")]
        assert {n.split("/")[1] for n in names} >= {"_search", "汇编"}     # the search data, the volumes
        confirmed = [e for m in ("1.1a", "1.2b") for e in material(check, m)["evidence"]
                     if e["confirmed"] and e["counts"]]
        assert len(evidence) == len(confirmed) == 4
        for e in confirmed:
            arc = next(n for n in evidence if n.endswith(Path(e["path"]).name.replace("<", "_").replace(">", "_")))
            assert zf.read(arc) == rws.store.path(e["id"]).read_bytes()
        leaf = [n for n in evidence if "/1.2 " in n]
        assert leaf == sorted(leaf) and Path(leaf[0]).name.startswith("2021-08-01 1.2b")
        assert all(n.split("/")[1].startswith("01 ") for n in evidence)
        index = zf.read(f"{root}/index.html").decode("utf-8")
        for href in re.findall(r'href="([^"]+)"', index):
            assert f"{root}/{unquote(__import__('html').unescape(href))}" in names, href
        assert "<img src=x" not in index and "_img src=x onerror=alert(1)_纪要.docx" in index


def test_report_command_writes_all_three(rws):
    from click.testing import CliRunner
    from yingjian.cli import cli
    res = CliRunner().invoke(cli, ["-w", str(rws.config.root), "report"])
    assert res.exit_code == 0, res.output
    made = sorted(p.name for p in (rws.config.root / "reports").iterdir())
    assert len(made) == 3 and [Path(m).suffix for m in made] == [".html", ".xlsx", ".zip"]


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_html_report_renders_and_prints_in_chromium(rws, tmp_path):
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader
    r = rws.readiness()
    check = r.result
    out = write_html(rws.report_data(r, links_from=tmp_path), tmp_path / "报告.html")
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 900, "height": 1200})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: errors.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto(out.as_uri())
        shot = page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        assert page.locator("#score").inner_text() == f"{check['score']:g}"
        pdf = page.pdf(format="A4")
        browser.close()
    assert errors == []
    assert len(shot) > 20_000
    (tmp_path / "report.pdf").write_bytes(pdf)
    pages = len(PdfReader(str(tmp_path / "report.pdf")).pages)
    # overview; readiness over time; veto and items; one page per unit; problems
    assert pages == 1 + 1 + 1 + len(check["units"]) + 1
