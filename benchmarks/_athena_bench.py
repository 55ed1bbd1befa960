"""Shared set-up of the Athena benchmarks: a private localcloud, a bucket, a query runner."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def private_localcloud():
    """A fresh localcloud on a free port with its own LAB_DIR; this process's boto3 points at it."""
    lab_dir = tempfile.mkdtemp(prefix="athena-bench-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(LAB_DIR=lab_dir, LOCALCLOUD_PORT=str(port))
    cmd = [sys.executable, "-m", "localcloud"]
    subprocess.run(cmd + ["start"], env=env, cwd=REPO, check=True, capture_output=True, timeout=60)
    os.environ.update(AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="testing",
                      AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    try:
        yield lab_dir
    finally:
        subprocess.run(cmd + ["stop"], env=env, cwd=REPO, capture_output=True, timeout=60)
        shutil.rmtree(lab_dir, ignore_errors=True)  # 10 M rows leave ~130 MB behind


def run(athena, sql: str, db: str, out: str) -> dict:
    qid = athena.start_query_execution(QueryString=sql, QueryExecutionContext={"Database": db},
                                       ResultConfiguration={"OutputLocation": out})["QueryExecutionId"]
    while True:
        ex = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if ex["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            if ex["Status"]["State"] != "SUCCEEDED":
                raise RuntimeError(ex["Status"].get("StateChangeReason"))
            return ex
        time.sleep(0.01)
