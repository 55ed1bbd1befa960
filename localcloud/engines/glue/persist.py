"""The Glue engine across ``localcloud stop``/``start`` (``GluePersistence``).

The Data Catalog, the crawler and the job definitions and the runs' CloudWatch logs are moto's
(saved with moto's state); the engine keeps each crawler's last run (``GetCrawler``'s
``LastCrawl``, ``GetCrawlerMetrics``) and every job run (``GetJobRun(s)``).  A crawl still
running when localcloud stopped comes back finished as ``CANCELLED``, the way AWS reports a crawl
that was stopped part-way; the tables it had written so far stay.  A job run still going comes
back ``STOPPED`` (what it wrote so far stays; its bookmark was not committed).  Job bookmarks
live in the state folder (``jobs/bookmarks/``), which ``stop`` keeps and a fresh start forgets.
"""

from __future__ import annotations

import shutil
import threading
import time
from typing import TYPE_CHECKING, Any

from ... import seam
from .crawler import Crawl
from .jobs import ACTIVE, JobRuntime

if TYPE_CHECKING:
    from ...persistence import RestoreReport
    from .. import EngineContext

_FIELDS = ("state", "status", "error", "started", "ended", "created", "updated", "id")


class GluePersistence:
    """Mixed into the Glue engine: its ``snapshot()`` and ``restore()``."""

    # The engine's (GlueEngine.start sets them), which these methods use.
    ctx: EngineContext
    lock: threading.Lock
    crawls: dict[str, Crawl]
    _runtime: JobRuntime | None
    _restored_runs: list[dict[str, Any]]

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            crawls = {name: {f: getattr(c, f) for f in _FIELDS} for name, c in self.crawls.items()}
        rt = self._runtime
        return {"crawls": crawls, "job_runs": rt.records() if rt is not None else list(self._restored_runs)}

    def restore(self, saved: dict[str, Any] | None, report: RestoreReport) -> None:
        if saved is None:  # a fresh start: bookmarks of an earlier state are not ours
            shutil.rmtree(self.ctx.state_dir / "jobs", ignore_errors=True)
        shutil.rmtree(self.ctx.state_dir / "jobs" / "runs", ignore_errors=True)  # their logs are moto's
        runs = []
        for rec in (saved or {}).get("job_runs", []):
            if seam.glue_job(rec["JobName"]) is None:
                continue
            if rec["JobRunState"] in ACTIVE:
                rec = dict(rec, JobRunState="STOPPED", CompletedOn=rec.get("LastModifiedOn") or time.time())
                rec["ErrorMessage"] = "localcloud stopped while the run was going"
                report.note(f"Glue job {rec['JobName']} run {rec['Id']} was going when localcloud stopped: STOPPED")
            runs.append(rec)
        self._restored_runs = runs  # the job runtime takes them when it is first needed
        for name, rec in (saved or {}).get("crawls", {}).items():
            if seam.find_crawler(name) is None:
                continue
            crawl = Crawl()
            for f in _FIELDS:
                setattr(crawl, f, rec.get(f, getattr(crawl, f)))
            if crawl.state != "READY":
                crawl.state, crawl.status = "READY", "CANCELLED"
                crawl.error = crawl.error or "localcloud stopped while the crawler ran"
                crawl.ended = crawl.ended or crawl.started
                report.note(f"Glue crawler {name} was running when localcloud stopped: its crawl was cancelled")
            with self.lock:
                self.crawls[name] = crawl
