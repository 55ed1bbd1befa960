"""RDS faults and limits (issue 13): instances that do not share files, a crashed engine that RDS
restarts, failures explained through the API, and the nonsense AWS refuses.

Runs against the session's private localcloud (conftest.py), through boto3 and mysql-connector.
"""

from __future__ import annotations

import datetime
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
from localcloud.engines.rds import offerings
from localcloud.engines.rds.mariadb import server_binary

pytestmark = pytest.mark.skipif(server_binary() is None, reason="no MariaDB server installed")

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
    gid = ec2.create_security_group(GroupName=f"t-{uuid.uuid4().hex[:8]}", Description="faults")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=gid,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": LEARNER_CIDR}]}],
    )
    return gid


PASSWORD = "faults-Passw0rd"


def _status() -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "localcloud", "status", "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def _wait(rds, ident, waiter="db_instance_available"):
    rds.get_waiter(waiter).wait(DBInstanceIdentifier=ident, WaiterConfig={"Delay": 0.1, "MaxAttempts": 900})


def _describe(rds, ident) -> dict:
    return rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]


def _create(rds, sg, ident, **kw):
    args = dict(
        DBInstanceIdentifier=ident,
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword=PASSWORD,
        VpcSecurityGroupIds=[sg],
        PubliclyAccessible=True,
    )
    args.update(kw)
    return rds.create_db_instance(**args)["DBInstance"]


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


def _pids(ident) -> list[int]:
    return [p["pid"] for p in _status()["processes"] if p["name"] == f"mariadbd {ident}"]


def _delete(rds, *idents):
    for ident in idents:
        try:
            rds.delete_db_instance(DBInstanceIdentifier=ident, SkipFinalSnapshot=True)
        except ClientError:
            pass
    for ident in idents:
        _wait(rds, ident, "db_instance_deleted")


def _events(rds, ident) -> list[str]:
    return [
        e["Message"]
        for e in rds.describe_events(SourceIdentifier=ident, SourceType="db-instance", Duration=60)["Events"]
    ]


