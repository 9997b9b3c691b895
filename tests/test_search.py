"""Chinese full-text search over the real pipeline: recall, query forms, filters, catch-up,
hostile query strings."""
import shutil

import pytest

from indexer import QueryError, tokens
from tests import factories as f
from tests.conftest import ingest


@pytest.fixture
def corpus(ws, inbox):
    f.text_pdf(inbox / "人武部/征兵总结.pdf", ["2021年征兵工作总结\n输送新兵 186 名,执行 GB/T 7714 标准\n2021年10月20日"])
    f.xlsx_file(inbox / "人武部/优抚台账.xlsx", [["姓名", "乡镇"], ["张国强", "捧乍镇"], ["刘秀英", "乌沙镇"]])
    f.docx_file(inbox / "教育局/拥军优属.docx", ["开展拥军优属活动,慰问烈士遗属", "2022年1月20日"])
    f.docx_file(inbox / "教育局/清明.docx", ["组织学生到烈士陵园祭扫", "2023年4月4日"])
    f.text_pdf(inbox / "教育局/双拥简报.pdf", ["双拥 简报 第３期\n２０２２年全市双拥工作要点\n2022年3月1日"])
    ingest(ws)
    ws.sync_index()
    return ws


def paths(ws, q, **kw):
    return sorted(h.path for h in ws.index.search(q, text_of=ws.text_of, **kw).hits)


@pytest.mark.parametrize("q, expected", [
    ("捧乍", ["人武部/优抚台账.xlsx"]),                     # a place no dictionary knows
    ("张国强", ["人武部/优抚台账.xlsx"]),                   # a person's name
    ("双拥", ["教育局/双拥简报.pdf"]),                      # a two-character word
    ("优属", ["教育局/拥军优属.docx"]),                     # part of a word
    ("烈士陵园", ["教育局/清明.docx"]),
    ("烈士", ["教育局/拥军优属.docx", "教育局/清明.docx"]),
    ("186", ["人武部/征兵总结.pdf"]),                       # numbers
    ("2022", ["教育局/双拥简报.pdf", "教育局/拥军优属.docx"]),
    ("3期", ["教育局/双拥简报.pdf"]),                       # full-width digits in the text
    ("gb/t", ["人武部/征兵总结.pdf"]),                      # Latin codes
    ("GB/T 7714", ["人武部/征兵总结.pdf"]),
])
def test_recall_for_words_names_parts_and_numbers(corpus, q, expected):
    assert paths(corpus, q) == expected


def test_words_that_are_not_together_do_not_match_as_a_phrase(corpus):
    assert paths(corpus, "捧沙") == []          # 捧乍 and 乌沙 exist; 捧沙 does not


@pytest.mark.parametrize("q, expected", [
    ("烈士 祭扫", ["教育局/清明.docx"]),                                 # AND
    ("捧乍 OR 陵园", ["人武部/优抚台账.xlsx", "教育局/清明.docx"]),      # OR
    ("烈士 NOT 陵园", ["教育局/拥军优属.docx"]),                         # NOT
    ("烈士 -陵园", ["教育局/拥军优属.docx"]),
    ('"征兵工作总结"', ["人武部/征兵总结.pdf"]),                         # a phrase
    ('"工作 总结"', ["人武部/征兵总结.pdf"]),                            # OCR-style spaces
])
def test_query_forms(corpus, q, expected):
    assert paths(corpus, q) == expected


def test_filters_by_unit_kind_year_and_date_range(corpus):
    assert paths(corpus, "烈士", unit="教育局") == ["教育局/拥军优属.docx", "教育局/清明.docx"]
    assert paths(corpus, "捧乍", kind="ledger") == ["人武部/优抚台账.xlsx"]
    assert paths(corpus, "捧乍", kind="document") == []
    assert paths(corpus, "烈士", year="2023") == ["教育局/清明.docx"]
    assert paths(corpus, "烈士", date_from="2022-01-01", date_to="2022-12-31") == ["教育局/拥军优属.docx"]


def test_results_carry_total_facets_and_a_highlighted_snippet(corpus):
    r = corpus.index.search("烈士", text_of=corpus.text_of)
    assert r.total == 2 and r.facets["unit"] == {"教育局": 2}
    assert r.facets["year"] == {"2022": 1, "2023": 1}
    assert any("【烈士】陵园" in h.snippet for h in r.hits)
    assert set(r.to_json()) >= {"query", "total", "hits"}
    assert set(r.to_json()["hits"][0]) >= {"id", "unit", "path", "name", "kind", "date", "items",
                                           "score", "snippet"}


def test_updated_and_withdrawn_files_are_reflected(corpus, inbox):
    p = inbox / "教育局/清明.docx"
    f.docx_file(p, ["组织学生到革命纪念馆参观", "2023年4月4日"])
    import os
    os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 10**9))
    (inbox / "人武部/优抚台账.xlsx").unlink()
    ingest(corpus)
    corpus.sync_index()
    assert paths(corpus, "烈士陵园") == [] and paths(corpus, "革命纪念馆") == ["教育局/清明.docx"]
    assert paths(corpus, "捧乍") == []


