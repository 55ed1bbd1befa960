"""Glue engine: crawlers that really crawl (introduced in 04), and job runs on real PySpark.

moto stores the Data Catalog, the crawler and the job definitions; the Athena engine reads and
writes the same catalog.

* Crawlers: ``StartCrawler`` runs a crawl on a worker thread (``crawler``) and ``GetCrawler``
  reports RUNNING -> STOPPING -> READY with ``LastCrawl.Status``, like AWS.
* Jobs: definitions stay moto's (``CreateJob``, ``GetJob(s)``, ``DeleteJob``; ``UpdateJob``
  through the seam, moto has none), checked here as AWS checks them (``job_requests``).
  ``StartJobRun`` fetches the script from S3 and starts the run on the job runtime (``jobs/``:
  ``glueetl`` on one warm local Spark, ``pythonshell`` in Python); ``GetJobRun(s)``,
  ``BatchStopJobRun``, ``Get/ResetJobBookmark`` answer from it. Run logs go to CloudWatch Logs
  ``/aws-glue/jobs/output`` and ``/aws-glue/jobs/error``, one stream per run id. Spark starts
  when a ``glueetl`` job is created (prewarm) or first run, never with the daemon, and stops
  with it (``stop``/``reset``).
"""

from __future__ import annotations

import shutil
import threading
import time
from typing import Any

from ... import seam
from ...awserrors import error
from ...calls import Call, Response
from .. import Engine
from ..athena.s3store import S3Store
from . import crawler
from .crawler import Crawl
from .job_api import JobOperations, json_response
from .jobs import JobRuntime
from .persist import GluePersistence


class GlueEngine(JobOperations, GluePersistence, Engine):
    name = "glue"
    order = 40
    services = ("glue",)

    def start(self) -> None:
        cache = self.ctx.state_dir / "s3cache"  # unused (crawls and job scripts read objects, cache nothing)
        cache.mkdir(parents=True, exist_ok=True)
        self.store = S3Store(cache)
        self.crawls: dict[str, Crawl] = {}
        self.lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._runtime: JobRuntime | None = None  # made on first use: most labs run no Glue job
        self._runtime_lock = threading.Lock()
        self._starts = threading.Lock()  # MaxConcurrentRuns: count and start as one step
        self._logs_lock = threading.Lock()
        self._run_regions: dict[str, str] = {}
        self._restored_runs: list[dict] = []  # runs of an earlier localcloud (persist.py)

    def reset(self) -> None:
        with self.lock:
            self.crawls.clear()
        self._close_runtime()
        self._restored_runs = []
        shutil.rmtree(self.ctx.state_dir / "jobs", ignore_errors=True)  # bookmarks and run logs
        super().reset()

    def stop(self) -> None:
        for t in self._threads:
            t.join(timeout=5)
        self._close_runtime()
        super().stop()

    def status(self) -> dict[str, Any]:
        with self.lock:
            crawls = {n: c.state for n, c in self.crawls.items()}
        rt = self._runtime
        jobs = rt.status() if rt is not None else {"spark_worker": False, "runs": {}}
        return {"crawls": crawls, "jobs": jobs}

    # ---- crawler state in moto's answers ---------------------------------------------------------
    def _after_GetCrawler(self, call: Call, response: Response) -> Response:
        return Response(response.status, response.headers, seam.edit_crawlers(response.body, self._show_crawl))

    _after_GetCrawlers = _after_BatchGetCrawlers = _after_GetCrawler

    # ---- crawlers: moto answers for unknown crawlers (and rejects them as AWS does) ------------
    def _busy(self, name: str) -> Crawl | None:
        crawl = self.crawls.get(name)
        return crawl if crawl is not None and crawl.state != "READY" else None

    def _api_StartCrawler(self, call: Call) -> Response | None:
        name: str = call.params.get("Name") or ""  # no crawler has the name ""
        if seam.find_crawler(name) is None:
            return None
        with self.lock:
            if self._busy(name):
                return error(call, "CrawlerRunningException", f"Crawler with name {name} has already started")
            self.crawls[name] = crawl = Crawl()
        t = threading.Thread(target=crawler.run, args=(self.store, name, crawl), name=f"glue-crawl-{name}", daemon=True)
        self._threads = [x for x in self._threads if x.is_alive()] + [t]
        t.start()
        return json_response({})  # moto's own crawl record would refuse the next start: this engine owns the state

    def _api_StopCrawler(self, call: Call) -> Response | None:
        name: str = call.params.get("Name") or ""  # no crawler has the name ""
        if seam.find_crawler(name) is None:
            return None
        with self.lock:
            crawl = self._busy(name)
            if crawl is None or crawl.state != "RUNNING":
                return error(call, "CrawlerNotRunningException", f"Crawler with name {name} isn't running")
            crawl.state, crawl.status = "STOPPING", "CANCELLED"
        return json_response({})

    def _api_DeleteCrawler(self, call: Call) -> Response | None:
        name: str = call.params.get("Name") or ""  # no crawler has the name ""
        with self.lock:
            if seam.find_crawler(name) is not None and self._busy(name):
                return error(call, "CrawlerRunningException", f"Crawler {name} is running; stop it first")
        return None

    def _api_GetCrawlerMetrics(self, call: Call) -> Response | None:
        names = call.params.get("CrawlerNameList") or list(seam.glue().crawlers)
        out = []
        for n in names:
            c = self.crawls.get(n)
            out.append(
                {
                    "CrawlerName": n,
                    "TimeLeftSeconds": 0.0,
                    "StillEstimating": False,
                    "LastRuntimeSeconds": round((c.ended - c.started), 3) if c and c.ended else 0.0,
                    "MedianRuntimeSeconds": 0.0,
                    "TablesCreated": c.created if c else 0,
                    "TablesUpdated": c.updated if c else 0,
                    "TablesDeleted": 0,
                }
            )
        return json_response({"CrawlerMetricsList": out})

    def _show_crawl(self, c: dict[str, Any]) -> None:
        """GetCrawler(s): the state of this engine's crawl, and LastCrawl once it is over."""
        crawl = self.crawls.get(c.get("Name", ""))
        c["State"] = crawl.state if crawl else "READY"
        if crawl and crawl.state == "READY":
            last = {
                "Status": crawl.status,
                "LogGroup": "/aws-glue/crawlers",
                "LogStream": c["Name"],
                "MessagePrefix": crawl.id,
                "StartTime": crawl.started,
            }
            if crawl.error:
                last["ErrorMessage"] = crawl.error
            c["LastCrawl"] = last
            c["CrawlElapsedTime"] = 0
        elif crawl:
            c.pop("LastCrawl", None)
            c["CrawlElapsedTime"] = int((time.time() - crawl.started) * 1000)
