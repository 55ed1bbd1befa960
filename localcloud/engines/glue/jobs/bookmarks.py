"""Job bookmarks, one JSON file per job in the runtime's state folder.

The state is what Glue keeps for S3 sources: per ``transformation_ctx``, the objects already
processed with their last-modified time (``{"s3://bucket/key": "2026-...+00:00"}``). A run reads
it at start; ``job.commit()`` in a ``job-bookmark-enable`` run saves the new state. The API shape
is Glue's ``JobBookmarkEntry``; ``JobBookmark`` is this state as JSON text (AWS's text is opaque
and different: scripts and learners should not parse it).
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path


class BookmarkStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def _path(self, job_name: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9._-]", lambda m: f"%{ord(m.group()):02x}", job_name)
        return self.folder / f"{safe}.json"

    def _load(self, job_name: str) -> dict | None:
        try:
            return json.loads(self._path(job_name).read_text())
        except FileNotFoundError:
            return None

    def _save(self, job_name: str, doc: dict) -> None:
        path = self._path(job_name)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, sort_keys=True))
        os.replace(tmp, path)  # a crash never leaves half a bookmark

    def state(self, job_name: str) -> dict:
        """The per-transformation_ctx state a new run starts from."""
        with self._lock:
            doc = self._load(job_name)
        return (doc or {}).get("state", {})

    def commit(self, job_name: str, run_id: str, attempt: int, state: dict) -> None:
        with self._lock:
            doc = self._load(job_name) or {"version": 0, "run": 0, "run_id": None}
            self._save(
                job_name,
                {
                    "version": doc["version"] + 1,
                    "run": doc["run"] + 1,
                    "attempt": attempt,
                    "previous_run_id": doc.get("run_id"),
                    "run_id": run_id,
                    "state": state,
                },
            )

    def reset(self, job_name: str) -> dict:
        """Forget what was processed (the next enabled run reads everything); the entry after reset."""
        with self._lock:
            doc = self._load(job_name) or {"version": 0, "run": 0, "run_id": None}
            doc = {**doc, "version": doc["version"] + 1, "state": {}}
            self._save(job_name, doc)
        return self._entry(job_name, doc)

    def delete(self, job_name: str) -> None:
        """The job is gone: so is its bookmark."""
        with self._lock:
            self._path(job_name).unlink(missing_ok=True)

    def entry(self, job_name: str) -> dict | None:
        """Glue's JobBookmarkEntry, or None when the job never committed a bookmark."""
        with self._lock:
            doc = self._load(job_name)
        return None if doc is None else self._entry(job_name, doc)

    @staticmethod
    def _entry(job_name: str, doc: dict) -> dict:
        entry = {
            "JobName": job_name,
            "Version": doc.get("version", 0),
            "Run": doc.get("run", 0),
            "Attempt": doc.get("attempt", 0),
            "JobBookmark": json.dumps(doc.get("state", {}), sort_keys=True),
        }
        if doc.get("previous_run_id"):
            entry["PreviousRunId"] = doc["previous_run_id"]
        if doc.get("run_id"):
            entry["RunId"] = doc["run_id"]
        return entry
