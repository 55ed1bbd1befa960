"""Persistence cost: snapshot size and time, and how long `localcloud start` takes to restore.

A private localcloud (fresh LAB_DIR, free port) is filled with at least what the series holds
at its fullest (lab 03's database with the 2,823 sales rows, lab 09's primary and read replica,
lab 04's bucket with the sales data as JSON and a Glue table, lab 07's function, lab 01's
instance), then, for each extra amount of S3 data asked for (``--s3-mb``):

* the background snapshot: size of ``snapshot.bin`` and the time one save takes (the daemon's own
  numbers, ``localcloud status``: ``last_bytes``, ``last_ms``), over ``--saves`` saves;
* ``localcloud stop`` (the last save, clean MariaDB shutdowns) and ``localcloud start`` with the
  restore (moto's state loaded, three MariaDB servers back, replication re-pointed), then the
  first answered call; ``restore_s`` is the daemon's own measure of the restore alone.

    .venv/bin/python benchmarks/persistence.py [--s3-mb 0 20 100] [--saves 5]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import statistics
import time
import zipfile
from pathlib import Path

from localcloud import testing

REPO = Path(__file__).resolve().parents[1]
LEARNER = "203.0.113.10/32"
AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
PASSWORD = "Bench-pass-2024"


def _wait(pred, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    raise TimeoutError("benchmark: state not reached")


def build(cloud: testing.Private) -> None:
    import mysql.connector

    ec2, rds, s3 = cloud.client("ec2"), cloud.client("rds"), cloud.client("s3")
    sg = ec2.create_security_group(GroupName="bench", Description="bench")["GroupId"]
    for port in (22, 3306):
        ec2.authorize_security_group_ingress(
            GroupId=sg,
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": LEARNER}]}],
        )
    common = dict(
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword=PASSWORD,
        VpcSecurityGroupIds=[sg],
        PubliclyAccessible=True,
    )
    rds.create_db_instance(DBInstanceIdentifier="mydatabase", **common)
    rds.create_db_instance(DBInstanceIdentifier="primary", BackupRetentionPeriod=1, **common)
    waiter = rds.get_waiter("db_instance_available")
    for ident in ("mydatabase", "primary"):
        waiter.wait(DBInstanceIdentifier=ident, WaiterConfig={"Delay": 0.2, "MaxAttempts": 900})
    rds.create_db_instance_read_replica(DBInstanceIdentifier="replica-1", SourceDBInstanceIdentifier="primary")
    with open(REPO / "data" / "sales_data_sample.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    db = rds.describe_db_instances(DBInstanceIdentifier="mydatabase")["DBInstances"][0]["Endpoint"]
    with mysql.connector.connect(host=db["Address"], port=db["Port"], user="admin", password=PASSWORD) as conn:
        cur = conn.cursor()
        cur.execute("CREATE DATABASE shop")
        cur.execute("CREATE TABLE shop.sales (n INT, line INT, productline VARCHAR(40), sales DECIMAL(10,2))")
        cur.executemany(
            "INSERT INTO shop.sales VALUES (%s,%s,%s,%s)",
            [(r["ORDERNUMBER"], r["ORDERLINENUMBER"], r["PRODUCTLINE"], r["SALES"]) for r in rows],
        )
        conn.commit()
    s3.create_bucket(Bucket="bench-lake")
    s3.put_object(
        Bucket="bench-lake", Key="sales/sales.json", Body="".join(json.dumps(r) + "\n" for r in rows).encode()
    )
    cloud.client("glue").create_database(DatabaseInput={"Name": "bench_db"})
    cloud.client("glue").create_table(
        DatabaseName="bench_db",
        TableInput={
            "Name": "sales",
            "StorageDescriptor": {
                "Columns": [{"Name": "SALES", "Type": "double"}],
                "Location": "s3://bench-lake/sales/",
            },
        },
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = cloud.client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(e, c):\n    return e\n")
    cloud.client("lambda").create_function(
        FunctionName="bench", Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": buf.getvalue()}
    )
    ec2.create_key_pair(KeyName="bench", KeyType="ed25519")
    ami = cloud.client("ssm").get_parameter(Name=AL2023)["Parameter"]["Value"]
    ec2.run_instances(
        ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, KeyName="bench", SecurityGroupIds=[sg]
    )
    waiter.wait(DBInstanceIdentifier="replica-1", WaiterConfig={"Delay": 0.2, "MaxAttempts": 900})


def saves(cloud: testing.Private, n: int) -> list[dict]:
    """``n`` background saves, each after one small change; the daemon's numbers for each."""
    out = []
    for i in range(n):
        before = json.loads(cloud.run("status", "--json").stdout)["persistence"]["snapshots"]["snapshots"]
        cloud.client("s3").put_object(Bucket="bench-lake", Key=f"touch/{i}", Body=b"x")

        def done(before=before):
            return json.loads(cloud.run("status", "--json").stdout)["persistence"]["snapshots"]["snapshots"] > before

        _wait(done)
        out.append(json.loads(cloud.run("status", "--json").stdout)["persistence"]["snapshots"])
    return out


def restart(cloud: testing.Private) -> dict:
    t0 = time.perf_counter()
    cloud.run("stop")
    t_stop = time.perf_counter() - t0
    t1 = time.perf_counter()
    again = testing.start(cloud.lab_dir, cloud.env, fresh=False)
    t_start = time.perf_counter() - t1
    again.client("s3").list_objects_v2(Bucket="bench-lake", MaxKeys=1)
    t_first = time.perf_counter() - t1
    p = again.status["persistence"]
    assert p["state"] == "restored" and not p["lost"], p
    return {"cloud": again, "stop_s": t_stop, "start_s": t_start, "first_call_s": t_first, "restore_s": p["restore_s"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--s3-mb", type=int, nargs="+", default=[0, 20, 100], help="extra S3 data, cumulative steps")
    ap.add_argument("--saves", type=int, default=5)
    args = ap.parse_args()
    print(f"persistence benchmark · {platform.machine()} · {os.cpu_count()} cores · Python {platform.python_version()}")
    with testing.private_localcloud(prefix="bench-persist-") as cloud:
        t0 = time.perf_counter()
        build(cloud)
        print(f"built the series-sized state in {time.perf_counter() - t0:.1f} s")
        added = 0
        for mb in sorted(args.s3_mb):
            chunk = os.urandom(1024 * 1024)  # incompressible, like Parquet
            for i in range(added, mb):
                cloud.client("s3").put_object(Bucket="bench-lake", Key=f"bulk/{i:04d}.bin", Body=chunk)
            added = max(added, mb)
            stats = saves(cloud, args.saves)
            size = stats[-1]["last_bytes"]
            ms = [s["last_ms"] for s in stats]
            r = restart(cloud)
            cloud = r.pop("cloud")
            print(
                f"+{mb:4d} MB S3: snapshot {size / 1e6:7.2f} MB, save {statistics.median(ms):7.1f} ms median "
                f"({min(ms):.1f}-{max(ms):.1f}); stop {r['stop_s']:.2f} s; start {r['start_s']:.2f} s "
                f"(restore {r['restore_s']:.2f} s), first call {r['first_call_s']:.2f} s"
            )
        cloud.run("stop")


if __name__ == "__main__":
    main()
