"""Hostile and real-world input: every file of tests/hostile.py's corpus gets a clear reason or
is archived whole, is kept where safe, and nothing stops the pipeline; then fuzzing of the
extractors, the date parser, the query parser and the code matcher, bounded in time."""
import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from archive import dates, reasons
from archive.extract import extract
from archive.limits import Limits
from tests import hostile
from tests.conftest import ingest
from yingjian import records
from yingjian.messages import reason as say


def _limits(root: Path):
    p = root / "yingjian.toml"
    text = p.read_text(encoding="utf-8")
    for key, value in (("max_pdf_pages", 50), ("max_zip_mb", 20)):
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    p.write_text(text + "max_office_mb = 10\n", encoding="utf-8")


@pytest.mark.slow
def test_hostile_corpus_gets_reasons_and_never_stops_the_pipeline(ws, tmp_path):
    _limits(ws.config.root)
    from yingjian.workspace import Workspace
    ws.close()
    ws = Workspace.open(ws.config.root)
    outside = tmp_path / "outside"
    outside.mkdir()
    cases = hostile.build(ws.config.inbox, outside)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest()
              for p in ws.config.inbox.rglob("*") if p.is_file() and not p.is_symlink()
              and not p.name.startswith("管道")}
    summary = ingest(ws)
    with ws.ocr_queue(workers=0) as q:
        q.run()
    ws.sync_index()
    rows = {r["path"]: r for r in records.files(ws.catalog)}
    problems = {p["path"]: p for p in records.problems(ws.catalog)}
    outcome = {}
    for c in cases:
        row = rows.get(c.path)
        if c.expect == "ignored":
            assert row is None, c.what
            outcome[c.what] = "ignored"
            continue
        assert row is not None, f"{c.what}: not in the catalog"
        reason = (problems.get(c.path) or {}).get("reason") or row["reason"] or ""
        if c.expect == hostile.PROBLEM:
            assert row["status"] == "problem", (c.what, row)
        elif c.expect == hostile.REFUSED:
            assert row["status"] == "refused" and row["id"] is None, (c.what, row)
        elif c.expect == hostile.NOTE:
            assert row["status"] == "ok" and problems[c.path]["level"] == "warning", (c.what, row)
        elif c.expect == hostile.OK:
            assert row["status"] == "ok" and row["id"], (c.what, row)
        elif c.expect == hostile.MEMBERS:
            assert row["status"] in ("ok", "problem"), (c.what, row)
            members = [p for p in rows if p.startswith(c.path + "/")]
            reason = reason or " ".join((problems.get(m) or {}).get("reason", "") for m in members)
        for word in c.words:
            assert word in reason, (c.what, reason)
        if row["id"]:
            obj = ws.store.path(row["id"])
            assert hashlib.sha256(obj.read_bytes()).hexdigest() == row["id"]   # kept whole
        outcome[c.what] = row["status"]
    # zip members never escape, and the safe ones are archived below the zip's path
    slip = [p for p in rows if p.startswith("教育局/路径穿越.zip/")]
    assert "教育局/路径穿越.zip/正常.txt" in slip and len(slip) == 4
    assert not any((tmp_path / n).exists() for n in ("evil.txt", "ws/evil.txt"))
    assert "教育局/中文名.zip/国防教育/课程记录.txt" in rows
    assert max(p.count("/") for p in rows if "套娃.zip" in p) <= 4
    # the originals are untouched
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() == d for p, d in before.items())
    kinds = {}
    for v in outcome.values():
        kinds[v] = kinds.get(v, 0) + 1
    print(f"\nhostile inputs: {len(cases)}, outcomes: {kinds}, problems reported: "
          f"{len(summary.problems)}, pipeline stopped: 0")


# -- fuzzing, bounded --------------------------------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.function_scoped_fixture])
_DATE_ALPHABET = "0123456789年月日号.-/ 〇一二三四五六七八九十零○:_IMG微信图片"


