"""RDS read replicas on localcloud: real MariaDB GTID replication behind the RDS API (lab 09).

Runs against the session's private localcloud (conftest.py), through boto3 and mysql-connector
exactly like a notebook.  The "primary dies" scenario kills the primary's server process from
the test (SIGKILL): a crash no API can cause on AWS, and the honest way to prove what survives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import mysql.connector
import pytest
from botocore.exceptions import ClientError

from localcloud import config
from localcloud.engines.rds.mariadb import server_binary

pytestmark = pytest.mark.skipif(server_binary() is None, reason="no MariaDB server installed")

PASSWORD = "Repl1ca-test-pw"  # a test-only instance on a private localcloud
LEARNER_CIDR = f"{config.LEARNER_IP}/32"


@pytest.fixture(scope="module")
def aws():
    session = boto3.session.Session(
        aws_access_key_id=config.FAKE_ACCESS_KEY,
        aws_secret_access_key=config.FAKE_SECRET_KEY,
        region_name=config.REGION,
    )
    return tuple(session.client(s, endpoint_url=config.endpoint()) for s in ("rds", "ec2"))


@pytest.fixture(scope="module")
def sg(aws):
    _, ec2 = aws
    gid = ec2.create_security_group(GroupName=f"t-{uuid.uuid4().hex[:8]}", Description="test")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=gid,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": LEARNER_CIDR}]}],
    )
    return gid


def _status() -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "localcloud", "status", "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def _wait(rds, ident, waiter="db_instance_available"):
    rds.get_waiter(waiter).wait(DBInstanceIdentifier=ident, WaiterConfig={"Delay": 0.1, "MaxAttempts": 900})


def _describe(rds, ident) -> dict:
    return rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]


def _primary(rds, sg, ident, **kw):
    args = dict(
        DBInstanceIdentifier=ident,
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword=PASSWORD,
        VpcSecurityGroupIds=[sg],
        PubliclyAccessible=True,
        BackupRetentionPeriod=1,
    )
    args.update(kw)
    rds.create_db_instance(**args)
    _wait(rds, ident)


def _connect(rds, ident, timeout=3):
    ep = _describe(rds, ident)["Endpoint"]
    return mysql.connector.connect(
        host=ep["Address"],
        port=ep["Port"],
        user="admin",
        password=PASSWORD,
        connection_timeout=timeout,
        autocommit=True,
    )


def _sql(rds, ident, *statements):
    """Run statements on one connection; the last statement's rows (if any)."""
    rows = None
    with _connect(rds, ident) as conn, conn.cursor() as cur:
        for stmt in statements:
            cur.execute(stmt)
            rows = cur.fetchall() if cur.with_rows else None
    return rows


def _ids(rds, ident) -> list[int]:
    return [r[0] for r in _sql(rds, ident, "SELECT id FROM shop.orders ORDER BY id")]


def _replica_threads(rds, ident) -> tuple[str, str] | None:
    """(Slave_IO_Running, Slave_SQL_Running) of a replica; None when it replicates from nowhere."""
    with _connect(rds, ident) as conn, conn.cursor(dictionary=True) as cur:
        cur.execute("SHOW REPLICA STATUS")
        row = cur.fetchone()
    return (row["Slave_IO_Running"], row["Slave_SQL_Running"]) if row else None


