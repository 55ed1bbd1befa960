"""Shared set-up of the Athena benchmarks: a private localcloud, a bucket, a query runner."""

from __future__ import annotations

import time
from contextlib import contextmanager

from _localcloud import REPO  # noqa: F401  (re-exported for the Athena benchmarks)
from _localcloud import private_localcloud as _private_localcloud


@contextmanager
def private_localcloud():
    """A fresh localcloud (see benchmarks/_localcloud.py); yields its LAB_DIR."""
    with _private_localcloud("athena-bench-") as status:
        yield status["lab_dir"]


def run(athena, sql: str, db: str, out: str) -> dict:
    qid = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": db}, ResultConfiguration={"OutputLocation": out}
    )["QueryExecutionId"]
    while True:
        ex = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if ex["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            if ex["Status"]["State"] != "SUCCEEDED":
                raise RuntimeError(ex["Status"].get("StateChangeReason"))
            return ex
        time.sleep(0.01)
