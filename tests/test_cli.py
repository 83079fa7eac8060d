"""The command line contract: help and README for every command, exit codes, clean --json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from tests.conftest import ROOT, run_wenku
from wenku.cli import cli

SEED_PAGE = ROOT / "tests" / "fixtures" / "pages" / "seogis_583455.gbk.html"
SPEC_RECORD_FIELDS = {
    "url",
    "canonical_url",
    "title",
    "body",
    "category",
    "published_at",
    "source",
    "disclaimer",
    "content_hash",
    "extended_reading",
    "repairs",
}
SPEC_REPAIRS = {
    "spam_lines",
    "pinyin_annotations",
    "mojibake_repaired",
    "mojibake_unrepaired",
    "boilerplate_lines",
}


def all_commands(group: click.Group = cli, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += all_commands(command, f"{prefix}{name} ")
        elif not command.hidden:
            found.append((f"{prefix}{name}", command))
    return found


@pytest.mark.parametrize("name,command", all_commands(), ids=lambda v: str(v))
def test_every_command_has_help_and_is_in_the_readme(name: str, command: click.Command) -> None:
    assert command.help and len(command.help) > 20
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"^### wenku {re.escape(name)}\b", readme, re.M), f"README lacks {name}"
    assert f"wenku {name}" in readme.split(f"### wenku {name}", 1)[1].split("###", 1)[0]


@pytest.mark.parametrize(
    "args",
    [
        ["crawl"],
        ["crawl", "ftp://example.com/"],
        ["crawl", "http://127.0.0.1:9/", "--max-pages", "0"],
        ["crawl", "--site", "nosuchsite", "http://127.0.0.1:9/"],
        ["export", "--format", "xml"],
        ["export", "--format", "parquet"],
        ["nosuchcommand"],
    ],
)
def test_usage_mistakes_exit_2_with_one_clear_line(args: list[str], tmp_path: Path) -> None:
    result = (
        run_wenku(*args, "--db", f"sqlite:///{tmp_path}/a.db", cwd=tmp_path)
        if args[0] != "nosuchcommand"
        else run_wenku(*args, cwd=tmp_path)
    )
    assert result.code == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()


def test_runtime_failure_exits_1_without_traceback(tmp_path: Path) -> None:
    result = run_wenku(
        "db", "upgrade", "--db", "postgresql+psycopg://nobody@127.0.0.1:9/x", cwd=tmp_path
    )
    assert result.code == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("wenku: failed:")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = run_wenku(
        "db",
        "upgrade",
        "--debug",
        "--db",
        "postgresql+psycopg://nobody@127.0.0.1:9/x",
        cwd=tmp_path,
    )
    assert result.code == 1 and "Traceback" in result.stderr


def test_clean_json_prints_the_spec_record(tmp_path: Path) -> None:
    url = "http://www.seogis.com/gongwen/583455.html"
    result = run_wenku(
        "clean", "-", "--url", url, "--json", stdin=SEED_PAGE.read_bytes(), cwd=tmp_path
    )
    assert result.code == 0, result.stderr
    record = result.json()
    assert set(record) >= SPEC_RECORD_FIELDS
    assert set(record["repairs"]) >= SPEC_REPAIRS
    assert record["title"] == "政府自身建设"
    assert record["published_at"] == "2019-05-28T14:10:11+08:00"
    assert record["canonical_url"] == url
    assert [e["title"] for e in record["extended_reading"]] == ["加强政府自身建设"]
    assert len(record["content_hash"]) == 64
    json.dumps(record)  # plain JSON all the way down


def test_clean_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run_wenku("clean", str(tmp_path / "nope.html"), cwd=tmp_path)
    assert result.code == 2 and "nope.html" in result.stderr


def test_db_upgrade_creates_the_archive(tmp_path: Path) -> None:
    result = run_wenku(
        "db", "upgrade", "--db", f"sqlite:///{tmp_path}/new.db", "--json", cwd=tmp_path
    )
    assert result.code == 0, result.stderr
    assert result.json()["status"] == "upgraded"
    assert (tmp_path / "new.db").exists()


@pytest.mark.parametrize("value", ["0", "-5", '"big"', "1.5"])
def test_a_bad_warc_size_in_the_config_is_a_usage_error(value: str, tmp_path: Path) -> None:
    config = tmp_path / "wenku.toml"
    config.write_text(f"[archive]\nwarc_max_mb = {value}\n", encoding="utf-8")
    result = run_wenku("crawl", "http://127.0.0.1:9/", "--config", str(config), cwd=tmp_path)
    assert result.code == 2
    assert "warc_max_mb" in result.stderr and "Traceback" not in result.stderr


def test_warc_files_rotate_at_the_configured_size(tmp_path: Path) -> None:
    from demosite import DemoServer

    config = tmp_path / "wenku.toml"
    config.write_text("[archive]\nwarc_max_mb = 1\n", encoding="utf-8")
    with DemoServer(pages=80, seed=7, night=1) as server:
        result = run_wenku(
            "crawl",
            server.url + "/",
            "--config",
            str(config),
            "--json",
            "--db",
            f"sqlite:///{tmp_path}/a.db",
            "--warc-dir",
            str(tmp_path / "w"),
            cwd=tmp_path,
        )
    assert result.code == 0, result.stderr[-2000:]
    files = sorted((tmp_path / "w").glob("*.warc.gz"))
    assert len(files) >= 2
    assert all(f.stat().st_size < 2 * 2**20 for f in files)