@FUZZ
@given(st.text(alphabet=_DATE_ALPHABET, max_size=60))
def test_date_parser_never_fails_and_only_gives_real_dates(text):
    for found in (dates.content_date([text]), dates.filename_date(text), dates.exif_date(text),
                  dates.pdf_date(text)):
        if found is not None:
            assert re.fullmatch(r"(19|20|21)\d\d-\d\d(-\d\d)?", found), found
            y = int(found[:4])
            assert dates.MIN_YEAR <= y <= dates.MAX_YEAR


_SEEDS = {}


def _seed(kind: str, tmp: Path) -> bytes:
    if kind not in _SEEDS:
        from tests import factories as f
        made = {"pdf": lambda p: f.text_pdf(p, ["2021年征兵工作总结"]),
                "jpeg": lambda p: f.photo_jpeg(p, exif_date="2021:08:01 10:00:00", size=(64, 48)),
                "png": lambda p: f.png(p),
                "docx": lambda p: f.docx_file(p, ["拥军优属"]),
                "xlsx": lambda p: f.xlsx_file(p, [["a"], [1]]),
                "txt": lambda p: (p.write_text("双拥", encoding="utf-8"), p)[1]}[kind]
        _SEEDS[kind] = made(tmp / f"seed.{kind}").read_bytes()
    return _SEEDS[kind]


@FUZZ
@given(kind=st.sampled_from(["pdf", "jpeg", "png", "docx", "xlsx", "txt"]),
       cuts=st.lists(st.tuples(st.floats(0, 1), st.binary(max_size=16)), max_size=4),
       truncate=st.floats(0.05, 1.0))
def test_extractors_never_raise_on_damaged_files(tmp_path, kind, cuts, truncate):
    data = bytearray(_seed(kind, tmp_path))
    for where, junk in cuts:
        i = int(where * (len(data) - 1))
        data[i:i + len(junk)] = junk
    data = bytes(data[: max(1, int(len(data) * truncate))])
    p = tmp_path / f"fuzz.{kind}"
    p.write_bytes(data)
    ex = extract(p, kind, Limits())
    # the reader itself names what is wrong: extract()'s catch-all (读取失败 with an exception's
    # name) means a reader met damage it did not expect
    assert ex.problem is None or ex.problem.code != reasons.EXTRACT_FAILED.code, ex.problem
    assert all(isinstance(t, str) for t in ex.pages)


@FUZZ
@given(st.text(max_size=300))
def test_query_parser_answers_or_refuses_anything(text):
    from indexer.querying import QueryError, matcher, parse
    try:
        parse(text)
        matcher(text)("双拥工作 2021 gb/t")
    except QueryError as e:
        assert str(e)


@FUZZ
@given(st.lists(st.text(min_size=1, max_size=20).filter(lambda s: "/" not in s), min_size=1, max_size=6))
def test_code_matcher_only_finds_codes_the_standard_has(parts):
    from checklist import CodeMatcher
    std = _std()
    code = CodeMatcher(std).declared("/".join(["人武部", *parts]))
    assert code is None or code in std.codes()


_STD = []


def _std():
    if not _STD:
        from checklist import DEFAULT_STANDARD, load
        _STD.append(load(DEFAULT_STANDARD))
    return _STD[0]


def test_a_pdf_of_many_pages_is_read_up_to_the_limit_only(tmp_path):
    p = tmp_path / "多页.pdf"
    p.write_bytes(hostile.pdf_many_pages(30))
    ex = extract(p, "pdf", Limits(max_pdf_pages=10))
    assert ex.page_count == 30 and len(ex.pages) == 10 and "页数过多" in say(ex.note)


@pytest.mark.parametrize("depth", [2000, 50000])
def test_deeply_nested_pdf_is_answered(tmp_path, depth):
    p = tmp_path / "嵌套.pdf"
    p.write_bytes(hostile.pdf_deep_nesting(depth))
    ex = extract(p, "pdf", Limits())
    assert ex.problem is None or "损坏" in say(ex.problem)
