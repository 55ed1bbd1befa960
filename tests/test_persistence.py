"""Persistence: ``localcloud stop``/``start``, a ``kill -9`` of the daemon, or a reboot keep the state.

One private localcloud (own LAB_DIR, own port) is built up the way lab 03 leaves things and
more: an RDS instance with the 2,823 sales rows loaded, a primary with a read replica, an S3
bucket with objects, a Glue table Athena queries, a Lambda function, an EC2 instance whose home
has a file.  Then it is stopped and started, killed and started: everything must be there and
work (rows queried through the same endpoint, SSH reads the file, the function runs, Athena
answers, the replica follows its primary), and no process may be left behind.  A damaged or
old-format snapshot gives a clear reason and an empty start; ``reset`` forgets.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import time
import zipfile
from pathlib import Path

import mysql.connector
import paramiko
import pytest

from helpers.paths import data_file
from localcloud import persistence, testing
from localcloud.engines.ec2.engine import TAG
from localcloud.processes import pid_alive

LEARNER = "203.0.113.10/32"
AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
BUCKET = "persist-lake"
PASSWORD = "Persist-pass-2024"  # a test password for the replicated pair (managed ones cannot have replicas)


# ---- a private localcloud that can be stopped, killed and started again ------------------------


class Cloud:
    def __init__(self, lab_dir: Path) -> None:
        self.lab_dir = lab_dir
        self.env = testing.isolated_env(lab_dir)
        self.private: testing.Private | None = None

    def start(self, *args: str) -> dict:
        res = testing.Private(self.env, {}, self.lab_dir).run("start", "--json", *args)
        assert res.returncode == 0, res.stderr
        self.private = testing.Private(self.env, json.loads(res.stdout), self.lab_dir)
        return self.private.status

    def stop(self) -> None:
        pid = self.private.pid
        res = self.private.run("stop")
        assert res.returncode == 0, res.stderr
        assert _wait(lambda: not pid_alive(pid))
        assert _orphans(pid, self.lab_dir) == []

    def kill9(self) -> None:
        pid = self.private.pid
        os.kill(pid, signal.SIGKILL)
        assert _wait(lambda: not pid_alive(pid))
        # children die with the daemon (PR_SET_PDEATHSIG): nothing may keep running
        assert _wait(lambda: _orphans(pid, self.lab_dir) == []), _orphans(pid, self.lab_dir)

    def status(self) -> dict:
        res = self.private.run("status", "--json")
        return json.loads(res.stdout)

    def client(self, service: str):
        return self.private.client(service)

    @property
    def snapshot(self) -> Path:
        return self.lab_dir / "localcloud" / persistence.FILE_NAME

    def wait_saved_after(self, t: float) -> None:
        """Until a snapshot saved after ``t`` is on disk (the background saver runs after changes)."""
        assert _wait(lambda: (self.status()["persistence"]["snapshots"]["last_saved_at"] or 0) > t, 15)


def _wait(pred, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def _orphans(pgid: int, lab_dir: Path) -> list[int]:
    """Live processes in the daemon's group, or with the private state folder on their command line."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmd = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if fields[0] != "Z" and (int(fields[2]) == pgid or str(lab_dir).encode() in cmd):
            found.append(int(stat.parent.name))
    return found


# ---- the world: what a learner has after labs 01-05 ------------------------------------------------


def _zip(code: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", code)
    return buf.getvalue()


def _sales_rows() -> list[tuple]:
    with open(data_file("sales_data_sample.csv"), newline="", encoding="utf-8") as fh:
        return [
            (int(r["ORDERNUMBER"]), int(r["ORDERLINENUMBER"]), r["PRODUCTLINE"], float(r["SALES"]))
            for r in csv.DictReader(fh)
        ]


def _db(cloud: Cloud, ident: str) -> dict:
    return cloud.client("rds").describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]


def _connect(cloud: Cloud, ident: str, password: str | None = None):
    db = _db(cloud, ident)
    if password is None:
        arn = db["MasterUserSecret"]["SecretArn"]
        password = json.loads(cloud.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])["password"]
    return mysql.connector.connect(
        host=db["Endpoint"]["Address"],
        port=db["Endpoint"]["Port"],
        user="admin",
        password=password,
        connection_timeout=5,
    )


def _count(cloud: Cloud, ident: str, table: str, password: str | None = None) -> int:
    with _connect(cloud, ident, password) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {table}")
        return cur.fetchone()[0]


