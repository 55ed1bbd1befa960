"""The RDS engine: a real MariaDB behind each DB instance, security groups enforced, AWS-like errors.

Runs against the session's private localcloud (conftest.py), through boto3 and
mysql-connector exactly like a notebook.
"""

from __future__ import annotations

import json
import os
import shutil
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

LEARNER_CIDR = f"{config.LEARNER_IP}/32"


@pytest.fixture(scope="module")
def aws():
    session = boto3.session.Session(
        aws_access_key_id=config.FAKE_ACCESS_KEY,
        aws_secret_access_key=config.FAKE_SECRET_KEY,
        region_name=config.REGION,
    )
    return tuple(session.client(s, endpoint_url=config.endpoint()) for s in ("rds", "ec2", "secretsmanager"))


def _status() -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "localcloud", "status", "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def _wait(rds, ident, waiter="db_instance_available"):
    rds.get_waiter(waiter).wait(DBInstanceIdentifier=ident, WaiterConfig={"Delay": 0.1, "MaxAttempts": 600})


def _sg(ec2, open_to: str | None = None) -> str:
    gid = ec2.create_security_group(GroupName=f"t-{uuid.uuid4().hex[:8]}", Description="test")["GroupId"]
    if open_to:
        _allow(ec2, gid, open_to)
    return gid


def _allow(ec2, gid, cidr, port=3306):
    ec2.authorize_security_group_ingress(
        GroupId=gid,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}],
    )


def _create(rds, ident, gid, **kw):
    args = dict(
        DBInstanceIdentifier=ident,
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        VpcSecurityGroupIds=[gid],
        PubliclyAccessible=True,
    )
    if "MasterUserPassword" not in kw:
        args["ManageMasterUserPassword"] = True
    args.update(kw)
    return rds.create_db_instance(**args)["DBInstance"]


def _creds(rds, sm, ident):
    db = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
    secret = json.loads(sm.get_secret_value(SecretId=db["MasterUserSecret"]["SecretArn"])["SecretString"])
    return db["Endpoint"]["Address"], db["Endpoint"]["Port"], secret["username"], secret["password"]


def _connect(host, port, user, password, timeout=2):
    return mysql.connector.connect(host=host, port=port, user=user, password=password, connection_timeout=timeout)


def _instance_dir(ident) -> Path:
    return config.state_dir() / "engines" / "rds_mariadb" / "instances" / ident


def _mariadb_processes() -> list[dict]:
    return [p for p in _status()["processes"] if p["engine"] == "rds_mariadb"]


def test_create_reports_creating_then_available_and_connects(aws):
    rds, ec2, sm = aws
    gid = _sg(ec2, LEARNER_CIDR)
    db = _create(rds, "t-basic", gid)
    assert db["DBInstanceStatus"] == "creating"
    assert "Endpoint" not in db  # as on AWS: no endpoint before the instance exists
    _wait(rds, "t-basic")
    host, port, user, password = _creds(rds, sm, "t-basic")
    assert (host, user) == ("127.0.0.1", "admin") and port != 3306
    assert len(password) >= 20 and not set('/@" ') & set(password)
    with _connect(host, port, user, password) as conn, conn.cursor() as cur:
        cur.execute("SELECT CURRENT_USER(), 6 * 7")
        assert cur.fetchone() == ("admin@%", 42)
        cur.execute("CREATE DATABASE d1")
        cur.execute("CREATE TABLE d1.t (x INT NOT NULL)")
        with pytest.raises(mysql.connector.Error) as bad:
            cur.execute("INSERT INTO d1.t VALUES ('lots')")  # strict mode by default
        assert bad.value.errno == 1366


def test_wrong_password_is_access_denied(aws):
    rds, ec2, sm = aws
    gid = _sg(ec2, LEARNER_CIDR)
    _create(rds, "t-pw", gid, MasterUserPassword="Corr3ct-horse")
    _wait(rds, "t-pw")
    db = rds.describe_db_instances(DBInstanceIdentifier="t-pw")["DBInstances"][0]
    host, port = db["Endpoint"]["Address"], db["Endpoint"]["Port"]
    _connect(host, port, "admin", "Corr3ct-horse").close()
    with pytest.raises(mysql.connector.Error) as denied:
        _connect(host, port, "admin", "wrong-password")
    assert denied.value.errno == 1045