def _eventually(check, timeout=15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def _pids(ident) -> list[int]:
    return [p["pid"] for p in _status()["processes"] if p["name"] == f"mariadbd {ident}"]


def _instance_dir(ident) -> Path:
    return config.state_dir() / "engines" / "rds_mariadb" / "instances" / ident


def _delete(rds, *idents):
    for ident in idents:
        try:
            rds.delete_db_instance(DBInstanceIdentifier=ident, SkipFinalSnapshot=True)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "DBInstanceNotFound":
                raise
    for ident in idents:
        _wait(rds, ident, "db_instance_deleted")


def _new_pair(rds, sg, name, **replica_kw):
    _primary(rds, sg, name)
    _sql(
        rds,
        name,
        "CREATE DATABASE shop",
        "CREATE TABLE shop.orders (id INT PRIMARY KEY, note VARCHAR(40))",
        "INSERT INTO shop.orders VALUES (1, 'before the replica')",
    )
    rds.create_db_instance_read_replica(
        DBInstanceIdentifier=f"{name}-r1", SourceDBInstanceIdentifier=name, **replica_kw
    )
    _wait(rds, f"{name}-r1")


def test_replica_needs_backups_and_a_password_rds_does_not_manage(aws, sg):
    rds, _ = aws
    _primary(rds, sg, "t-nobackup", BackupRetentionPeriod=0)
    with pytest.raises(ClientError) as err:
        rds.create_db_instance_read_replica(
            DBInstanceIdentifier="t-nobackup-r", SourceDBInstanceIdentifier="t-nobackup"
        )
    assert err.value.response["Error"]["Code"] == "InvalidDBInstanceState"
    assert "Automated backups are not enabled" in err.value.response["Error"]["Message"]
    args = dict(
        DBInstanceIdentifier="t-managed",
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        ManageMasterUserPassword=True,
        VpcSecurityGroupIds=[sg],
        PubliclyAccessible=True,
        BackupRetentionPeriod=1,
    )
    rds.create_db_instance(**args)
    _wait(rds, "t-managed")
    with pytest.raises(ClientError) as err:
        rds.create_db_instance_read_replica(DBInstanceIdentifier="t-managed-r", SourceDBInstanceIdentifier="t-managed")
    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as err:
        rds.create_db_instance_read_replica(DBInstanceIdentifier="t-r", SourceDBInstanceIdentifier="t-nosuchdb")
    assert err.value.response["Error"]["Code"] == "DBInstanceNotFound"
    assert not any(d["DBInstanceIdentifier"].endswith("-r") for d in rds.describe_db_instances()["DBInstances"])
    _delete(rds, "t-nobackup", "t-managed")


def test_replica_api_fields_data_and_read_only(aws, sg):
    rds, _ = aws
    _primary(rds, sg, "t-src")
    _sql(
        rds,
        "t-src",
        "CREATE DATABASE shop",
        "CREATE TABLE shop.orders (id INT PRIMARY KEY, note VARCHAR(40))",
        "INSERT INTO shop.orders VALUES (1, 'before the replica')",
    )
    new = rds.create_db_instance_read_replica(
        DBInstanceIdentifier="t-src-r1", SourceDBInstanceIdentifier="t-src", Tags=[{"Key": "Lab", "Value": "09"}]
    )["DBInstance"]
    assert new["DBInstanceStatus"] == "creating" and "Endpoint" not in new
    assert new["ReadReplicaSourceDBInstanceIdentifier"] == "t-src"
    assert new["BackupRetentionPeriod"] == 0  # RDS creates replicas with backups disabled
    _wait(rds, "t-src-r1")
    replica, source = _describe(rds, "t-src-r1"), _describe(rds, "t-src")
    assert source["ReadReplicaDBInstanceIdentifiers"] == ["t-src-r1"]
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == "t-src"
    assert replica["Endpoint"]["Port"] != source["Endpoint"]["Port"]
    assert replica["VpcSecurityGroups"] == source["VpcSecurityGroups"]  # inherited, like AWS

    # the copy: data written before, and the source's master user with its password
    assert _ids(rds, "t-src-r1") == [1]
    # replication: what the primary commits shows up on the replica within a bounded time
    _sql(rds, "t-src", "INSERT INTO shop.orders VALUES (2, 'after')", "UPDATE shop.orders SET note='x' WHERE id=1")
    assert _eventually(lambda: _ids(rds, "t-src-r1") == [1, 2])
    assert _sql(rds, "t-src-r1", "SELECT note FROM shop.orders WHERE id = 1") == [("x",)]
    with _connect(rds, "t-src-r1") as conn, conn.cursor(dictionary=True) as cur:
        cur.execute("SHOW REPLICA STATUS")  # the master user may look, as on RDS
        st = cur.fetchall()[0]
        assert (st["Slave_IO_Running"], st["Slave_SQL_Running"], st["Using_Gtid"]) == ("Yes", "Yes", "Slave_Pos")
        assert st["Seconds_Behind_Master"] == 0
        with pytest.raises(mysql.connector.Error) as ro:
            cur.execute("INSERT INTO shop.orders VALUES (99, 'on a replica')")
        assert ro.value.errno == 1290  # --read-only
        with pytest.raises(mysql.connector.Error) as denied:
            cur.execute("STOP SLAVE")  # not the master user's to do: RDS's procedure is
        assert denied.value.errno == 1227

    # RDS's rules: neither a replica nor the source of one can be stopped
    for ident in ("t-src", "t-src-r1"):
        with pytest.raises(ClientError) as err:
            rds.stop_db_instance(DBInstanceIdentifier=ident)
        assert err.value.response["Error"]["Code"] == "InvalidDBInstanceState"
    with pytest.raises(ClientError) as err:
        rds.delete_db_instance(DBInstanceIdentifier="t-src-r1", FinalDBSnapshotIdentifier="nope")
    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as err:
        rds.promote_read_replica(DBInstanceIdentifier="t-src")
    assert err.value.response["Error"]["Code"] == "InvalidDBInstanceState"


def test_replica_created_while_the_source_changes_its_tables(aws, sg):
    """DDL on the source during the replica's copy: the copy waits for it, no replica fails.

    The copy used to be a ``--single-transaction`` dump, which MariaDB aborts with error 1412
    ("Table definition has changed") when a table is dropped or re-created meanwhile: a learner
    writing to the primary while lab 09 builds its replica saw the replica go ``failed``.
    """
    import threading

    rds, _ = aws
    _primary(rds, sg, "t-ddl")
    _sql(rds, "t-ddl", "CREATE DATABASE shop")
    stop, rounds, errors = threading.Event(), [0], []

    def churn():
        try:
            with _connect(rds, "t-ddl") as conn, conn.cursor() as cur:
                while not stop.is_set():
                    for n in range(4):
                        cur.execute(f"DROP TABLE IF EXISTS shop.t{n}")
                        cur.execute(f"CREATE TABLE shop.t{n} (id INT PRIMARY KEY, v VARCHAR(20))")
                        cur.execute(f"INSERT INTO shop.t{n} VALUES (1, 'round {rounds[0]}')")
                    rounds[0] += 1
        except Exception as exc:  # reported below: the writer must never be refused either
            errors.append(exc)

    writer = threading.Thread(target=churn, daemon=True)
    writer.start()
    replicas = [f"t-ddl-r{i}" for i in range(3)]
    try:
        for ident in replicas:
            rds.create_db_instance_read_replica(DBInstanceIdentifier=ident, SourceDBInstanceIdentifier="t-ddl")
        for ident in replicas:
            _wait(rds, ident)
    finally:
        stop.set()
        writer.join(30)
    assert not errors, errors
    assert rounds[0] > 0
    want = _sql(rds, "t-ddl", "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'shop'")
    for ident in replicas:
        assert _describe(rds, ident)["DBInstanceStatus"] == "available"
        assert _eventually(
            lambda ident=ident: (
                _sql(rds, ident, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'shop'") == want
            )
        ), ident
    _delete(rds, *replicas, "t-ddl")


def test_pause_reboot_and_promotion(aws, sg):
    """rds_stop_replication pauses; a source reboot is followed; promotion stops replication for good."""
    rds, _ = aws
    _new_pair(rds, sg, "t-pro")
    _sql(rds, "t-pro-r1", "CALL mysql.rds_stop_replication()")
    # Paused for real (neither the I/O nor the SQL thread runs): a row written now cannot
    # arrive, so its absence below is a fact, not a race against replication.
    assert _replica_threads(rds, "t-pro-r1") == ("No", "No")
    _sql(rds, "t-pro", "INSERT INTO shop.orders VALUES (2, 'while paused')")
    assert _ids(rds, "t-pro") == [1, 2] and _ids(rds, "t-pro-r1") == [1]
    _sql(rds, "t-pro-r1", "CALL mysql.rds_start_replication()")
    assert _eventually(lambda: _ids(rds, "t-pro-r1") == [1, 2])

    rds.reboot_db_instance(DBInstanceIdentifier="t-pro")
    _wait(rds, "t-pro")
    _sql(rds, "t-pro", "INSERT INTO shop.orders VALUES (3, 'after the reboot')")
    assert _eventually(lambda: _ids(rds, "t-pro-r1") == [1, 2, 3])

    resp = rds.promote_read_replica(DBInstanceIdentifier="t-pro-r1")["DBInstance"]
    assert resp["DBInstanceStatus"] == "modifying"
    _wait(rds, "t-pro-r1")
    promoted = _describe(rds, "t-pro-r1")
    assert "ReadReplicaSourceDBInstanceIdentifier" not in promoted
    assert _describe(rds, "t-pro").get("ReadReplicaDBInstanceIdentifiers") == []
    assert _sql(rds, "t-pro-r1", "SHOW REPLICA STATUS") == []
    _sql(rds, "t-pro-r1", "INSERT INTO shop.orders VALUES (10, 'written on the new primary')")
    # No replication channel left on the promoted instance: nothing written on the old primary
    # can arrive any more (checked, not waited for).
    assert _replica_threads(rds, "t-pro-r1") is None
    _sql(rds, "t-pro", "INSERT INTO shop.orders VALUES (4, 'old primary, after promotion')")
    assert _ids(rds, "t-pro-r1") == [1, 2, 3, 10]
    # the promoted instance is an ordinary one now: it can be stopped
    _delete(rds, "t-pro")
    rds.stop_db_instance(DBInstanceIdentifier="t-pro-r1")
    _delete(rds, "t-pro-r1")


def test_primary_crash_async_loses_acknowledged_writes_semisync_does_not(aws, sg):
    rds, _ = aws
    _primary(rds, sg, "t-ha")
    _sql(rds, "t-ha", "CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY, note VARCHAR(40))")
    family = rds.describe_db_parameter_groups(
        DBParameterGroupName=_describe(rds, "t-ha")["DBParameterGroups"][0]["DBParameterGroupName"]
    )["DBParameterGroups"][0]["DBParameterGroupFamily"]
    rds.create_db_parameter_group(DBParameterGroupName="t-semisync", DBParameterGroupFamily=family, Description="t")
    rds.modify_db_parameter_group(
        DBParameterGroupName="t-semisync",
        Parameters=[
            {"ParameterName": name, "ParameterValue": value, "ApplyMethod": "pending-reboot"}
            for name, value in (
                ("rpl_semi_sync_master_enabled", "1"),
                ("rpl_semi_sync_slave_enabled", "1"),
                ("rpl_semi_sync_master_timeout", "30000"),
            )
        ],
    )
    for ident in ("t-ha-semi", "t-ha-async"):
        rds.create_db_instance_read_replica(DBInstanceIdentifier=ident, SourceDBInstanceIdentifier="t-ha")
    for ident in ("t-ha-semi", "t-ha-async"):
        _wait(rds, ident)
    for ident in ("t-ha", "t-ha-semi"):
        rds.modify_db_instance(DBInstanceIdentifier=ident, DBParameterGroupName="t-semisync", ApplyImmediately=True)
        rds.reboot_db_instance(DBInstanceIdentifier=ident)
        _wait(rds, ident)

    def semisync() -> dict:
        return dict(_sql(rds, "t-ha", "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'"))

    assert _eventually(lambda: semisync()["Rpl_semi_sync_master_clients"] == "1")
    _sql(rds, "t-ha-async", "CALL mysql.rds_stop_replication()")  # the async replica falls behind
    for i in range(1, 6):
        _sql(rds, "t-ha", f"INSERT INTO shop.orders VALUES ({i}, 'acknowledged')")  # autocommit: acked
    st = semisync()
    assert st["Rpl_semi_sync_master_status"] == "ON" and int(st["Rpl_semi_sync_master_yes_tx"]) >= 5
    # The semi-sync replica applies at once: it has the same parameters but no replica of its own
    # to wait for (it used to hold each applied transaction for the 30 s timeout).
    assert _eventually(lambda: _ids(rds, "t-ha-semi") == [1, 2, 3, 4, 5], timeout=5)

    for pid in _pids("t-ha"):  # the primary crashes: no clean shutdown, no goodbye to the replicas
        os.kill(pid, signal.SIGKILL)
    for ident in ("t-ha-semi", "t-ha-async"):
        rds.promote_read_replica(DBInstanceIdentifier=ident)
    for ident in ("t-ha-semi", "t-ha-async"):
        _wait(rds, ident)
    assert _ids(rds, "t-ha-semi") == [1, 2, 3, 4, 5]  # every acknowledged commit survived
    assert _ids(rds, "t-ha-async") == []  # committed, acknowledged, and gone
    _delete(rds, "t-ha", "t-ha-semi", "t-ha-async")
    rds.delete_db_parameter_group(DBParameterGroupName="t-semisync")


def test_semisync_falls_back_to_async_when_no_replica_answers(aws, sg):
    rds, _ = aws
    _new_pair(rds, sg, "t-fb")
    family = rds.describe_db_parameter_groups(
        DBParameterGroupName=_describe(rds, "t-fb")["DBParameterGroups"][0]["DBParameterGroupName"]
    )["DBParameterGroups"][0]["DBParameterGroupFamily"]
    rds.create_db_parameter_group(DBParameterGroupName="t-fb", DBParameterGroupFamily=family, Description="t")
    rds.modify_db_parameter_group(
        DBParameterGroupName="t-fb",
        Parameters=[
            {"ParameterName": name, "ParameterValue": value, "ApplyMethod": "pending-reboot"}
            for name, value in (
                ("rpl_semi_sync_master_enabled", "1"),
                ("rpl_semi_sync_slave_enabled", "1"),
                ("rpl_semi_sync_master_timeout", "700"),
            )
        ],
    )
    for ident in ("t-fb", "t-fb-r1"):
        rds.modify_db_instance(DBInstanceIdentifier=ident, DBParameterGroupName="t-fb", ApplyImmediately=True)
        rds.reboot_db_instance(DBInstanceIdentifier=ident)
        _wait(rds, ident)
    assert _eventually(
        lambda: (
            dict(_sql(rds, "t-fb", "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'"))[
                "Rpl_semi_sync_master_clients"
            ]
            == "1"
        )
    )
    _sql(rds, "t-fb-r1", "CALL mysql.rds_stop_replication()")
    t0 = time.monotonic()
    _sql(rds, "t-fb", "INSERT INTO shop.orders VALUES (2, 'nobody acknowledged')")
    assert time.monotonic() - t0 >= 0.6  # the commit waited for the timeout ...
    status = dict(_sql(rds, "t-fb", "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'"))
    assert status["Rpl_semi_sync_master_status"] == "OFF"  # ... then went on asynchronously
    _delete(rds, "t-fb-r1", "t-fb")
    rds.delete_db_parameter_group(DBParameterGroupName="t-fb")


def test_deleting_the_source_promotes_its_replica_and_teardown_leaves_nothing(aws, sg):
    rds, _ = aws
    _new_pair(rds, sg, "t-del")
    pids = _pids("t-del") + _pids("t-del-r1")
    assert len(pids) == 2
    _delete(rds, "t-del")
    _wait(rds, "t-del-r1")
    replica = _describe(rds, "t-del-r1")
    assert "ReadReplicaSourceDBInstanceIdentifier" not in replica
    _sql(rds, "t-del-r1", "INSERT INTO shop.orders VALUES (2, 'standalone now')")
    _delete(rds, "t-del-r1")
    assert not _pids("t-del") and not _pids("t-del-r1")
    assert not any(
        Path(f"/proc/{pid}").exists() and Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
        for pid in pids
    )
    assert not _instance_dir("t-del").exists() and not _instance_dir("t-del-r1").exists()


def test_reset_stops_primaries_and_replicas(aws, sg):
    rds, ec2 = aws
    _new_pair(rds, sg, "t-rst")
    assert _pids("t-rst-r1")
    out = subprocess.run([sys.executable, "-m", "localcloud", "reset"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert [p for p in _status()["processes"] if p["engine"] == "rds_mariadb"] == []
    root = config.state_dir() / "engines" / "rds_mariadb" / "instances"
    assert not root.exists() or not any(root.iterdir())
