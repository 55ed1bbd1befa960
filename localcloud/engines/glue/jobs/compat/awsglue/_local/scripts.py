"""What both localcloud job runners need: fetch a job script, and Glue's ErrorMessage of a failure."""

from __future__ import annotations

import traceback
from pathlib import Path


def last_line(exc: BaseException) -> str:
    """What Glue shows as a failed run's ErrorMessage: the traceback's last line."""
    return "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1]


def fetch_script(location: str) -> str:
    """The job script from its ScriptLocation (s3://bucket/key through localcloud, or a local path)."""
    if location.startswith("s3://"):
        from .run import client
        from .s3io import split_s3

        bucket, key = split_s3(location)
        return client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    return Path(location).read_text(encoding="utf-8")