def _eventually(check, timeout=30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


# ---- 13.1: one server's start must not break another's queries ---------------------------------


def test_each_server_has_its_own_tmpdir_and_files(aws, sg):
    rds, _ = aws
    _create(rds, sg, "t-tmp-a")
    _create(rds, sg, "t-tmp-b")
    _wait(rds, "t-tmp-a")
    _wait(rds, "t-tmp-b")
    for ident in ("t-tmp-a", "t-tmp-b"):
        own = (config.state_dir() / "engines" / "rds_mariadb" / "instances" / ident).resolve()
        with _connect(rds, ident) as conn, conn.cursor() as cur:
            cur.execute("SELECT @@tmpdir, @@pid_file, @@log_error, @@secure_file_priv, @@datadir, @@socket")
            *paths, socket_path = cur.fetchone()
        for path in paths:  # every file a server writes is in its own folder, none in a shared one
            assert Path(path).resolve().is_relative_to(own), f"{ident}: {path} is outside {own}"
        assert not os.path.isabs(socket_path)  # relative to its own datadir

    # The fault itself: an on-disk temporary table of A survives B's restart (MariaDB clears its
    # tmpdir of #sql* files when it starts: a shared /tmp loses A's files).
    with _connect(rds, "t-tmp-a") as conn, conn.cursor() as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS work")
        cur.execute("CREATE TEMPORARY TABLE work.scratch (x INT) ENGINE=Aria")
        cur.execute("INSERT INTO work.scratch VALUES (1), (2), (3)")
        rds.reboot_db_instance(DBInstanceIdentifier="t-tmp-b")
        _wait(rds, "t-tmp-b")
        cur.execute("SELECT SUM(x) FROM work.scratch")
        assert cur.fetchone()[0] == 6
        cur.execute("DROP TEMPORARY TABLE work.scratch")  # shared /tmp: "Error on delete of '/tmp/#sql-temptable-..."
    _delete(rds, "t-tmp-a", "t-tmp-b")


# ---- 13.1: a failure is explained through the API ----------------------------------------------


def test_a_failed_instance_says_why_in_its_events(aws, sg):
    rds, _ = aws
    rds.create_db_parameter_group(DBParameterGroupName="t-broken", DBParameterGroupFamily="mysql8.4", Description="t")
    rds.modify_db_parameter_group(
        DBParameterGroupName="t-broken",
        Parameters=[{"ParameterName": "sql_mode", "ParameterValue": "NOT_A_MODE", "ApplyMethod": "pending-reboot"}],
    )
    _create(rds, sg, "t-broken", DBParameterGroupName="t-broken")
    with pytest.raises(Exception) as waited:  # the waiter's failure state, all a learner saw before
        _wait(rds, "t-broken")
    assert "failed" in str(waited.value)
    assert _describe(rds, "t-broken")["DBInstanceStatus"] == "failed"
    events = _events(rds, "t-broken")
    why = [e for e in events if e.startswith("The DB instance creation failed.")]
    assert why, events
    assert "NOT_A_MODE" in why[0] or "sql_mode" in why[0], why[0]  # the server's own words
    _delete(rds, "t-broken")
    rds.delete_db_parameter_group(DBParameterGroupName="t-broken")


# ---- 13.2: a database that dies is restarted, and looks down (not firewalled) meanwhile ---------


def test_a_crashed_server_is_restarted_and_reports_it(aws, sg):
    from helpers import mysql as labmysql

    rds, _ = aws
    _create(rds, sg, "t-crash")
    _wait(rds, "t-crash")
    with _connect(rds, "t-crash") as conn, conn.cursor() as cur:
        cur.execute("CREATE DATABASE shop")
        cur.execute("CREATE TABLE shop.orders (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO shop.orders VALUES (1), (2)")
    (pid,) = _pids("t-crash")
    os.kill(pid, signal.SIGKILL)  # the engine dies; nobody calls reboot
    # A connection the security group allows, while the server is down, is reset at once (a host
    # with nothing listening): the classifier says "server down", not "timeout" (the firewall).
    t0 = time.monotonic()
    with pytest.raises(mysql.connector.Error) as down:
        _connect(rds, "t-crash", timeout=5).close()
    assert time.monotonic() - t0 < 4, "a reset, not a timeout"
    assert labmysql.classify_connect_error(down.value) == "server down", down.value

    assert _eventually(lambda: "Recovery of the DB instance is complete." in _events(rds, "t-crash"), timeout=60)
    assert _describe(rds, "t-crash")["DBInstanceStatus"] == "available"
    assert _pids("t-crash") and _pids("t-crash") != [pid]
    with _connect(rds, "t-crash") as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM shop.orders")
        assert cur.fetchone()[0] == 2  # InnoDB recovered the committed rows
    events = _events(rds, "t-crash")
    assert any(e.startswith("Recovery of the DB instance has started") for e in events), events
    assert "DB instance restarted." in events and "Recovery of the DB instance is complete." in events
    assert _status()["engines"]["rds_mariadb"]["instances"]["t-crash"]["crash_recoveries"] == 1
    _delete(rds, "t-crash")


def test_classifier_asks_rds_whether_the_server_is_up(aws, sg):
    """A connection that times out is the firewall only if the instance is available."""
    from helpers import mysql as labmysql

    rds, ec2 = aws
    closed = ec2.create_security_group(GroupName=f"t-{uuid.uuid4().hex[:8]}", Description="closed")["GroupId"]
    _create(rds, closed, "t-class")
    _wait(rds, "t-class")
    timeout = mysql.connector.errors.InterfaceError(msg="Can't connect to MySQL server (timed out)", errno=2003)
    rds.stop_db_instance(DBInstanceIdentifier="t-class")
    assert _eventually(lambda: _describe(rds, "t-class")["DBInstanceStatus"] == "stopped")
    assert labmysql.classify_connect_error(timeout) == "timeout"  # alone, a timeout looks like a firewall
    assert labmysql.classify_connect_error(timeout, db_instance_identifier="t-class", rds=rds) == "server down"
    rds.start_db_instance(DBInstanceIdentifier="t-class")
    _wait(rds, "t-class")
    with pytest.raises(mysql.connector.Error) as dropped:
        _connect(rds, "t-class", timeout=1)  # the security group has no rule: dropped, a timeout
    assert labmysql.classify_connect_error(dropped.value, db_instance_identifier="t-class", rds=rds) == "timeout"
    _delete(rds, "t-class")


# ---- 13.7: nonsense AWS refuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, code, message",
    [
        ({"EngineVersion": "9.99"}, "InvalidParameterCombination", "Cannot find version 9.99 for mysql"),
        (
            {"DBInstanceClass": "db.x9.mega"},
            "InvalidParameterCombination",
            "RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.x9.mega, "
            "Engine=mysql, EngineVersion=8.4.10, LicenseModel=general-public-license.",
        ),
        (
            {"AllocatedStorage": 1},
            "InvalidParameterCombination",
            "Invalid storage size for engine name mysql and storage type gp3: 1",
        ),
        (
            {"AllocatedStorage": 100_000, "StorageType": "gp2"},
            "InvalidParameterCombination",
            "Invalid storage size for engine name mysql and storage type gp2: 100000",
        ),
        ({"AllocatedStorage": 4, "StorageType": "standard"}, "InvalidParameterCombination", "storage type standard: 4"),
        (
            {"MasterUsername": "root"},
            "InvalidParameterValue",
            "MasterUsername root cannot be used as it is a reserved word",
        ),
        ({"MasterUsername": "rdsadmin"}, "InvalidParameterValue", "reserved word used by the engine"),
        ({"MasterUsername": "1admin"}, "InvalidParameterValue", "MasterUsername"),
        ({"MasterUsername": "a" * 17}, "InvalidParameterValue", "MasterUsername"),
        ({"Engine": "postgres"}, "LocalCloudNotSupported", "engine 'postgres' has no local server"),
        ({"Engine": "mysql", "EngineVersion": "9.7"}, "LocalCloudNotSupported", "cannot stand in for MySQL 9.7"),
        (
            {"EngineLifecycleSupport": "open-source-rds-standard-support"},
            "InvalidParameterValue",
            "Invalid value open-source-rds-standard-support for EngineLifecycleSupport",
        ),
        (  # RDS refuses it (API reference); its exact error is not public, so localcloud says so
            {"EngineVersion": "8.0", "EngineLifecycleSupport": "open-source-rds-extended-support-disabled"},
            "LocalCloudNotSupported",
            "RDS for MySQL 8.0 left standard support on 2026-07-31",
        ),
    ],
)
def test_nonsense_is_refused_as_aws_refuses_it(aws, sg, change, code, message):
    rds, _ = aws
    with pytest.raises(ClientError) as err:
        _create(rds, sg, "t-nonsense", **change)
    assert err.value.response["Error"]["Code"] == code
    assert message in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError):  # nothing was created, nothing sits "available" with no server
        rds.describe_db_instances(DBInstanceIdentifier="t-nonsense")


