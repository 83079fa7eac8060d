"""A crawl shared by several processes through one Redis: scrapy-redis, thinly adapted.

scrapy-redis 0.9.1 gives the shared request queue (`Scheduler`, a sorted set popped
atomically, so each request goes to one process) and the shared seen-set
(`RFPDupeFilter`). It works with Scrapy 2.19 as a scheduler: Scrapy checks schedulers
by duck typing, and wenku's spider has its own async `start()`, so scrapy-redis's
`RedisSpider` (which only has `start_requests`, gone since Scrapy 2.16) is not used.
What this module adds, and nothing more:

- Keys per run (`wenku:SITE:RUN:…`), expiring two days after the last process touched
  them: the next night's crawl is never blocked by this night's seen-set.
- Start URLs go through the seen-set (scrapy-redis passes `dont_filter` requests straight
  on), so N processes started together fetch them once.
- Termination (scrapy-redis #107, a RedisSpider that never closes): each process
  publishes a heartbeat saying whether it is busy; an idle process closes once the
  shared queue is empty, no live process is busy, and that has held for IDLE_SECONDS.
- Nothing lost when a process dies: each process lists the requests it took and has not
  archived yet (`…:inflight:WORKER`, emptied as the archive commits them); when its
  heartbeat lapses, a surviving process claims that list (an atomic RENAME) and puts the
  requests back on the queue. Taking a request and listing it are one step (a Lua
  script), and so are marking a request seen and queueing it: scrapy-redis does each in
  two round trips, and a process killed between them lost the request. A page is handed to
  the archive after its links were queued (the spider's order).
Robots.txt and per-domain politeness (delay, concurrency, AutoThrottle) are each
process's own, as in any Scrapy crawl: N processes fetch a site up to N times as fast.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
import warnings
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.archiver import ARCHIVED

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0
HEARTBEAT_TTL = 10  # seconds without a heartbeat: the process is taken for dead
IDLE_SECONDS = 2.0  # the frontier must stay empty this long before a process leaves
KEY_TTL = 2 * 24 * 3600  # an abandoned run's keys go after two days

# KEYS: seen-set, queue. ARGV: dont_filter (0/1), fingerprint, score, encoded request.
_ENQUEUE = """
if ARGV[1] == '0' and redis.call('SADD', KEYS[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
"""
# KEYS: queue, this process's in-flight hash. The first request, listed as in flight.
_TAKE = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0)
if #found == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HINCRBY', KEYS[2], found[1], 1)
return found[1]
"""
# KEYS: the in-flight hash. ARGV: encoded requests now archived.
_RELEASE = """
for _, taken in ipairs(ARGV) do
  if redis.call('HINCRBY', KEYS[1], taken, -1) <= 0 then redis.call('HDEL', KEYS[1], taken) end
end
return 0
"""


def frontier_key(site: str, run: str | None = None) -> str:
    """The run's key prefix: `wenku:SITE:RUN`, RUN defaulting to the flow run or the date."""
    run = run or os.environ.get("WENKU_FLOW_RUN_ID") or datetime.now(UTC).strftime("%Y-%m-%d")
    return f"wenku:{site}:{run}"


def frontier_settings(redis_url: str, key: str) -> dict[str, Any]:
    """Scrapy settings that put a crawl on the shared frontier at `redis_url`, under `key`."""
    return {
        "SCHEDULER": "crawler.frontier.SharedScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # the last process out clears the keys, not the first
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",  # what the scripts use
        "SCHEDULER_QUEUE_KEY": f"{key}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{key}:dupefilter",
        "REDIS_URL": redis_url,
        "WENKU_FRONTIER_KEY": key,
    }


class SharedScheduler(Scheduler):
    crawler: Crawler
    key: str
    worker: str
    busy: bool
    idle_since: float | None
    taken: defaultdict[str, list[bytes]]  # URL → its requests taken, not yet archived
    _enqueue: Any  # redis Script objects (see _ENQUEUE, _TAKE, _RELEASE)
    _take: Any
    _release: Any
    _heartbeat: task.LoopingCall

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        scheduler: SharedScheduler = super().from_crawler(crawler)
        scheduler.stats = None  # scrapy-redis passes `spider=` to stats (deprecated): ours below
        scheduler.crawler = crawler
        scheduler.key = crawler.settings["WENKU_FRONTIER_KEY"]
        scheduler.worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        scheduler.busy = True
        scheduler.idle_since = None
        scheduler.taken = defaultdict(list)
        scheduler._enqueue = scheduler.server.register_script(_ENQUEUE)
        scheduler._take = scheduler.server.register_script(_TAKE)
        scheduler._release = scheduler.server.register_script(_RELEASE)
        crawler.signals.connect(scheduler.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler.archived, signal=ARCHIVED)
        return scheduler

    # -- the scheduler interface --------------------------------------------------------

    def open(self, spider: Any) -> None:
        with warnings.catch_warnings():  # scrapy-redis says "Resuming crawl" by Spider.log
            warnings.filterwarnings("ignore", message=r"Spider\.log\(\) is deprecated")
            super().open(spider)
        self._heartbeat = task.LoopingCall(self.beat)
        self._heartbeat.start(HEARTBEAT_SECONDS, now=True)

    def close(self, reason: str) -> None:
        if self._heartbeat.running:
            self._heartbeat.stop()
        self.server.delete(self._inflight(self.worker), self._alive(self.worker))
        if reason == "finished" and not self._others_alive() and not len(self.queue):
            self.server.delete(self.queue.key, self.df.key)  # the run is over for everyone
        super().close(reason)

    def enqueue_request(self, request: Request) -> bool:
        """Mark seen and queue in one step (scrapy-redis's `enqueue_request`, atomic)."""
        if request.dont_filter and request.meta.get("is_start_request"):
            request = request.replace(dont_filter=False)  # one fetch for N processes
        keys = [self.df.key, self.queue.key]
        fingerprint = self.df.request_fingerprint(request)
        encoded = self.queue._encode_request(request)
        args = [int(request.dont_filter), fingerprint, -request.priority, encoded]
        queued = bool(self._enqueue(keys=keys, args=args))
        self._count("scheduler/enqueued/redis" if queued else "scheduler/filtered/redis")
        return queued

    def next_request(self) -> Request | None:
        """Take the first request and list it as in flight, in one step."""
        encoded = self._take(keys=[self.queue.key, self._inflight(self.worker)])
        if encoded is None:
            return None
        request: Request = self.queue._decode_request(encoded)
        self._count("scheduler/dequeued/redis")
        self.busy, self.idle_since = True, None
        self.taken[request.url].append(encoded)
        return request

    # -- what the archive reports ---------------------------------------------------------

    def archived(self, urls: list[str], **_: Any) -> None:
        """These fetches are committed: a death of this process no longer needs them."""
        done = []
        for url in urls:  # a URL taken twice (a 5xx, then its retry) leaves once both are
            if self.taken.get(url):
                done.append(self.taken[url].pop(0))
            if url in self.taken and not self.taken[url]:
                del self.taken[url]
        if done:
            self._release(keys=[self._inflight(self.worker)], args=done)

    # -- heartbeat, recovery, termination -------------------------------------------------

    def on_idle(self) -> None:
        """Scrapy found this process idle: stay while the shared crawl may go on."""
        self.busy = False
        self.beat()
        if self.recover() or len(self.queue) or self._others_busy():
            self.idle_since = None
            raise DontCloseSpider
        self.idle_since = self.idle_since or time.monotonic()
        if time.monotonic() - self.idle_since < IDLE_SECONDS:
            raise DontCloseSpider

    def beat(self) -> None:
        pipe = self.server.pipeline()
        pipe.set(self._alive(self.worker), "busy" if self.busy else "idle", ex=HEARTBEAT_TTL)
        for key in (self.queue.key, self.df.key, self._inflight(self.worker)):
            pipe.expire(key, KEY_TTL)
        pipe.execute()
        if not self.busy:
            self._look_again()

    def _look_again(self) -> None:
        """An idle engine asks the scheduler again only every 5 s (its slot heartbeat):
        make it ask now, for requests others queued or to see if the crawl is over."""
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def recover(self) -> int:
        """Put back on the queue what dead processes took and never archived."""
        recovered = 0
        for inflight in self.server.scan_iter(match=self._inflight("*")):
            worker = _decode(inflight).rsplit(":", 1)[1]
            if self.server.exists(self._alive(worker)):
                continue
            claimed = f"{self.key}:claimed:{self.worker}:{worker}"
            try:
                self.server.rename(inflight, claimed)
            except Exception:  # another survivor claimed it first
                continue
            for encoded in self.server.hkeys(claimed):
                self.queue.push(self.queue._decode_request(encoded).replace(dont_filter=True))
                recovered += 1
            self.server.delete(claimed)
            logger.warning("frontier: requeued %d requests of dead worker %s", recovered, worker)
        return recovered

    def _others_busy(self) -> bool:
        return any(state == b"busy" or state == "busy" for state in self._other_states())

    def _others_alive(self) -> bool:
        return bool(self._other_states())

    def _other_states(self) -> list[Any]:
        keys = [k for k in self.server.scan_iter(match=self._alive("*"))]
        others = [k for k in keys if _decode(k) != self._alive(self.worker)]
        return [state for state in self.server.mget(others) if state is not None] if others else []

    def _count(self, name: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(name)

    def _alive(self, worker: str) -> str:
        return f"{self.key}:alive:{worker}"

    def _inflight(self, worker: str) -> str:
        return f"{self.key}:inflight:{worker}"


def _decode(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
