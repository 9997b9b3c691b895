"""The binder's search with no server: the extracted binder's index.html opened over file:// in
Debian's Chromium finds exactly the files `yingjian search` finds for the same words (an OCRed
scan included), with its filters, and its links open the files."""
import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from click.testing import CliRunner

from tests import factories as f
from tests.conftest import ingest, standard_workspace
from tests.test_check import STANDARD
from yingjian.cli import cli

# every file is filed under its material by a responsible unit, in the right kind and dated from
# inside (the veto item's confirmed by the office): all of it is confirmed evidence, so the
# binder holds every file search can find
QUERIES = ["双拥", "烈士陵园", "２０２１ 会议纪要", "八一 OR 征兵", "慰问 -八一", "没有这个词"]


@pytest.fixture(scope="module")
def binder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("binder")
    ws = standard_workspace(tmp, STANDARD, ["人武部", "教育局"])
    inbox = ws.config.inbox
    f.docx_file(inbox / "人武部/1.1a 议军会议/2020年议军会议纪要.docx",
                ["议军会议纪要", "研究双拥工作", "2020年6月1日"])
    f.docx_file(inbox / "人武部/1.1a 议军会议/2021年议军会议纪要.docx",
                ["议军会议纪要", "研究慰问金发放", "2021年6月1日"])
    f.text_pdf(inbox / "人武部/2.1a/征兵通报.pdf", ["2021年征兵任务完成情况通报\n双拥共建\n2021年10月20日"])
    f.scanned_pdf(inbox / "教育局/1.2a/扫描件.pdf",
                  ["关于调整领导小组的通知\n清明节组织师生到烈士陵园祭扫\n2021年3月5日"])
    f.photo_jpeg(inbox / "教育局/1.2b/IMG_20210801_100000.jpg", "八一慰问", exif_date="2021:08:01 10:00:00")
    f.photo_jpeg(inbox / "教育局/1.2b/IMG_20220120_100000.jpg", "春节慰问", exif_date="2022:01:20 10:00:00")
    ingest(ws)
    with ws.ocr_queue(workers=0) as q:
        q.run()
    ws.sync_index()
    # 2.1 is a veto item: a unit's own filing waits for the office, which confirms it
    ws.decide("人武部/2.1a/征兵通报.pdf", "2.1a", "confirm", "张三")
    root = ws.config.root
    ws.close()
    res = CliRunner().invoke(cli, ["-w", str(root), "report", "--binder", str(tmp / "汇编.zip")])
    assert res.exit_code == 0, res.output
    out = tmp / "extracted"
    with zipfile.ZipFile(tmp / "汇编.zip") as zf:
        zf.extractall(out)
    (top,) = out.iterdir()
    return root, top


def search_shas(root: Path, words: str, *opts: str) -> set[str]:
    res = CliRunner().invoke(cli, ["-w", str(root), "search", "--json", "--limit", "1000", *opts, "--", words])
    if res.exit_code != 0:
        return set()                        # nothing to find (a word that is in no file)
    return {h["id"] for h in json.loads(res.output)["hits"]}


def script(path: Path) -> str:
    raw = path.read_bytes()
    return raw.decode("utf-16") if raw.startswith(b"\xff\xfe") else raw.decode("utf-8")


def sha_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_binder_search_data_is_split_and_holds_every_text_once(binder):
    root, top = binder
    names = sorted(p.name for p in (top / "_search").iterdir())
    assert names[:2] == ["files.js", "search.js"] and names[2:] == ["text-000.js", "text-001.js"]
    index = (top / "index.html").read_text(encoding="utf-8")
    assert '<input type="search" id="yj-q"' in index and "script-src 'self'" in index
    assert "<script>" not in index and " on" + "click=" not in index       # nothing inline
    files = script(top / "_search/files.js")
    assert "烈士陵园" not in files                                           # texts come apart
    chunk = script(top / "_search/text-000.js")
    assert chunk.count("研究双拥工作") == 1
    # no bigger than the texts it holds (UTF-16 where that is smaller than UTF-8)
    texts = sum(len(t.encode("utf-8")) for t in re.findall(r'"([^"]*)"', chunk))
    assert (top / "_search/text-000.js").stat().st_size <= 1.5 * texts


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_binder_search_in_chromium_finds_what_yingjian_search_finds(binder):
    from playwright.sync_api import sync_playwright
    root, top = binder
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: errors.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto((top / "index.html").as_uri())

        def ask(words: str) -> set[str]:
            for q in ("", words):          # cleared first: a filter changed under the same words
                page.fill("#yj-q", q)
                page.wait_for_function("q => document.getElementById('yj-results').dataset.query === q", arg=q)
            hrefs = page.eval_on_selector_all("#yj-results a", "as => as.map(a => a.href)")
            return {sha_of(Path(unquote(urlparse(h).path))) for h in hrefs}

        for words in QUERIES:
            want = search_shas(root, words)
            assert ask(words) == want, words
            assert want or words == "没有这个词", words
        assert ask("烈士陵园") == {sha_of(next(top.rglob("*扫描件.pdf")))}      # only OCR saw it
        assert "烈士陵园" in page.inner_text("#yj-results mark")
        # filters: by unit, by year, by first-level item
        page.select_option("#yj-unit", "人武部")
        assert ask("慰问") == search_shas(root, "慰问", "--unit", "人武部") != search_shas(root, "慰问")
        page.select_option("#yj-unit", "")
        page.select_option("#yj-year", "2021")
        assert ask("慰问") == search_shas(root, "慰问", "--year", "2021") != search_shas(root, "慰问")
        page.select_option("#yj-year", "")
        page.select_option("#yj-item", "2")
        assert ask("双拥") == search_shas(root, "双拥", "--item", "2") != search_shas(root, "双拥")
        page.select_option("#yj-item", "")
        # a result's link opens the file in the binder
        ask("八一")
        link = page.locator("#yj-results a").first
        meta = page.inner_text("#yj-results .meta")
        assert "1.2b" in meta and "教育局" in meta and "2021-08-01" in meta
        link.click()
        page.wait_for_url("**/*.jpg")
        opened = Path(unquote(urlparse(page.url).path))
        assert opened.is_relative_to(top) and opened.name.endswith("IMG_20210801_100000.jpg")
        browser.close()
    assert errors == []