def test_restoring_a_snapshot_is_refused_rather_than_serverless(aws, sg):
    rds, _ = aws
    for call, kw in (
        (rds.restore_db_instance_from_db_snapshot, {"DBSnapshotIdentifier": "t-any-snap"}),
        (
            rds.restore_db_instance_to_point_in_time,
            {"SourceDBInstanceIdentifier": "t-any", "UseLatestRestorableTime": True},
        ),
    ):
        ident = "t-restored"
        with pytest.raises(ClientError) as err:
            call(
                **kw,
                **(
                    {"DBInstanceIdentifier": ident}
                    if "DBSnapshotIdentifier" in kw
                    else {"TargetDBInstanceIdentifier": ident}
                ),
            )
        assert err.value.response["Error"]["Code"] == "LocalCloudNotSupported"
        with pytest.raises(ClientError):
            rds.describe_db_instances(DBInstanceIdentifier=ident)


def test_storage_quota_across_instances(aws, sg):
    rds, _ = aws
    _create(rds, sg, "t-quota", AllocatedStorage=60_000)
    with pytest.raises(ClientError) as err:
        _create(rds, sg, "t-quota-2", AllocatedStorage=60_000)
    assert err.value.response["Error"]["Code"] == "StorageQuotaExceeded"
    _wait(rds, "t-quota")
    _delete(rds, "t-quota")


# ---- engine versions: what AWS gives, and what really runs ---------------------------------------


