"""Soak: mixed Lambda / Athena / MySQL / S3 traffic from 20 threads against one localcloud.

Starts its own localcloud (temporary LAB_DIR, free port, loopback only), builds what the labs
build (an RDS MySQL instance behind its security group, a bucket, an Athena table over CSV files
in that bucket with query results written to the same bucket, a Lambda function that writes to
S3), then runs ``--threads`` threads for ``--minutes`` (bounded) that each pick, at random:

* **mysql** (30 %): INSERT one row on the thread's own connection (autocommit), now and then a
  ``SELECT COUNT(*)``;
* **s3** (30 %): PUT one object, every fifth time GET it back and compare;
* **lambda** (25 %): a synchronous ``invoke`` of a function that PUTs an object and returns its key;
* **athena** (15 %): ``SELECT count(*), sum(amount)`` over the table, polled to completion, the
  answer checked against the files' contents.

boto3 runs with its default configuration (what a learner's code gets): throttling answers are
retried by boto3 itself; how many calls needed retries is printed.

At the end it prints throughput, p50/p95 latency per kind, every error grouped by its cause (an
error whose cause is not recognised is marked UNEXPLAINED), lost writes (rows and objects the
clients were told were written, counted again from the database and the bucket), and the peak
resident memory of the whole process tree (this process, the localcloud daemon and everything
it started: MariaDB, Lambda workers), sampled every 0.5 s from ``/proc``.

    .venv/bin/python benchmarks/soak.py                 # 10 minutes, 20 threads
    .venv/bin/python benchmarks/soak.py --minutes 2

Goals (issue 13): 0 unexplained errors, 0 lost writes, peak RSS of the tree ≤ 1.5 GB.
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import os
import platform
import random
import re
import statistics
import sys
import threading
import time
import uuid
import zipfile
from pathlib import Path

import boto3
import mysql.connector
from _localcloud import private_localcloud
from botocore.exceptions import ClientError

import labcontract
from localcloud import config

KINDS = {"mysql": 0.30, "s3": 0.30, "lambda": 0.25, "athena": 0.15}
PASSWORD = "soak-Passw0rd"
ATHENA_ROWS = 2000
HANDLER = """
import json, os
import boto3

s3 = boto3.client("s3")

def lambda_handler(event, context):
    key = f"lambda/{event['id']}.json"
    s3.put_object(Bucket=os.environ["BUCKET"], Key=key, Body=json.dumps(event).encode())
    return {"key": key}
"""
# What an error means when its text matches: (pattern, explanation). Anything else is UNEXPLAINED.
EXPLAINED = (
    (
        r"TooManyRequestsException",
        "Lambda throttled beyond boto3's retries: localcloud's account concurrency is 10, like a new "
        "AWS account (engines/awslambda/limits.py)",
    ),
    (
        r"dictionary changed size during iteration",
        "issue 13.5, Athena results landing in the bucket being scanned (fixed on the Athena branch)",
    ),
)
PAGE = os.sysconf("SC_PAGE_SIZE")


# ---- memory of the process tree -----------------------------------------------------------------


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += _children(p)
    return out


def _rss_and_name(pid: int) -> tuple[int, str]:
    """Resident bytes of one process, and what it is (its role in the tree, not just "python")."""
    try:
        rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError, IndexError):
        return 0, "?"
    text = b" ".join(argv).decode(errors="replace")
    if pid == os.getpid():
        name = "this benchmark (clients)"
    elif "localcloud serve" in text:
        name = "localcloud daemon"
    elif "awslambda/worker.py" in text:
        name = "lambda workers"
    else:
        name = Path(argv[0].decode(errors="replace")).name or "?"
    return rss, name


class MemorySampler(threading.Thread):
    def __init__(self, roots: list[int]) -> None:
        super().__init__(daemon=True)
        self.roots = roots
        self.peak = 0
        self.peak_parts: dict[str, int] = {}
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(0.5):
            parts: dict[str, int] = collections.Counter()
            counts: dict[str, int] = collections.Counter()
            total = 0
            for pid in {p for root in self.roots for p in _tree(root)}:
                rss, name = _rss_and_name(pid)
                parts[name] += rss
                counts[name] += 1
                total += rss
            if total > self.peak:
                self.peak = total
                self.peak_parts = {f"{name} ({counts[name]})": rss for name, rss in parts.items()}


# ---- the workload ---------------------------------------------------------------------------------


class Ledger:
    """What the clients were told, what it cost, and what went wrong."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
        self.written: dict[str, set] = collections.defaultdict(set)
        self.retried = collections.Counter()

    def ok(self, kind: str, seconds: float, retries: int = 0) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            if retries:
                self.retried[kind] += 1

    def error(self, kind: str, exc: BaseException) -> None:
        text = f"{type(exc).__name__}: {exc}"
        cause = next((why for pattern, why in EXPLAINED if re.search(pattern, text)), "UNEXPLAINED")
        with self.lock:
            self.errors[(kind, cause)].append(text[:300])

    def wrote(self, kind: str, item) -> None:
        with self.lock:
            self.written[kind].add(item)


