"""`wenku search` on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm): scripts, short words,
ranking, snippets, filters, the index kept in step, and the command line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from opencc import OpenCC
from sqlalchemy import text

from pipeline.provenance import Cleaned, Fetch
from pipeline.types import CleanDocument, PageRecord
from storage.archive import archive_batch
from storage.engine import session_factory, upgrade
from storage.filters import Filters
from storage.query import AnalystError
from storage.search import Hit, query_terms, search_archive, snippet
from tests.analyst_archive import BACKENDS, GW, T1, WM, Sample, build, sample_archive
from tests.conftest import run_wenku

HAN = re.compile(r"[\u4e00-\u9fff]+")


@pytest.fixture(scope="module", params=BACKENDS)
def sample(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sample]:
    with sample_archive(request.param, tmp_path_factory) as archive:
        yield archive


def found(sample: Sample, query: str, **filters: Any) -> list[str]:
    """The text keys of the hits, best first."""
    keys = {content_hash: key for key, content_hash in sample.hashes.items()}
    return [keys[hit.content_hash] for hit in hits(sample, query, **filters)]


def hits(sample: Sample, query: str, limit: int = 20, **filters: Any) -> list[Hit]:
    return search_archive(sample.url, query, Filters(**filters), limit)


@pytest.mark.parametrize("query", ["乡村振兴", "鄉村振興"], ids=["simplified", "traditional"])
def test_a_word_finds_its_documents_in_either_script_with_a_snippet(
    sample: Sample, query: str
) -> None:
    results = hits(sample, query)
    # Found in the summary's title (worth 10) and once in the speech's body (worth 1).
    assert [hit.title for hit in results] == ["乡村振兴工作总结", "在全县经济工作会议上的讲话"]
    speech = results[1]
    assert speech.url == GW + "1001.html"
    assert "要扎实推进乡村振兴,严格落实粮食安全责任制" in speech.snippet
    assert [speech.snippet[start:end] for start, end in speech.highlights] == ["乡村振兴"]
    assert speech.snippet.startswith("…总结过去一年")  # the window opens 30 characters before
    assert (results[0].score, speech.score) == (10, 1)


@pytest.mark.parametrize(
    "query,expected",
    [
        ("农田", ["speech"]),  # two characters: shorter than a trigram
        ("農田", ["speech"]),
        ("执", ["govt", "extra"]),  # one character; equal scores: the dated one first
        ("執", ["govt", "extra"]),
        ("执行力", ["govt"]),  # three characters: the trigram index
        ("執行力", ["govt"]),
    ],
)
def test_short_and_long_words(sample: Sample, query: str, expected: list[str]) -> None:
    assert found(sample, query) == expected


def test_every_term_must_occur_long_and_short_mixed(sample: Sample) -> None:
    assert found(sample, "防汛 6月") == ["flood_v1"]
    assert found(sample, "隐患排查 7月") == ["flood_v2"]
    assert found(sample, "安全生产 大检查") == ["winter"]
    assert found(sample, "安全生产") == ["safety", "winter"]  # 10+2 beats 10+1


def test_a_quoted_phrase_is_one_term(sample: Sample) -> None:
    assert query_terms('"政府 执行力" 農田 "" 农田') == ["政府 执行力", "农田"]
    assert found(sample, '"执行力"') == ["govt"]
    assert found(sample, '"执行力形成"') == ["govt"]
    assert found(sample, '"执行力 形成"') == []


def test_case_and_width_are_folded_like_the_text(sample: Sample) -> None:
    assert found(sample, "ai应用") == ["digital"]
    assert found(sample, "ＡＩ") == ["digital"]  # full-width, normalised to ASCII


def test_wildcards_are_literal_and_blank_queries_are_mistakes(sample: Sample) -> None:
    assert found(sample, "%") == []
    assert found(sample, "_") == []
    assert found(sample, "没有这样的文字") == []
    with pytest.raises(AnalystError, match="needs some text"):
        hits(sample, "   ")


def test_the_snippet_marks_every_hit_in_its_window() -> None:
    body = "第一段讲经济。\n" + "无关的话。" * 20 + "\n再讲经济工作。"
    text, spans = snippet(body, ["经济"])
    assert text.startswith("第一段讲经济") and text.endswith("…")
    assert "\n" not in text
    assert [text[start:end] for start, end in spans] == ["经济"]
    text, spans = snippet(body, ["经济工作"])
    assert text.startswith("…") and text.endswith("再讲经济工作。")
    assert [text[start:end] for start, end in spans] == ["经济工作"]


def test_filters_site_category_dates_and_limit(sample: Sample) -> None:
    assert found(sample, "政府", site="wenmi") == ["govt", "digital"]
    assert hits(sample, "政府", site="wenmi")[0].url == WM + "583455.html"
    notices = ["flood_v1", "flood_v2", "winter"]
    assert sorted(found(sample, "防汛")) == ["flood_v1", "flood_v2"]
    assert sorted(found(sample, "通知", category="公文素材 > 通知")) == notices
    assert sorted(found(sample, "通知", category="公文素材")) == notices
    assert sorted(found(sample, "通知", category="公文素材>通知")) == notices
    assert found(sample, "通知", category="公文") == []  # a whole category, not a prefix
    assert found(sample, "通知", category="工作计划") == []
    since, until = datetime(2021, 1, 1, tzinfo=UTC), datetime(2022, 1, 1, tzinfo=UTC)
    assert found(sample, "安全生产", since=since, until=until) == ["safety"]
    assert found(sample, "安全生产", since=datetime(2021, 6, 1)) == ["safety", "winter"]
    assert found(sample, "安全生产", until=datetime(2021, 6, 1)) == []  # until is exclusive
    assert sorted(found(sample, "通知", since=T1, date_field="first_seen_at")) == [
        "flood_v2",
        "winter",
    ]
    assert len(hits(sample, "政府", limit=1)) == 1


def test_the_index_follows_inserts_updates_and_deletes(db_url: str) -> None:
    build(db_url)
    sample = Sample(db_url)
    with session_factory(db_url).begin() as session:
        session.execute(
            text(
                "INSERT INTO documents (content_hash, title, body, first_seen_at, last_seen_at) "
                "VALUES ('h1', '新增的文件', '关于垃圾分类的实施意见', :at, :at)"
            ),
            {"at": T1},
        )
    assert [hit.title for hit in hits(sample, "垃圾分类")] == ["新增的文件"]
    with session_factory(db_url).begin() as session:
        session.execute(
            text("UPDATE documents SET body = '关于节约用水的倡议' WHERE content_hash = 'h1'")
        )
    assert hits(sample, "垃圾分类") == []
    assert [hit.title for hit in hits(sample, "节约用水")] == ["新增的文件"]
    with session_factory(db_url).begin() as session:
        session.execute(text("DELETE FROM documents WHERE content_hash = 'h1'"))
    assert hits(sample, "节约用水") == []
    assert [hit.title for hit in hits(sample, "执行力")] == ["政府自身建设"]


def test_the_migration_indexes_documents_archived_before_it(db_url: str) -> None:
    upgrade(db_url, "0001")
    with session_factory(db_url).begin() as session:
        session.execute(
            text(
                "INSERT INTO documents (content_hash, title, body, first_seen_at, last_seen_at) "
                "VALUES ('h0', '旧的文件', '关于推进乡村振兴的意见', :at, :at)"
            ),
            {"at": T1},
        )
    upgrade(db_url)
    assert [hit.title for hit in hits(Sample(db_url), "乡村振兴")] == ["旧的文件"]


def test_postgresql_serves_chinese_ilike_from_the_trigram_index(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("pg_trgm is PostgreSQL's")
    build(db_url)
    with session_factory(db_url).begin() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = session.execute(
            text("EXPLAIN SELECT id FROM documents WHERE body ILIKE '%隐患排查%'")
        ).scalars()
        assert "ix_documents_body_trgm" in "\n".join(plan)


def test_an_archive_without_the_index_asks_for_an_upgrade(sqlite_url: str) -> None:
    upgrade(sqlite_url, "0001")
    with pytest.raises(AnalystError, match="wenku db upgrade"):
        search_archive(sqlite_url, "执行力", Filters())


def test_the_command_line(sample: Sample) -> None:
    result = run_wenku("search", "鄉村振興", "--db", sample.url, "--json", "--limit", "1")
    assert result.code == 0, result.stderr
    (hit,) = result.json()
    assert hit["title"] == "乡村振兴工作总结" and hit["url"] == GW + "1002.html"
    assert set(hit) >= {"snippet", "highlights", "score", "published_at", "category"}
    result = run_wenku(
        "search", "農田", "--db", sample.url, "--site", "gwdemo", "--since", "2019-01-01"
    )
    assert result.code == 0, result.stderr
    assert "在全县经济工作会议上的讲话" in result.stdout and "高标准农田" in result.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["search", " "], "needs some text"),
        (["search", "经济", "--since", "yesterday"], "--since"),
    ],
)
def test_command_line_mistakes_exit_2(sqlite_url: str, args: list[str], message: str) -> None:
    upgrade(sqlite_url)
    result = run_wenku(*args, "--db", sqlite_url)
    assert result.code == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_demo_site_document_is_found_by_a_word_in_either_script(db_url: str) -> None:
    from demosite import DemoSite

    upgrade(db_url)
    documents = DemoSite.build(pages=30).truth()["documents"]  # the pages' own texts
    with session_factory(db_url).begin() as session:
        archive_batch(session, [_demo_fetch(doc) for doc in documents.values()], None)
    texts = [(doc["title"], doc["body"]) for doc in documents.values()]
    for size in (4, 2):  # the trigram index, then the scan for words shorter than a trigram
        doc, word = _a_word_with_a_traditional_form(documents, size)
        traditional = OpenCC("s2t").convert(word)
        for query in (word, traditional):
            results = hits(Sample(db_url), query, limit=100)
            assert doc["content_hash"] in [hit.content_hash for hit in results]
            assert len(results) == sum(word in title or word in body for title, body in texts)
            hit = next(hit for hit in results if hit.content_hash == doc["content_hash"])
            assert word in hit.snippet or word in hit.title


def _demo_fetch(doc: dict[str, Any]) -> Cleaned:
    url = "http://127.0.0.1:8000" + doc["paths"][0]
    published = datetime.fromisoformat(doc["published_at"]) if doc["published_at"] else None
    document = CleanDocument(
        doc["title"], doc["body"], doc["content_hash"], doc["category"], published,
        doc["source"], doc["disclaimer"],
    )  # fmt: skip
    record = PageRecord(url, url, "utf-8", False, document)
    return Cleaned(Fetch(url, "demo", T1, 200, body=b"<html>"), record)


def _a_word_with_a_traditional_form(
    documents: dict[str, Any], size: int
) -> tuple[dict[str, Any], str]:
    """The first run of `size` Han characters written differently in Traditional (so that
    the Traditional query really tests the conversion)."""
    convert = OpenCC("s2t").convert
    for doc in documents.values():
        for at in range(len(doc["body"]) - size):
            word = doc["body"][at : at + size]
            if HAN.fullmatch(word) and convert(word) != word:
                return doc, word
    raise AssertionError(f"no {size}-character word to search for")