def test_index_catches_up_after_its_folder_is_deleted_or_it_missed_changes(corpus, inbox):
    f.text_pdf(inbox / "人武部/新文件.pdf", ["新增的民兵训练记录"])
    ingest(corpus)                     # as if killed between catalog and index: no sync
    corpus.sync_index()
    assert paths(corpus, "民兵训练") == ["人武部/新文件.pdf"]
    corpus.index.close()
    shutil.rmtree(corpus.config.index)
    assert corpus.index.cursor == 0
    corpus.sync_index()
    assert paths(corpus, "民兵训练") == ["人武部/新文件.pdf"]
    assert paths(corpus, "捧乍") == ["人武部/优抚台账.xlsx"]


@pytest.mark.parametrize("pattern", ["*.seg", "*.toc"])
def test_corrupt_index_is_rebuilt_from_the_catalog(corpus, pattern):
    corpus.index.close()
    damaged = list(corpus.config.index.glob(pattern))
    assert damaged
    for p in damaged:
        p.write_bytes(b"garbage" * 1000)
    f.docx_file(corpus.config.inbox / "人武部/新文件.docx", ["新增的民兵训练记录"])
    ingest(corpus)
    corpus.sync_index()
    assert paths(corpus, "捧乍") == ["人武部/优抚台账.xlsx"]
    assert paths(corpus, "民兵训练") == ["人武部/新文件.docx"]


@pytest.mark.parametrize("q", ['"烈士', '"', "OR", "NOT", "-", "AND OR NOT", "烈士 OR",
                               "\x00\x07烈士\x1b", "(((", "*", "烈" * 10_000, "  ", "\u200b",
                               "a" * 300 + " " + "b" * 300, "烈士 " * 40])
def test_hostile_query_strings_are_answered_or_rejected_never_crash(corpus, q):
    try:
        corpus.index.search(q, text_of=corpus.text_of)
    except QueryError as e:
        assert str(e)                   # a message for the user


def test_tokens_are_bigrams_and_words():
    assert tokens("拥军优属") == ["拥军", "军优", "优属"]
    assert tokens("烈 士 陵 园") == ["烈士", "士陵", "陵园"]
    assert tokens("ＰＤＦ２０２１") == ["pdf2021"]


def test_sync_commits_in_batches_and_finds_everything(ws, inbox, monkeypatch):
    from indexer import search as search_module
    monkeypatch.setattr(search_module, "COMMIT_EVERY", 2)
    for i in range(5):
        f.docx_file(inbox / f"人武部/纪要{i}.docx", [f"第{i}次议军会议纪要"])
    ingest(ws)
    batches = []
    ws.sync_index(progress=lambda done, total: batches.append((done, total)))
    assert batches == [(2, 5), (4, 5), (5, 5)]
    assert ws.index.search("议军会议").total == 5 and len(ws.index.paths()) == 5


def test_one_file_syncs_and_updates_leave_few_segments_and_no_pile_of_deleted_documents(
        tmp_path, monkeypatch):
    from indexer import SearchIndex, store
    from indexer import search as search_module
    from tests.test_index_consistency import _catalog_with
    monkeypatch.setattr(store, "SMALL", 10)
    monkeypatch.setattr(search_module, "COMMIT_EVERY", 30)
    cat, put = _catalog_with(tmp_path, {f"双拥办/{i}.txt": f"双拥工作{i}" for i in range(30)})
    si = SearchIndex(tmp_path / "index", catalog=cat)
    si.sync(cat)                                        # one big segment
    for i in range(12):                                 # a watcher's one-file syncs
        put(f"人武部/{i}.txt", f"征兵工作{i}")
        si.sync(cat)
    for i in range(20):                                 # most of the first files change
        put(f"双拥办/{i}.txt", f"拥军优属{i}")
    si.sync(cat)

    ix = store.open_index(si.folder)
    with ix.reader() as r:
        segments = [(leaf.doc_count_all(), leaf.doc_count()) for leaf, _ in r.leaf_readers()]
    ix.close()
    assert len(segments) <= 4, segments
    assert sum(n for n, _ in segments) - sum(alive for _, alive in segments) < 10, segments
    assert si.search("拥军优属").total == 20 and si.search("征兵").total == 12
    assert si.search("双拥工作").total == 10
    si.close()
    cat.close()


def test_a_search_given_a_share_of_the_checking_estimates_and_still_shows_only_true_hits(corpus):
    """A province searches each city with its share of one index's checking against the text
    (yingjian/province.py): past its share it estimates the total, and the hits it shows are
    still checked ("烈士陵园" is in one file; "烈士" and "陵园" alone in two)."""
    exact = corpus.index.search("烈士陵园", text_of=corpus.text_of)
    assert not exact.estimated and [h.path for h in exact.hits] == ["教育局/清明.docx"]
    shared = corpus.index.search("烈士陵园", text_of=corpus.text_of, verify_all=0, sample=1, step=1)
    assert shared.estimated
    assert [h.path for h in shared.hits] == ["教育局/清明.docx"]