def _ssh_read(cloud: Cloud, iid: str, key: Path, path: str) -> str:
    inst = cloud.client("ec2").describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    host, port = {t["Key"]: t["Value"] for t in inst["Tags"]}[TAG].split(":")
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        host, int(port), username="ec2-user", key_filename=str(key), timeout=10, allow_agent=False, look_for_keys=False
    )
    try:
        _, out, _ = client.exec_command(f"cat {path}", timeout=10)
        return out.read().decode()
    finally:
        client.close()


def _athena_count(cloud: Cloud) -> str:
    athena = cloud.client("athena")
    qid = athena.start_query_execution(
        QueryString="SELECT count(*) FROM persist_db.sales",
        ResultConfiguration={"OutputLocation": f"s3://{BUCKET}/results/"},
    )["QueryExecutionId"]
    assert _wait(
        lambda: (
            athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
            in ("SUCCEEDED", "FAILED")
        )
    )
    ex = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
    assert ex["Status"]["State"] == "SUCCEEDED", ex["Status"].get("StateChangeReason")
    return athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"][1]["Data"][0]["VarCharValue"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    cloud = Cloud(tmp_path_factory.mktemp("persist") / "lab")
    cloud.start("--fresh")
    try:
        w = _build(cloud, tmp_path_factory.mktemp("keys"))
        yield cloud, w
    finally:
        if cloud.private is not None:
            cloud.private.run("stop")


def _build(cloud: Cloud, keys: Path) -> dict:
    ec2, rds, s3 = cloud.client("ec2"), cloud.client("rds"), cloud.client("s3")
    sg = ec2.create_security_group(GroupName="persist", Description="mysql and ssh from the learner")["GroupId"]
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
        VpcSecurityGroupIds=[sg],
        PubliclyAccessible=True,
        Tags=[{"Key": "Lab", "Value": "02"}],
    )
    rds.create_db_instance(DBInstanceIdentifier="mydatabase", ManageMasterUserPassword=True, **common)
    rds.create_db_instance(DBInstanceIdentifier="hadb", MasterUserPassword=PASSWORD, BackupRetentionPeriod=1, **common)
    for ident in ("mydatabase", "hadb"):
        testing.wait_db_available(rds, ident)
    rds.create_db_instance_read_replica(DBInstanceIdentifier="hadb-replica", SourceDBInstanceIdentifier="hadb")

    rows = _sales_rows()
    with _connect(cloud, "mydatabase") as conn, conn.cursor() as cur:
        cur.execute("CREATE DATABASE shop")
        cur.execute("CREATE TABLE shop.sales (ordernumber INT, line INT, productline VARCHAR(40), sales DECIMAL(10,2))")
        cur.executemany("INSERT INTO shop.sales VALUES (%s, %s, %s, %s)", rows)
        conn.commit()
    with _connect(cloud, "hadb", PASSWORD) as conn, conn.cursor() as cur:
        cur.execute("CREATE DATABASE ha")
        cur.execute("CREATE TABLE ha.t (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO ha.t VALUES (1), (2)")
        conn.commit()

    s3.create_bucket(Bucket=BUCKET)
    lines = "".join(json.dumps({"productline": r[2], "sales": r[3]}) + "\n" for r in rows)
    s3.put_object(Bucket=BUCKET, Key="sales/part-0.json", Body=lines.encode())
    s3.put_object(Bucket=BUCKET, Key="notes/readme.txt", Body=b"kept overnight")
    glue = cloud.client("glue")
    glue.create_database(DatabaseInput={"Name": "persist_db"})
    glue.create_table(
        DatabaseName="persist_db",
        TableInput={
            "Name": "sales",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Columns": [{"Name": "productline", "Type": "string"}, {"Name": "sales", "Type": "double"}],
                "Location": f"s3://{BUCKET}/sales/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
            },
        },
    )

    iam = cloud.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="persist-fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    cloud.client("lambda").create_function(
        FunctionName="persist-fn",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": _zip("def handler(event, context):\n    return {'twice': event['n'] * 2}\n")},
    )

    key = keys / "persist.pem"
    key.write_text(ec2.create_key_pair(KeyName="persist", KeyType="ed25519")["KeyMaterial"])
    key.chmod(0o400)
    ami = cloud.client("ssm").get_parameter(Name=AL2023)["Parameter"]["Value"]
    iid = ec2.run_instances(
        ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, KeyName="persist", SecurityGroupIds=[sg]
    )["Instances"][0]["InstanceId"]
    inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    host, port = {t["Key"]: t["Value"] for t in inst["Tags"]}[TAG].split(":")
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        host, int(port), username="ec2-user", key_filename=str(key), timeout=10, allow_agent=False, look_for_keys=False
    )
    _, out, _ = client.exec_command("echo 'written before the restart' > notes.txt && echo ok", timeout=10)
    assert out.read().decode().strip() == "ok"
    client.close()

    testing.wait_db_available(rds, "hadb-replica")
    assert _wait(lambda: _count(cloud, "hadb-replica", "ha.t", PASSWORD) == 2)
    return {
        "rows": len(rows),
        "iid": iid,
        "key": key,
        "sg": sg,
        "endpoints": {i: _db(cloud, i)["Endpoint"]["Port"] for i in ("mydatabase", "hadb", "hadb-replica")},
    }


