"""The deployments `wenku schedule` serves, built from the configuration.

- `nightly-crawl/nightly`: every site without a schedule of its own, on `[schedule] cron`
  in `[schedule] timezone` (default 02:00 Asia/Shanghai);
- `nightly-crawl/nightly-SITE`: a site whose profile sets `schedule = "CRON"`, on that cron;
- `recrawl-url/on-demand`: one URL, given as the `url` parameter, whenever it is triggered;
- `reprocess/on-demand`: re-clean archived captures (`since` optional).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Schedule
from prefect.types.entrypoint import EntrypointType

from flows.nightly import nightly_crawl
from flows.recrawl import recrawl_url
from flows.reprocess import reprocess
from wenku.config import ConfigError, Settings

TAGS = ["wenku"]


@dataclass(frozen=True, slots=True)
class NightlyPlan:
    """One scheduled nightly deployment: its name, cron and the sites it crawls."""

    name: str
    cron: str
    sites: list[str]


def nightly_plans(settings: Settings) -> list[NightlyPlan]:
    """The default nightly deployment, plus one per site with a schedule of its own."""
    own = {name: site.schedule for name, site in settings.sites.items() if site.schedule}
    shared = [name for name in settings.sites if name not in own]
    plans = [NightlyPlan("nightly", settings.nightly_cron, shared)]
    plans += [NightlyPlan(f"nightly-{name}", cron, [name]) for name, cron in own.items()]
    return [plan for plan in plans if plan.sites] or plans[:1]


def build_deployments(settings: Settings) -> list[RunnerDeployment]:
    """Every deployment; a bad cron or timezone in the configuration is a ConfigError."""
    timezone = _timezone(settings.timezone)
    nightly = [
        _deploy(
            nightly_crawl,
            plan.name,
            schedule=_cron(plan.cron, timezone, plan.name),
            parameters={"sites": plan.sites},
            description=f"Crawl {', '.join(plan.sites) or 'no sites'} on {plan.cron} {timezone}",
        )
        for plan in nightly_plans(settings)
    ]
    return [
        *nightly,
        _deploy(recrawl_url, "on-demand", description="Recrawl one URL (parameter `url`)"),
        _deploy(reprocess, "on-demand", description="Re-clean archived WARC captures"),
    ]


def _deploy(flow: Any, name: str, **options: Any) -> RunnerDeployment:
    return flow.to_deployment(
        name, tags=TAGS, entrypoint_type=EntrypointType.MODULE_PATH, **options
    )


def _cron(cron: str, timezone: str, name: str) -> Schedule:
    try:
        return Cron(cron, timezone=timezone)
    except ValueError as exc:
        raise ConfigError(f"schedule of {name}: {cron!r} is not a valid cron expression") from exc


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"[schedule] timezone {name!r} is not an IANA time zone") from None
    return name
