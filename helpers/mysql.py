"""Small MySQL helpers for the RDS labs (introduced in 02, used in 03 and 06).

The learner's ``mysql.connector.connect(...)`` calls stay in the notebooks; these only
read what they need (endpoint, managed master secret) and explain connection errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import boto3

# What a failed connect means, and what to do about it (lab 03, step 1).
ADVICE = {
    "access denied": "wrong user name or password: read them again from Secrets Manager (the managed "
                     "secret changes when RDS rotates it); never retry in a loop.",
    "unknown host": "the host name does not resolve: copy Endpoint.Address from describe_db_instances "
                    "(not the instance identifier); on AWS a brand-new endpoint can take a minute to resolve.",
    "timeout": "nothing answered: the security group does not allow tcp 3306 from your address (or the "
               "instance is not publicly accessible, or your IP changed). Check the inbound rules.",
    "refused": "the address answered but nothing listens on that port: wrong port, or the instance "
               "is stopped or rebooting.",
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
    return Endpoint(db["Endpoint"]["Address"], db["Endpoint"]["Port"], db["MasterUsername"],
                    (db.get("MasterUserSecret") or {}).get("SecretArn"))


def master_secret(secret_arn: str) -> dict:
    """The ``{"username", "password"}`` document RDS keeps in Secrets Manager. Never print it."""
    return json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])


def classify_connect_error(exc: Exception) -> str:
    """One of ADVICE's keys for an exception raised by ``mysql.connector.connect``."""
    from mysql.connector import errorcode, errors

    text = str(exc).lower()
    if getattr(exc, "errno", None) in (errorcode.ER_ACCESS_DENIED_ERROR, errorcode.ER_DBACCESS_DENIED_ERROR):
        return "access denied"
    if isinstance(exc, errors.ConnectionTimeoutError) or "timed out" in text:
        return "timeout"
    if any(s in text for s in ("name or service not known", "nodename nor servname", "getaddrinfo failed",
                               "temporary failure in name resolution", "no address associated")):
        return "unknown host"
    if "refused" in text:
        return "refused"
    return "other"