def test_engine_version_is_a_current_mysql_84_and_resolves_like_rds(aws, sg):
    rds, _ = aws
    assert _create(rds, sg, "t-ver-default")["EngineVersion"] == "8.4.10"
    assert _create(rds, sg, "t-ver-84", EngineVersion="8.4")["EngineVersion"] == "8.4.10"
    assert _create(rds, sg, "t-ver-847", EngineVersion="8.4.7")["EngineVersion"] == "8.4.7"
    assert _create(rds, sg, "t-ver-80", EngineVersion="8.0")["EngineVersion"] == "8.0.46"
    for ident, family in (("t-ver-default", "mysql8.4"), ("t-ver-847", "mysql8.4"), ("t-ver-80", "mysql8.0")):
        _wait(rds, ident)
        db = _describe(rds, ident)
        group = db["DBParameterGroups"][0]["DBParameterGroupName"]
        assert group == f"default.{family}"
        assert (
            rds.describe_db_parameter_groups(DBParameterGroupName=group)["DBParameterGroups"][0][
                "DBParameterGroupFamily"
            ]
            == family
        )
    # the real server behind it is named where localcloud describes itself
    server = _status()["engines"]["rds_mariadb"]["server"]
    assert server.startswith("MariaDB 10.11") and "MySQL 8.4.10" in server
    with _connect(rds, "t-ver-default") as conn, conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        assert "MariaDB" in cur.fetchone()[0]  # what the SQL session sees: the real server
    _delete(rds, "t-ver-default", "t-ver-84", "t-ver-847", "t-ver-80")


def test_engine_lifecycle_support_is_echoed_and_changed_as_rds_does(aws, sg):
    rds, _ = aws
    disabled, enrolled = offerings.EXTENDED_SUPPORT_DISABLED, offerings.EXTENDED_SUPPORT
    made = _create(rds, sg, "t-life-84", EngineVersion="8.4", EngineLifecycleSupport=disabled)
    assert made["EngineLifecycleSupport"] == disabled  # CreateDBInstance's answer shows it
    assert _create(rds, sg, "t-life-80", EngineVersion="8.0")["EngineLifecycleSupport"] == enrolled  # the default
    assert _describe(rds, "t-life-84")["EngineLifecycleSupport"] == disabled
    _wait(rds, "t-life-84")
    changed = rds.modify_db_instance(DBInstanceIdentifier="t-life-84", EngineLifecycleSupport=enrolled)
    assert changed["DBInstance"]["EngineLifecycleSupport"] == enrolled
    assert _describe(rds, "t-life-84")["EngineLifecycleSupport"] == enrolled
    for ident, value, code in (
        ("t-life-84", "extended", "InvalidParameterValue"),
        ("t-life-80", disabled, "LocalCloudNotSupported"),  # RDS would upgrade 8.0; localcloud cannot
    ):
        with pytest.raises(ClientError) as err:
            rds.modify_db_instance(DBInstanceIdentifier=ident, EngineLifecycleSupport=value)
        assert err.value.response["Error"]["Code"] == code
    assert _describe(rds, "t-life-80")["EngineLifecycleSupport"] == enrolled
    _delete(rds, "t-life-84", "t-life-80")


def test_extended_support_disabled_is_refused_only_past_the_end_of_standard_support():
    day_before, day_after = datetime.date(2026, 7, 31), datetime.date(2026, 8, 1)
    disabled = offerings.EXTENDED_SUPPORT_DISABLED
    assert offerings.check_lifecycle("mysql", disabled, "8.0.46", today=day_before) == disabled
    assert offerings.check_lifecycle("mysql", disabled, "8.4.10", today=day_after) == disabled
    assert offerings.check_lifecycle("mysql", None, "8.0.46", today=day_after) == offerings.EXTENDED_SUPPORT
    with pytest.raises(offerings.Refused, match="left standard support on 2026-07-31"):
        offerings.check_lifecycle("mysql", disabled, "8.0.46", today=day_after)