def _check_everything(cloud: Cloud, w: dict, rows: int | None = None, ha_rows: int = 2) -> None:
    st = cloud.status()["persistence"]
    assert st["state"] == "restored" and st["lost"] == [] and st["fresh_reason"] is None, st
    for ident in ("mydatabase", "hadb", "hadb-replica"):
        db = _db(cloud, ident)
        assert db["DBInstanceStatus"] == "available"
        assert db["Endpoint"]["Port"] == w["endpoints"][ident]  # the endpoint a notebook kept still works
    assert _count(cloud, "mydatabase", "shop.sales") == (rows or w["rows"])
    # replication runs again: a write on the primary reaches the replica
    with _connect(cloud, "hadb", PASSWORD) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO ha.t VALUES (%s)", (100 + ha_rows,))
        conn.commit()
    assert _wait(lambda: _count(cloud, "hadb-replica", "ha.t", PASSWORD) == ha_rows + 1)
    assert cloud.client("s3").get_object(Bucket=BUCKET, Key="notes/readme.txt")["Body"].read() == b"kept overnight"
    assert _athena_count(cloud) == str(w["rows"])
    out = cloud.client("lambda").invoke(FunctionName="persist-fn", Payload=json.dumps({"n": 21}))
    assert json.loads(out["Payload"].read()) == {"twice": 42}
    assert _ssh_read(cloud, w["iid"], w["key"], "notes.txt") == "written before the restart\n"


def test_stop_and_start_keep_everything(world):
    cloud, w = world
    ec2 = cloud.client("ec2")
    ids_before = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    cloud.stop()
    assert cloud.snapshot.exists() and cloud.snapshot.stat().st_mode & 0o777 == 0o600
    cloud.start()
    _check_everything(cloud, w)
    # seeded ids go on from where they were: a new resource never reuses an existing id
    new = cloud.client("ec2").create_security_group(GroupName="after-restart", Description="new")["GroupId"]
    assert new not in ids_before
    w["ha_rows"] = 3


def test_kill_9_loses_at_most_the_last_seconds(world):
    cloud, w = world
    with _connect(cloud, "mydatabase") as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO shop.sales VALUES (1, 1, 'Late', 1.0)")
        conn.commit()
    cloud.client("s3").put_object(Bucket=BUCKET, Key="notes/late.txt", Body=b"just before the crash")
    cloud.wait_saved_after(time.time())  # within a couple of seconds of the last change
    cloud.kill9()
    cloud.start()
    _check_everything(cloud, w, rows=w["rows"] + 1, ha_rows=w.get("ha_rows", 2))
    assert cloud.client("s3").get_object(Bucket=BUCKET, Key="notes/late.txt")["Body"].read() == b"just before the crash"


def test_reset_forgets(world):
    cloud, _ = world
    asked = time.time()
    res = cloud.private.run("reset")
    assert res.returncode == 0, res.stderr
    # reset deletes the saved world; a save is due QUIET_S (0.5 s) after it, of the empty state (on
    # a loaded machine it may be on disk by now): a snapshot here must be that one, taken after the
    # reset was asked for, with no database in it
    if cloud.snapshot.exists():
        saved = persistence.decode(cloud.snapshot.read_bytes())
        assert saved.header["saved_at"] >= asked
        assert not saved.engines.get("rds_mariadb", {}).get("instances")
    assert cloud.client("rds").describe_db_instances()["DBInstances"] == []
    instances = cloud.lab_dir / "localcloud/engines/rds_mariadb/instances"
    assert not instances.exists() or not any(instances.iterdir())
    cloud.stop()
    cloud.start()
    st = cloud.status()["persistence"]
    assert st["state"] == "restored" and st["lost"] == []
    assert cloud.client("s3").list_buckets()["Buckets"] == []
    assert [p for p in cloud.status()["processes"] if p["engine"] == "rds_mariadb"] == []


