"""Small MySQL helpers for the RDS labs (introduced in 02, used in 03 and 09).

The learner's ``mysql.connector.connect(...)`` calls stay in the notebooks; these only
read what they need (endpoint, managed master secret) and explain connection errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

# What a failed connect means, and what to do about it (lab 03, step 1).
ADVICE = {
    "access denied": "wrong user name or password: read them again from Secrets Manager (the managed "
    "secret changes when RDS rotates it); never retry in a loop.",
    "unknown host": "the host name does not resolve: copy Endpoint.Address from describe_db_instances "
    "(not the instance identifier); on AWS a brand-new endpoint can take a minute to resolve.",
    "timeout": "nothing answered: the security group does not allow tcp 3306 from your address (or the "
    "instance is not publicly accessible, or your IP changed). Check the inbound rules.",
    "server down": "the database is not accepting connections: the instance is rebooting, stopped, starting or "
    "failed, or RDS is restarting its engine after a crash (describe_db_instances shows the status, "
    "describe_events says why). Wait for `available`, then connect again; a wrong port looks the same.",
    "other": "read the MySQL error number and message; `SHOW ENGINE INNODB STATUS` and the RDS logs help.",
}


@dataclass
class Endpoint:
    host: str
    port: int
    user: str
    secret_arn: str | None


def endpoint(db_instance_identifier: str) -> Endpoint:
    """Host, port, master user and managed-secret ARN of a DB instance (from describe_db_instances)."""
    db = boto3.client("rds").describe_db_instances(DBInstanceIdentifier=db_instance_identifier)["DBInstances"][0]
    return Endpoint(
        db["Endpoint"]["Address"],
        db["Endpoint"]["Port"],
        db["MasterUsername"],
        (db.get("MasterUserSecret") or {}).get("SecretArn"),
    )


def master_secret(secret_arn: str) -> dict:
    """The ``{"username", "password"}`` document RDS keeps in Secrets Manager. Never print it."""
    return json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])


def instance_status(db_instance_identifier: str, rds: Any = None) -> str | None:
    """The instance's DBInstanceStatus now (None when RDS does not know it)."""
    from botocore.exceptions import ClientError

    client = rds or boto3.client("rds")
    try:
        db = client.describe_db_instances(DBInstanceIdentifier=db_instance_identifier)["DBInstances"][0]
    except ClientError:
        return None
    return str(db["DBInstanceStatus"])


def classify_connect_error(exc: Exception, db_instance_identifier: str | None = None, rds: Any = None) -> str:
    """One of ADVICE's keys for an exception raised by ``mysql.connector.connect``.

    A security group drops packets: the client waits, then times out.  A database that is down
    (rebooting, stopped, crashed) is a host with nothing listening: the connection is refused or
    reset at once.  Given the instance's identifier, RDS is asked as well: a timeout while the
    instance is not ``available`` is the server, not the firewall.
    """
    from mysql.connector import errorcode, errors

    text = str(exc).lower()
    if getattr(exc, "errno", None) in (errorcode.ER_ACCESS_DENIED_ERROR, errorcode.ER_DBACCESS_DENIED_ERROR):
        return "access denied"
    if any(
        s in text
        for s in (
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo failed",
            "temporary failure in name resolution",
            "no address associated",
        )
    ):
        return "unknown host"
    if db_instance_identifier is not None:
        status = instance_status(db_instance_identifier, rds)
        if status is not None and status != "available":
            return "server down"
    if isinstance(exc, errors.ConnectionTimeoutError) or "timed out" in text:
        return "timeout"
    down = ("refused", "connection reset", "lost connection", "errno 104", "errno 111", "broken pipe")
    if any(s in text for s in down) or getattr(exc, "errno", None) in (
        errorcode.CR_SERVER_LOST,
        errorcode.CR_SERVER_LOST_EXTENDED,
    ):
        return "server down"
    return "other"