def test_describe_engine_versions_and_orderable_options(aws):
    rds, _ = aws
    default = rds.describe_db_engine_versions(Engine="mysql", EngineVersion="8.4", DefaultOnly=True)["DBEngineVersions"]
    assert [(v["EngineVersion"], v["DBParameterGroupFamily"]) for v in default] == [("8.4.10", "mysql8.4")]
    every = [
        v
        for page in rds.get_paginator("describe_db_engine_versions").paginate(Engine="mysql")
        for v in page["DBEngineVersions"]
    ]
    versions = {v["EngineVersion"]: v for v in every}
    assert {"8.0.46", "8.4.5", "8.4.10"} <= set(versions)
    assert {f["DBParameterGroupFamily"] for f in every} == {"mysql8.0", "mysql8.4"}
    targets = {t["EngineVersion"]: t["IsMajorVersionUpgrade"] for t in versions["8.0.46"]["ValidUpgradeTarget"]}
    assert targets["8.4.10"] is True and "8.0.45" not in targets
    assert versions["8.4.5"]["ValidUpgradeTarget"][0] == {
        "Engine": "mysql",
        "EngineVersion": "8.4.6",
        "Description": "MySQL 8.4.6",
        "AutoUpgrade": False,
        "IsMajorVersionUpgrade": False,
    }

    options = [
        o
        for page in rds.get_paginator("describe_orderable_db_instance_options").paginate(
            Engine="mysql", EngineVersion="8.4.10"
        )
        for o in page["OrderableDBInstanceOptions"]
    ]
    micro = {(o["DBInstanceClass"], o["StorageType"]): o for o in options}
    gp2 = micro[("db.t3.micro", "gp2")]
    assert (gp2["MinStorageSize"], gp2["MaxStorageSize"]) == (20, 65536)
    assert ("db.t4g.small", "gp3") in micro and ("db.t3.micro", "io1") in micro
    assert micro[("db.t3.micro", "io1")]["MinStorageSize"] == 100
    assert not any(cls == "db.x9.mega" for cls, _ in micro)


# ---- parameter groups: real contents (issue 15) --------------------------------------------------


def test_parameter_groups_list_engine_defaults_and_user_changes(aws, sg):
    rds, _ = aws
    with pytest.raises(ClientError) as missing:
        rds.describe_db_parameter_groups(DBParameterGroupName="t-no-such-group")
    assert missing.value.response["Error"]["Code"] == "DBParameterGroupNotFound"
    assert missing.value.response["Error"]["Message"] == "DBParameterGroup not found: t-no-such-group"

    rds.create_db_parameter_group(DBParameterGroupName="t-pg", DBParameterGroupFamily="mysql8.4", Description="t")
    params = {
        p["ParameterName"]: p
        for page in rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName="t-pg")
        for p in page["Parameters"]
    }
    inc = params["auto_increment_increment"]
    assert (inc["Source"], inc["ParameterValue"], inc["IsModifiable"]) == ("engine-default", "1", True)
    assert params["max_connections"]["ParameterValue"] == "{DBInstanceClassMemory/12582880}"
    assert params["max_connections"]["Source"] == "system"
    assert params["rpl_semi_sync_source_enabled"]["ParameterValue"] == "0"
    assert rds.describe_db_parameters(DBParameterGroupName="t-pg", Source="user")["Parameters"] == []

    rds.modify_db_parameter_group(
        DBParameterGroupName="t-pg",
        Parameters=[
            {"ParameterName": "auto_increment_increment", "ParameterValue": "5", "ApplyMethod": "immediate"},
            {"ParameterName": "auto_increment_offset", "ParameterValue": "3", "ApplyMethod": "immediate"},
        ],
    )
    user = rds.describe_db_parameters(DBParameterGroupName="t-pg", Source="user")["Parameters"]
    assert [(p["ParameterName"], p["ParameterValue"]) for p in user] == [
        ("auto_increment_increment", "5"),
        ("auto_increment_offset", "3"),
    ]
    named = rds.describe_db_parameters(
        DBParameterGroupName="t-pg", Filters=[{"Name": "parameter-name", "Values": ["auto_increment_offset"]}]
    )["Parameters"]
    assert [p["ParameterName"] for p in named] == ["auto_increment_offset"]

    # the server really runs with them
    _create(rds, sg, "t-pg-db", DBParameterGroupName="t-pg", DBName="docexampledb")
    _wait(rds, "t-pg-db")
    with _connect(rds, "t-pg-db") as conn, conn.cursor() as cur:
        cur.execute("SELECT @@auto_increment_increment, @@auto_increment_offset, @@max_connections")
        assert cur.fetchone() == (5, 3, 85)  # 85 = {DBInstanceClassMemory/12582880} for a db.t3.micro
        cur.execute("SHOW DATABASES LIKE 'docexampledb'")  # DBName: created with the instance
        assert cur.fetchall() == [("docexampledb",)]
    _delete(rds, "t-pg-db")

    for name, code in (("datadir", "InvalidParameterValue"), ("no_such_variable", "LocalCloudNotSupported")):
        with pytest.raises(ClientError) as refused:
            rds.modify_db_parameter_group(
                DBParameterGroupName="t-pg",
                Parameters=[{"ParameterName": name, "ParameterValue": "1", "ApplyMethod": "pending-reboot"}],
            )
        assert refused.value.response["Error"]["Code"] == code
    defaults = rds.describe_engine_default_parameters(DBParameterGroupFamily="mysql8.4")["EngineDefaults"]
    assert any(p["ParameterName"] == "wait_timeout" and p["ParameterValue"] == "28800" for p in defaults["Parameters"])
    rds.delete_db_parameter_group(DBParameterGroupName="t-pg")