def test_security_group_denies_then_allows_immediately(aws):
    rds, ec2, sm = aws
    gid = _sg(ec2)
    _allow(ec2, gid, "198.51.100.0/24")  # someone else's network: still closed for the learner
    _create(rds, "t-sg", gid)
    _wait(rds, "t-sg")
    host, port, user, password = _creds(rds, sm, "t-sg")
    t0 = time.monotonic()
    with pytest.raises(mysql.connector.Error):
        _connect(host, port, user, password, timeout=1)
    assert time.monotonic() - t0 >= 0.9, "a dropped connection times out, it is not refused"
    _allow(ec2, gid, LEARNER_CIDR)
    _connect(host, port, user, password).close()
    ec2.revoke_security_group_ingress(
        GroupId=gid,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": LEARNER_CIDR}]}],
    )
    with pytest.raises(mysql.connector.Error):
        _connect(host, port, user, password, timeout=1)


def test_rule_for_another_port_or_the_whole_internet(aws):
    rds, ec2, sm = aws
    gid = _sg(ec2)
    _allow(ec2, gid, LEARNER_CIDR, port=5432)
    _create(rds, "t-ports", gid)
    _wait(rds, "t-ports")
    host, port, user, password = _creds(rds, sm, "t-ports")
    with pytest.raises(mysql.connector.Error):
        _connect(host, port, user, password, timeout=1)
    _allow(ec2, gid, "0.0.0.0/0")
    _connect(host, port, user, password).close()


def test_not_publicly_accessible_blocks_outside_connections(aws):
    rds, ec2, sm = aws
    gid = _sg(ec2, LEARNER_CIDR)
    _create(rds, "t-private", gid, PubliclyAccessible=False)
    _wait(rds, "t-private")
    host, port, user, password = _creds(rds, sm, "t-private")
    with pytest.raises(mysql.connector.Error):
        _connect(host, port, user, password, timeout=1)
    rds.modify_db_instance(DBInstanceIdentifier="t-private", PubliclyAccessible=True, ApplyImmediately=True)
    _connect(host, port, user, password).close()


@pytest.mark.parametrize(
    "password, message",
    [
        ("short7!", "shorter than 8 characters"),
        ("has/slash-1", "Only printable ASCII characters besides '/', '@', '\"', ' ' may be used."),
        ("has@at-sign", "Only printable ASCII"),
        ('has"quote1', "Only printable ASCII"),
        ("has space 1", "Only printable ASCII"),
    ],
)
def test_invalid_master_password(aws, password, message):
    rds, ec2, _ = aws
    with pytest.raises(ClientError) as err:
        _create(rds, "t-badpw", _sg(ec2), MasterUserPassword=password)
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert message in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError):
        rds.describe_db_instances(DBInstanceIdentifier="t-badpw")


def test_unknown_security_group_and_duplicate_identifier(aws):
    rds, ec2, _ = aws
    with pytest.raises(ClientError) as err:
        _create(rds, "t-nosg", "sg-0123456789abcdef0")
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert (
        err.value.response["Error"]["Message"] == "Invalid security group , groupId= sg-0123456789abcdef0, groupName=."
    )
    gid = _sg(ec2)
    _create(rds, "t-dup", gid)
    with pytest.raises(ClientError) as dup:
        _create(rds, "t-dup", gid)
    assert dup.value.response["Error"]["Code"] == "DBInstanceAlreadyExists"
    _wait(rds, "t-dup")


def test_password_and_managed_password_together(aws):
    rds, ec2, _ = aws
    with pytest.raises(ClientError) as err:
        _create(rds, "t-both", _sg(ec2), MasterUserPassword="Corr3ct-horse", ManageMasterUserPassword=True)
    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"


def test_delete_needs_a_final_snapshot_choice_and_removes_everything(aws):
    rds, ec2, sm = aws
    gid = _sg(ec2, LEARNER_CIDR)
    _create(rds, "t-del", gid)
    _wait(rds, "t-del")
    secret_arn = rds.describe_db_instances(DBInstanceIdentifier="t-del")["DBInstances"][0]["MasterUserSecret"][
        "SecretArn"
    ]
    with pytest.raises(ClientError) as err:
        rds.delete_db_instance(DBInstanceIdentifier="t-del")
    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot" in err.value.response["Error"]["Message"]
    before = {p["pid"] for p in _mariadb_processes() if p["name"] == "mariadbd t-del"}
    assert before and _instance_dir("t-del").is_dir()
    rds.delete_db_instance(DBInstanceIdentifier="t-del", SkipFinalSnapshot=True)
    _wait(rds, "t-del", "db_instance_deleted")
    assert not any(p["name"] == "mariadbd t-del" for p in _mariadb_processes())
    assert not any(Path(f"/proc/{pid}").exists() for pid in before)
    assert not _instance_dir("t-del").exists()
    with pytest.raises(ClientError):
        sm.get_secret_value(SecretId=secret_arn)  # the managed secret goes with the instance


