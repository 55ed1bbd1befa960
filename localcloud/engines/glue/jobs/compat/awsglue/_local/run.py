"""The job run this process is executing: its bookmark state, staging folder and AWS clients.

The localcloud worker sets ``current`` before it runs a job script and reads it back afterwards
(what ``job.commit()`` committed). Outside a localcloud worker there is no run: bookmarks are
then off, as for a script run with ``job-bookmark-disable``.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

if TYPE_CHECKING:  # boto3-stubs (type checking only: job processes do not need them)
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_s3 import S3Client

BOOKMARK_OPTIONS = ("job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable")


def NotSupportedLocally(what: str) -> NotImplementedError:  # noqa: N802 (used like an exception class)
    """The error for a Glue API call or option this runtime does not implement (it never guesses).

    A plain NotImplementedError, so a failed run's ErrorMessage reads
    ``NotImplementedError: not supported locally: <what>``.
    """
    return NotImplementedError(f"not supported locally: {what}")


@dataclass
class Run:
    job_name: str = ""
    run_id: str = ""
    bookmark_option: str = "job-bookmark-disable"
    # transformation_ctx -> {"s3://bucket/key": last-modified ISO text} processed by earlier runs
    bookmark: dict = field(default_factory=dict)
    # what this run read, per transformation_ctx; becomes the bookmark on job.commit()
    seen: dict = field(default_factory=dict)
    committed: dict | None = None  # the bookmark state job.commit() saved, if it was called
    stage_dir: Path | None = None  # the worker sets it; elsewhere a temporary folder on first use
    _counter: int = 0

    def scratch(self, what: str) -> Path:
        """A fresh folder under this run's staging folder."""
        if self.stage_dir is None:
            self.stage_dir = Path(tempfile.mkdtemp(prefix="glue-stage-"))
        self._counter += 1
        d = self.stage_dir / f"{self._counter:03d}-{what}"
        d.mkdir(parents=True, exist_ok=True)
        return d

    def already_processed(self, ctx: str, url: str, modified: str) -> bool:
        if not ctx or self.bookmark_option == "job-bookmark-disable":
            return False
        done = self.bookmark.get(ctx, {}).get(url)
        return done is not None and done >= modified

    def note_read(self, ctx: str, objects: dict) -> None:
        if ctx:
            self.seen.setdefault(ctx, {}).update(objects)

    def commit(self) -> None:
        if self.bookmark_option != "job-bookmark-enable":
            return  # pause reads from the bookmark without moving it; disable ignores it
        state = {ctx: dict(objs) for ctx, objs in self.bookmark.items()}
        for ctx, objs in self.seen.items():
            state.setdefault(ctx, {}).update(objs)
        self.committed = state


current = Run()
_clients: dict[str, S3Client | GlueClient] = {}
_lock = threading.Lock()


@overload
def client(service: Literal["s3"]) -> S3Client: ...
@overload
def client(service: Literal["glue"]) -> GlueClient: ...
def client(service: Literal["s3", "glue"]) -> S3Client | GlueClient:
    """A boto3 client from the environment (localcloud's endpoint inside the worker)."""
    with _lock:
        if service not in _clients:
            import boto3
            from botocore.config import Config

            _clients[service] = boto3.client(
                service,
                region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
            )
        return _clients[service]
