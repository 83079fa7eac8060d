"""Site profiles: `detail_pattern` is a hint (prioritise or restrict), never the only way a
page becomes a document; the URL rule the crawl summary compares against; config errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.profiles import DETAIL_PRIORITY, ProfileError, SiteProfile, profile_for_urls
from tests.conftest import run_wenku
from wenku.config import ConfigError, load_settings

BASE = "http://www.example.com"


@pytest.mark.parametrize(
    "path,old_rule",
    [
        ("/gongwen/583455.html", True),
        ("/doc/7.shtml", True),
        ("/a/12.htm", True),
        ("/p-6552432.html", False),
        ("/view/1960418139209568258", False),
        ("/thread-43846-1-1.html", False),
        ("/show.asp?id=2348", False),
        ("/p/aeeb0ab1dcbb", False),
        ("/257017_2.htm", False),
        ("/article48/poioep.html", False),
        ("/gongwen/flaky.html", False),
        ("/list/xinde/", False),
        ("/", False),
    ],
)
def test_the_default_profile_lets_every_url_be_a_document(path: str, old_rule: bool) -> None:
    profile = profile_for_urls([BASE + "/"])
    assert profile.may_be_document(BASE + path)
    assert profile.priority(BASE + path) == 0  # no hint: no URL goes first
    assert profile.url_rule_matches(BASE + path) is old_rule  # what the summary compares


def hinted(mode: str) -> SiteProfile:
    base = profile_for_urls([BASE + "/"], "s")
    return SiteProfile("s", base.start_urls, base.allowed_domains, r"show\.asp\?id=\d+$", mode)


@pytest.mark.parametrize(
    "mode,path,document,priority",
    [
        ("prioritise", "/show.asp?id=2348", True, DETAIL_PRIORITY),
        ("prioritise", "/p/aeeb0ab1dcbb", True, 0),
        ("restrict", "/show.asp?id=2348", True, 0),
        ("restrict", "/p/aeeb0ab1dcbb", False, 0),
    ],
)
def test_a_detail_pattern_prioritises_or_restricts(
    mode: str, path: str, document: bool, priority: int
) -> None:
    profile = hinted(mode)
    assert profile.may_be_document(BASE + path) is document
    assert profile.priority(BASE + path) == priority


def test_restrict_without_a_pattern_is_the_old_url_rule() -> None:
    base = profile_for_urls([BASE + "/"])
    old = SiteProfile("s", base.start_urls, base.allowed_domains, detail_mode="restrict")
    assert old.may_be_document(BASE + "/gongwen/583455.html")
    assert not old.may_be_document(BASE + "/p-6552432.html")


def write_config(tmp_path: Path, site: str) -> Path:
    config = tmp_path / "wenku.toml"
    config.write_text(f'[sites.s]\nstart_urls = ["{BASE}/"]\n{site}', encoding="utf-8")
    return config


def test_existing_configs_keep_working_and_modes_are_read(tmp_path: Path) -> None:
    old = write_config(tmp_path, "detail_pattern = '/\\d+\\.s?html?$'\n")
    profile = load_settings(config_file=str(old)).site("s")
    assert profile.detail_mode == "prioritise" and profile.may_be_document(BASE + "/p/x")
    assert profile.priority(BASE + "/gongwen/1.html") == DETAIL_PRIORITY
    strict = write_config(tmp_path, 'detail_mode = "restrict"\n')
    assert not load_settings(config_file=str(strict)).site("s").may_be_document(BASE + "/p/x")


@pytest.mark.parametrize(
    "site,message",
    [
        ('detail_mode = "strict"\n', "detail_mode"),
        ("detail_pattern = '/(unclosed'\n", "not a regular expression"),
    ],
)
def test_a_bad_hint_is_a_config_error(tmp_path: Path, site: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(config_file=str(write_config(tmp_path, site)))
    result = run_wenku("crawl", "--site", "s", "--config", str(tmp_path / "wenku.toml"))
    assert result.code == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_profile_errors_are_value_errors() -> None:
    with pytest.raises(ProfileError):
        SiteProfile("s", (BASE + "/",), ("www.example.com",), detail_mode="first")