def test_final_snapshot_is_kept_as_a_dump(aws):
    rds, ec2, sm = aws
    gid = _sg(ec2, LEARNER_CIDR)
    _create(rds, "t-final", gid)
    _wait(rds, "t-final")
    host, port, user, password = _creds(rds, sm, "t-final")
    with _connect(host, port, user, password) as conn, conn.cursor() as cur:
        cur.execute("CREATE DATABASE keepme")
        cur.execute("CREATE TABLE keepme.t (note VARCHAR(20))")
        cur.execute("INSERT INTO keepme.t VALUES ('still here')")
        conn.commit()
    rds.delete_db_instance(DBInstanceIdentifier="t-final", FinalDBSnapshotIdentifier="t-final-snap")
    snaps = rds.describe_db_snapshots(DBSnapshotIdentifier="t-final-snap")["DBSnapshots"]
    assert snaps[0]["DBInstanceIdentifier"] == "t-final"
    dump = config.state_dir() / "engines" / "rds_mariadb" / "snapshots" / "t-final-snap" / "dump.sql"
    assert "still here" in dump.read_text()
    rds.delete_db_snapshot(DBSnapshotIdentifier="t-final-snap")
    assert not dump.exists()


def test_stop_start_reboot(aws):
    rds, ec2, sm = aws
    gid = _sg(ec2, LEARNER_CIDR)
    _create(rds, "t-life", gid)
    _wait(rds, "t-life")
    host, port, user, password = _creds(rds, sm, "t-life")
    rds.stop_db_instance(DBInstanceIdentifier="t-life")
    for _ in range(300):  # boto3 has no "stopped" waiter for RDS
        if rds.describe_db_instances(DBInstanceIdentifier="t-life")["DBInstances"][0]["DBInstanceStatus"] == "stopped":
            break
        time.sleep(0.1)
    assert not any(p["name"] == "mariadbd t-life" for p in _mariadb_processes())
    with pytest.raises(mysql.connector.Error):
        _connect(host, port, user, password, timeout=1)
    rds.start_db_instance(DBInstanceIdentifier="t-life")
    _wait(rds, "t-life")
    _connect(host, port, user, password).close()
    rds.reboot_db_instance(DBInstanceIdentifier="t-life")
    _wait(rds, "t-life")
    _connect(host, port, user, password).close()


def test_parameter_group_applies_after_reboot(aws):
    rds, ec2, sm = aws
    gid = _sg(ec2, LEARNER_CIDR)
    _create(rds, "t-params", gid)
    _wait(rds, "t-params")
    rds.create_db_parameter_group(DBParameterGroupName="t-params", DBParameterGroupFamily="mysql8.0", Description="t")
    rds.modify_db_parameter_group(
        DBParameterGroupName="t-params",
        Parameters=[{"ParameterName": "max_connections", "ParameterValue": "42", "ApplyMethod": "pending-reboot"}],
    )
    rds.modify_db_instance(DBInstanceIdentifier="t-params", DBParameterGroupName="t-params", ApplyImmediately=True)
    rds.reboot_db_instance(DBInstanceIdentifier="t-params")
    _wait(rds, "t-params")
    host, port, user, password = _creds(rds, sm, "t-params")
    with _connect(host, port, user, password) as conn, conn.cursor() as cur:
        cur.execute("SELECT @@max_connections")
        assert cur.fetchone()[0] == 42


def test_cli_command_as_printed_works_with_an_option_file(aws, tmp_path):
    client = shutil.which("mariadb") or shutil.which("mysql")
    if client is None:
        pytest.skip("no mysql client")
    rds, ec2, sm = aws
    gid = _sg(ec2, LEARNER_CIDR)
    _create(rds, "t-cli", gid)
    _wait(rds, "t-cli")
    host, port, user, password = _creds(rds, sm, "t-cli")
    env = dict(os.environ, MYSQL_PWD=password)  # the prompt's answer, without a terminal
    out = subprocess.run(
        [client, "-h", host, "-P", str(port), "-u", user, "-e", "SELECT 'cli ok'"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert "cli ok" in out.stdout, out.stderr


def test_reset_leaves_no_server_and_no_data(aws):
    rds, ec2, _ = aws
    _create(rds, "t-reset", _sg(ec2))
    _wait(rds, "t-reset")
    pids = [p["pid"] for p in _mariadb_processes()]
    assert pids
    out = subprocess.run([sys.executable, "-m", "localcloud", "reset"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert _mariadb_processes() == []
    assert not any(
        Path(f"/proc/{pid}").exists() and Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
        for pid in pids
    )
    assert not (config.state_dir() / "engines" / "rds_mariadb" / "instances").exists() or not any(
        (config.state_dir() / "engines" / "rds_mariadb" / "instances").iterdir()
    )
    assert _status()["engines"]["rds_mariadb"]["instances"] == {}