def test_semisync_parameters_by_their_mysql_84_names(aws, sg):
    rds, _ = aws
    rds.create_db_parameter_group(DBParameterGroupName="t-semi84", DBParameterGroupFamily="mysql8.4", Description="t")
    rds.modify_db_parameter_group(
        DBParameterGroupName="t-semi84",
        Parameters=[
            {"ParameterName": name, "ParameterValue": "1", "ApplyMethod": "pending-reboot"}
            for name in ("rpl_semi_sync_source_enabled", "rpl_semi_sync_replica_enabled")
        ],
    )
    _create(rds, sg, "t-semi84", DBParameterGroupName="t-semi84")
    _wait(rds, "t-semi84")
    with _connect(rds, "t-semi84") as conn, conn.cursor() as cur:
        cur.execute("SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync_%_enabled'")
        assert dict(cur.fetchall()) == {"rpl_semi_sync_master_enabled": "ON", "rpl_semi_sync_slave_enabled": "ON"}
    _delete(rds, "t-semi84")
    rds.delete_db_parameter_group(DBParameterGroupName="t-semi84")


def test_the_get_started_scenario_of_the_aws_examples(aws):
    """The calls of awsdocs' RDS "get started with DB instances" scenario, answered as on AWS."""
    rds, _ = aws
    versions = rds.describe_db_engine_versions(Engine="mysql")["DBEngineVersions"]
    families = sorted({v["DBParameterGroupFamily"] for v in versions})
    rds.create_db_parameter_group(
        DBParameterGroupName="t-docex", DBParameterGroupFamily=families[-1], Description="Example parameter group."
    )
    group = rds.describe_db_parameter_groups(DBParameterGroupName="t-docex")["DBParameterGroups"][0]
    rows = [
        p
        for page in rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName="t-docex")
        for p in page["Parameters"]
        if p["ParameterName"].startswith("auto_increment")
    ]
    update = []
    for row in rows:  # the scenario sends each row back whole, with the value the user typed
        assert row["IsModifiable"] and row["DataType"] == "integer"
        low, high = row["AllowedValues"].split("-")
        update.append(dict(row, ParameterValue=str(int(low) + 1)))
    rds.modify_db_parameter_group(DBParameterGroupName="t-docex", Parameters=update)
    user = rds.describe_db_parameters(DBParameterGroupName="t-docex", Source="user")["Parameters"]
    assert {p["ParameterName"]: p["ParameterValue"] for p in user} == {
        "auto_increment_increment": "2",
        "auto_increment_offset": "2",
    }
    choices = rds.describe_db_engine_versions(Engine="mysql", DBParameterGroupFamily=group["DBParameterGroupFamily"])
    version = choices["DBEngineVersions"][0]
    options = [
        o
        for page in rds.get_paginator("describe_orderable_db_instance_options").paginate(
            Engine=version["Engine"], EngineVersion=version["EngineVersion"]
        )
        for o in page["OrderableDBInstanceOptions"]
    ]
    micro = sorted({o["DBInstanceClass"] for o in options if "micro" in o["DBInstanceClass"]})
    assert micro == ["db.t3.micro", "db.t4g.micro"]
    db = rds.create_db_instance(
        DBName="docexampledb",
        DBInstanceIdentifier="t-docex",
        DBParameterGroupName="t-docex",
        Engine=version["Engine"],
        EngineVersion=version["EngineVersion"],
        DBInstanceClass=micro[0],
        StorageType="standard",
        AllocatedStorage=5,
        MasterUsername="docadmin",
        MasterUserPassword=PASSWORD,
    )["DBInstance"]
    assert db["EngineVersion"] == version["EngineVersion"]
    _wait(rds, "t-docex")
    _delete(rds, "t-docex")
    rds.delete_db_parameter_group(DBParameterGroupName="t-docex")