def _retries(resp: dict) -> int:
    return int(resp.get("ResponseMetadata", {}).get("RetryAttempts", 0))


def worker(n: int, ctx: dict, clients: dict, ledger: Ledger, deadline: float) -> None:
    rng = random.Random(n)
    kinds, weights = zip(*KINDS.items())
    s3, lam, athena = clients["s3"], clients["lambda"], clients["athena"]
    conn = None
    seq = 0
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        seq += 1
        ident = f"t{n:02d}-{seq}"
        t0 = time.perf_counter()
        try:
            if kind == "mysql":
                if conn is None or not conn.is_connected():
                    conn = mysql.connector.connect(**ctx["mysql"], autocommit=True, connection_timeout=10)
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO soak.writes (id, thread) VALUES (%s, %s)", (ident, n))
                    if seq % 10 == 0:
                        cur.execute("SELECT COUNT(*) FROM soak.writes")
                        cur.fetchall()
                ledger.wrote("mysql", ident)
                ledger.ok(kind, time.perf_counter() - t0)
            elif kind == "s3":
                key = f"objects/{ident}.json"
                resp = s3.put_object(Bucket=ctx["bucket"], Key=key, Body=json.dumps({"id": ident}).encode())
                ledger.wrote("s3", key)
                if seq % 5 == 0:
                    body = s3.get_object(Bucket=ctx["bucket"], Key=key)["Body"].read()
                    if json.loads(body) != {"id": ident}:
                        raise AssertionError(f"read back {body[:80]!r} for {key}")
                ledger.ok(kind, time.perf_counter() - t0, _retries(resp))
            elif kind == "lambda":
                resp = lam.invoke(FunctionName="soak", Payload=json.dumps({"id": ident}))
                out = json.loads(resp["Payload"].read())
                if resp.get("FunctionError"):
                    raise RuntimeError(f"FunctionError {resp['FunctionError']}: {out}")
                ledger.wrote("lambda", out["key"])
                ledger.ok(kind, time.perf_counter() - t0, _retries(resp))
            else:
                qid = athena.start_query_execution(
                    QueryString="SELECT count(*), sum(amount) FROM sales",
                    QueryExecutionContext={"Database": "soak_db"},
                    ResultConfiguration={"OutputLocation": f"s3://{ctx['bucket']}/athena-results/"},
                )["QueryExecutionId"]
                while True:
                    ex = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
                    if ex["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                        break
                    time.sleep(0.05)
                if ex["State"] != "SUCCEEDED":
                    raise RuntimeError(f"Athena {ex['State']}: {ex.get('StateChangeReason')}")
                row = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"][1]["Data"]
                got = (int(row[0]["VarCharValue"]), round(float(row[1]["VarCharValue"]), 2))
                if got != ctx["athena_expected"]:
                    raise AssertionError(f"Athena answered {got}, the files hold {ctx['athena_expected']}")
                ledger.ok(kind, time.perf_counter() - t0)
        except (ClientError, mysql.connector.Error, RuntimeError, AssertionError, OSError, KeyError) as exc:
            ledger.error(kind, exc)
            if kind == "mysql" and conn is not None:
                try:
                    conn.close()
                except mysql.connector.Error:
                    pass
                conn = None
    if conn is not None:
        conn.close()


# ---- set-up and verification ----------------------------------------------------------------------


def setup(cloud, learner_ip: str) -> dict:
    client = cloud.client
    bucket = f"soak-{uuid.uuid4().hex[:8]}"
    client("s3").create_bucket(Bucket=bucket)

    ec2, rds = client("ec2"), client("rds")
    sg = ec2.create_security_group(GroupName="soak-db", Description="soak")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": f"{learner_ip}/32"}]}
        ],
    )
    rds.create_db_instance(
        DBInstanceIdentifier="soak",
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword=PASSWORD,
        VpcSecurityGroupIds=[sg],
        PubliclyAccessible=True,
    )
    rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="soak", WaiterConfig={"Delay": 1})
    ep = rds.describe_db_instances(DBInstanceIdentifier="soak")["DBInstances"][0]["Endpoint"]
    mysql_args = dict(host=ep["Address"], port=ep["Port"], user="admin", password=PASSWORD)
    with mysql.connector.connect(**mysql_args, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE DATABASE soak")
        cur.execute("CREATE TABLE soak.writes (id VARCHAR(20) PRIMARY KEY, thread INT, at TIMESTAMP DEFAULT NOW())")

    rng = random.Random(7)
    amounts = [round(rng.uniform(1, 500), 2) for _ in range(ATHENA_ROWS)]
    for part in range(4):
        rows = "".join(f"{i},{amounts[i]}\n" for i in range(part, ATHENA_ROWS, 4))
        client("s3").put_object(Bucket=bucket, Key=f"athena-data/part-{part}.csv", Body=("id,amount\n" + rows).encode())
    athena = client("athena")
    for ddl in (
        "CREATE DATABASE soak_db",
        "CREATE EXTERNAL TABLE soak_db.sales (id INT, amount DOUBLE) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
        f"LOCATION 's3://{bucket}/athena-data/' TBLPROPERTIES ('skip.header.line.count'='1')",
    ):
        qid = athena.start_query_execution(
            QueryString=ddl, ResultConfiguration={"OutputLocation": f"s3://{bucket}/athena-results/"}
        )["QueryExecutionId"]
        while athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] in (
            "QUEUED",
            "RUNNING",
        ):
            time.sleep(0.05)

    iam, lam = client("iam"), client("lambda")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
        ],
    }
    role = iam.create_role(RoleName="soak", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", HANDLER)
    lam.create_function(
        FunctionName="soak",
        Runtime="python3.12",
        Role=role,
        Handler="handler.lambda_handler",
        Code={"ZipFile": buf.getvalue()},
        Timeout=30,
        MemorySize=256,
        Environment={"Variables": {"BUCKET": bucket}},
    )
    return {
        "client": client,
        "bucket": bucket,
        "mysql": mysql_args,
        "athena_expected": (ATHENA_ROWS, round(sum(amounts), 2)),
    }


def lost_writes(ctx: dict, ledger: Ledger) -> dict[str, tuple[int, int]]:
    """kind -> (acknowledged, missing when counted again)."""
    with mysql.connector.connect(**ctx["mysql"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM soak.writes")
        rows = {r[0] for r in cur.fetchall()}
    keys = set()
    for page in ctx["client"]("s3").get_paginator("list_objects_v2").paginate(Bucket=ctx["bucket"]):
        keys |= {o["Key"] for o in page.get("Contents", [])}
    return {
        "mysql": (len(ledger.written["mysql"]), len(ledger.written["mysql"] - rows)),
        "s3": (len(ledger.written["s3"]), len(ledger.written["s3"] - keys)),
        "lambda": (len(ledger.written["lambda"]), len(ledger.written["lambda"] - keys)),
    }


def daemon_view(cloud) -> dict:
    """What localcloud says about itself at the end: Lambda's limits and queue, RDS recoveries,
    and the state snapshots it wrote meanwhile (the cost of persistence under load)."""
    status = json.loads(cloud.run("status", "--json").stdout)
    lam = status["engines"].get("lambda_runtime", {})
    rds = status["engines"].get("rds_mariadb", {}).get("instances", {})
    return {
        "lambda": {k: lam.get(k) for k in ("concurrency", "async_queue", "throttled", "workers")},
        "rds crash recoveries": {k: v.get("crash_recoveries") for k, v in rds.items()},
        "state snapshots": status.get(labcontract.PERSISTENCE_STATUS_KEY, {}).get("snapshots"),
    }


def report(ledger: Ledger, elapsed: float, lost: dict, sampler: MemorySampler, args, loads, view: dict) -> int:
    total = sum(len(v) for v in ledger.latency.values())
    failed = sum(len(v) for v in ledger.errors.values())
    print(f"\n{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average (1/5/15 min) at start {loads[0]}, at end {loads[1]}  (the machine is shared)")
    print(f"{args.threads} threads for {elapsed / 60:.1f} min: {total} operations ok, {failed} failed")
    print(f"throughput {total / elapsed:.1f} ops/s\n")
    print(f"{'kind':8} {'ok':>7} {'errors':>7} {'ops/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'retried by boto3':>17}")
    for kind in KINDS:
        lat = sorted(ledger.latency[kind])
        errs = sum(len(v) for (k, _), v in ledger.errors.items() if k == kind)
        p50 = statistics.median(lat) * 1000 if lat else float("nan")
        p95 = lat[int(0.95 * (len(lat) - 1))] * 1000 if lat else float("nan")
        print(
            f"{kind:8} {len(lat):7} {errs:7} {len(lat) / elapsed:7.1f} {p50:8.1f} {p95:8.1f} {ledger.retried[kind]:17}"
        )
    print("\nerrors by cause:")
    if not ledger.errors:
        print("  none")
    unexplained = 0
    for (kind, cause), samples in sorted(ledger.errors.items()):
        unexplained += len(samples) if cause == "UNEXPLAINED" else 0
        print(f"  {kind}: {len(samples)} x {cause}")
        for text in sorted(set(samples))[:5]:
            print(f"      e.g. {text}")
    print("\nlost writes (acknowledged to the client, missing when counted again):")
    for kind, (acked, missing) in lost.items():
        print(f"  {kind:8} {missing} of {acked}")
    own = sum(v for k, v in sampler.peak_parts.items() if k.startswith("this benchmark"))
    print(
        f"\npeak RSS of the process tree: {sampler.peak / 2**20:.0f} MiB (goal ≤ 1536 MiB; localcloud and what it "
        f"started: {(sampler.peak - own) / 2**20:.0f} MiB, this benchmark's clients: {own / 2**20:.0f} MiB), "
        "at that moment:"
    )
    for name, rss in sorted(sampler.peak_parts.items(), key=lambda kv: -kv[1]):
        print(f"  {name:32} {rss / 2**20:7.0f} MiB")
    print("\nlocalcloud at the end:")
    for key, value in view.items():
        print(f"  {key}: {json.dumps(value, default=str)}")
    print(
        f"\nunexplained errors {unexplained} (goal 0), lost writes {sum(m for _, m in lost.values())} (goal 0), "
        f"peak RSS {sampler.peak / 2**20:.0f} MiB (goal ≤ 1536)"
    )
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=20)
    args = ap.parse_args()
    with private_localcloud("lc-bench-soak-") as started:
        cloud = started["cloud"]
        print("setting up (RDS instance, bucket, Athena table, Lambda function) ...", flush=True)
        ctx = setup(cloud, started["learner_ip"])
        sampler = MemorySampler([os.getpid(), cloud.pid])
        sampler.start()
        loads = [os.getloadavg()]
        print(f"running {args.threads} threads for {args.minutes} min ...", flush=True)
        ledger = Ledger()
        t0 = time.monotonic()
        deadline = t0 + args.minutes * 60
        # One session for every client (boto3 clients are thread-safe, sessions are not): what one
        # learner's process would hold, not 60 copies of the service models.
        session = boto3.session.Session(
            aws_access_key_id=config.FAKE_ACCESS_KEY,
            aws_secret_access_key=config.FAKE_SECRET_KEY,
            region_name=started["region"],
        )
        clients = [
            {svc: session.client(svc, endpoint_url=started["endpoint"]) for svc in ("s3", "lambda", "athena")}
            for _ in range(args.threads)
        ]
        threads = [
            threading.Thread(target=worker, args=(n, ctx, clients[n], ledger, deadline)) for n in range(args.threads)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        loads.append(os.getloadavg())
        sampler.stop_event.set()
        lost = lost_writes(ctx, ledger)
        view = daemon_view(cloud)
        return report(ledger, elapsed, lost, sampler, args, [tuple(round(x, 1) for x in v) for v in loads], view)


if __name__ == "__main__":
    sys.exit(main())
