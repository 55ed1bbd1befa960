"""helpers for the RDS labs: the rds-mydatabase prerequisite, RDS/Secrets collectors, helpers.mysql."""

import boto3
import mysql.connector
import pytest
from mysql.connector import errors

from helpers import lab, resources
from helpers import mysql as labmysql
from helpers.requirements_rds import DB_INSTANCE_ID, SG_NAME
from localcloud.engines.rds.mariadb import server_binary

needs_mariadb = pytest.mark.skipif(server_binary() is None, reason="no MariaDB server installed")


@pytest.fixture
def local():
    return lab.start("03")


def _kinds():
    return sorted((r.kind, r.name, r.lab) for r in resources.find_all())


@needs_mariadb
def test_require_mydatabase_is_idempotent_reachable_and_torn_down(local, capsys):
    lab.require("rds-mydatabase")
    lab.require("rds-mydatabase")
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("created now (lab 02 shows how it is made)")
    assert out[1].endswith("already there")

    ep = labmysql.endpoint(DB_INSTANCE_ID)
    secret = labmysql.master_secret(ep.secret_arn)
    assert secret["username"] == ep.user == "admin"
    with (
        mysql.connector.connect(
            host=ep.host, port=ep.port, user=ep.user, password=secret["password"], connection_timeout=3
        ) as conn,
        conn.cursor() as cur,
    ):
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)

    sg = boto3.client("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": [SG_NAME]}])[
        "SecurityGroups"
    ][0]
    cidrs = [r["CidrIp"] for p in sg["IpPermissions"] for r in p["IpRanges"]]
    assert cidrs == [lab.my_cidr()]  # the learner's /32 only, and once

    assert ("rds db instance", DB_INSTANCE_ID, "02") in _kinds()
    assert ("ec2 security group", SG_NAME, "02") in _kinds()
    # the managed secret belongs to RDS: not listed, deleted with the instance
    assert not any(k == "secretsmanager secret" for k, _, _ in _kinds())
    lab.teardown(lab="02")
    assert _kinds() == []


@needs_mariadb
def test_snapshots_parameter_groups_and_lab_secrets_are_found_and_deleted(local, capsys):
    rds, sm = boto3.client("rds"), boto3.client("secretsmanager")
    lab.require("rds-mydatabase")
    rds.create_db_snapshot(DBInstanceIdentifier=DB_INSTANCE_ID, DBSnapshotIdentifier="t-snap", Tags=lab.tags())
    rds.create_db_parameter_group(
        DBParameterGroupName="t-pg", DBParameterGroupFamily="mysql8.0", Description="t", Tags=lab.tags()
    )
    sm.create_secret(
        Name="t-secret", SecretString="x", Tags=[{"Key": k, "Value": v} for k, v in lab.tag_dict().items()]
    )
    sm.create_secret(Name="not-a-lab-secret", SecretString="x")
    kinds = _kinds()
    for expected in [
        ("rds db snapshot", "t-snap", "03"),
        ("rds db parameter group", "t-pg", "03"),
        ("secretsmanager secret", "t-secret", "03"),
    ]:
        assert expected in kinds
    order = [r.kind for r in resources.find_all()]
    assert order.index("rds db instance") < order.index("ec2 security group")
    lab.teardown()
    assert _kinds() == []
    assert [s["Name"] for s in sm.list_secrets()["SecretList"]] == ["not-a-lab-secret"]
    sm.delete_secret(SecretId="not-a-lab-secret", ForceDeleteWithoutRecovery=True)


def test_classify_connect_errors():
    assert (
        labmysql.classify_connect_error(
            errors.ProgrammingError(msg="Access denied for user 'admin'@'1.2.3.4'", errno=1045)
        )
        == "access denied"
    )
    assert labmysql.classify_connect_error(errors.ConnectionTimeoutError(msg="read timed out", errno=3024)) == "timeout"
    assert (
        labmysql.classify_connect_error(
            errors.InterfaceError(msg="Can't connect to MySQL server on 'x:3306' (timed out)", errno=2003)
        )
        == "timeout"
    )
    assert (
        labmysql.classify_connect_error(
            errors.InterfaceError(
                msg="Can't connect to MySQL server on 'x.invalid:3306' (Errno -2: Name or service not known)",
                errno=2003,
            )
        )
        == "unknown host"
    )
    assert (
        labmysql.classify_connect_error(
            errors.InterfaceError(
                msg="Can't connect to MySQL server on '127.0.0.1:1' (Errno 111: Connection refused)", errno=2003
            )
        )
        == "server down"
    )
    # a reset during the handshake: a host that is up with nothing listening (a database restarting)
    assert (
        labmysql.classify_connect_error(
            errors.OperationalError(
                msg="Lost connection to MySQL server at 'reading initial communication packet', system error: 104",
                errno=2013,
            )
        )
        == "server down"
    )
    assert labmysql.classify_connect_error(errors.DatabaseError(msg="Unknown database", errno=1049)) == "other"
    assert set(labmysql.ADVICE) == {"access denied", "unknown host", "timeout", "server down", "other"}