# ---- unusable snapshots: a clear reason and an empty start --------------------------------------


@pytest.fixture
def small(tmp_path):
    cloud = Cloud(tmp_path / "lab")
    cloud.start()
    cloud.client("s3").create_bucket(Bucket="small-bucket")
    cloud.stop()
    yield cloud
    if cloud.private is not None:
        cloud.private.run("stop")


def _starts_empty(cloud: Cloud, words: str) -> None:
    status = cloud.start()
    p = status["persistence"]
    assert p["state"] == "fresh" and words in p["fresh_reason"], p
    assert cloud.client("s3").list_buckets()["Buckets"] == []
    assert (cloud.snapshot.parent / (persistence.FILE_NAME + ".unusable")).exists()
    res = cloud.private.run("status")
    assert "started empty" in res.stdout and words in res.stdout


def test_damaged_snapshot_starts_empty_with_the_reason(small):
    data = bytearray(small.snapshot.read_bytes())
    data[len(data) // 2] ^= 0xFF
    small.snapshot.write_bytes(bytes(data))
    _starts_empty(small, "checksum")


def test_truncated_snapshot_starts_empty(small):
    small.snapshot.write_bytes(small.snapshot.read_bytes()[:100])
    _starts_empty(small, "checksum")


def test_snapshot_of_another_moto_version_starts_empty(small):
    snap = persistence.decode(small.snapshot.read_bytes())
    header = dict(snap.header, moto="4.0.0")
    hb = json.dumps(header).encode()
    body = persistence.MAGIC + len(hb).to_bytes(8, "big") + hb + len(snap.moto).to_bytes(8, "big") + snap.moto
    import hashlib

    small.snapshot.write_bytes(body + hashlib.sha256(body).digest())
    _starts_empty(small, "moto version 4.0.0")


def test_start_fresh_ignores_the_saved_state(small):
    status = small.start("--fresh")
    assert status["persistence"]["state"] == "fresh" and status["persistence"]["fresh_reason"] is None
    assert small.client("s3").list_buckets()["Buckets"] == []
    assert not small.snapshot.exists() or persistence.decode(small.snapshot.read_bytes())


def test_fresh_on_a_running_localcloud_is_refused(small):
    small.start()
    res = small.private.run("start", "--fresh")
    assert res.returncode == 2 and "reset" in res.stderr


def test_a_database_that_cannot_come_back_is_reported_with_how_to_rebuild_it(tmp_path, capsys):
    cloud = Cloud(tmp_path / "lab")
    cloud.start()
    try:
        rds = cloud.client("rds")
        rds.create_db_instance(
            DBInstanceIdentifier="mydatabase",
            Engine="mysql",
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=20,
            MasterUsername="admin",
            ManageMasterUserPassword=True,
            Tags=[{"Key": "Project", "Value": "aws-de-labs"}, {"Key": "Lab", "Value": "02"}],
        )
        rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier="mydatabase", WaiterConfig={"Delay": 0.2, "MaxAttempts": 600}
        )
        cloud.stop()
        data = cloud.lab_dir / "localcloud/engines/rds_mariadb/instances/mydatabase/data"
        (data / "ibdata1").write_bytes(b"not InnoDB's system tablespace" * 100)  # a disk error, say
        cloud.start()
        p = cloud.status()["persistence"]
        assert [(x["service"], x["kind"], x["id"], x["tags"].get("Lab")) for x in p["lost"]] == [
            ("rds", "db instance", "mydatabase", "02")
        ]
        assert "MariaDB server did not start again" in p["lost"][0]["what"]
        # gone from the API too, so the prerequisite can build it again
        assert cloud.client("rds").describe_db_instances()["DBInstances"] == []
        assert [x for x in cloud.status()["processes"] if x["engine"] == "rds_mariadb"] == []
        assert not data.exists()
        from helpers import lab

        lines = lab.restore_report_lines(p)
        assert any(
            "Not restored: the RDS db instance mydatabase" in line and "lab.require('rds-mydatabase')" in line
            for line in lines
        ), lines
        res = cloud.private.run("status")
        assert "lost: rds db instance mydatabase" in res.stdout
        # lab.start() shows the report once: the next start of a lab stays quiet
        capsys.readouterr()
        lab._show_restore_report(cloud.status())
        assert "Not restored: the RDS db instance mydatabase" in capsys.readouterr().out
        assert cloud.status()["persistence"]["seen"] is True
        lab._show_restore_report(cloud.status())
        assert capsys.readouterr().out == ""
    finally:
        cloud.private.run("stop")
