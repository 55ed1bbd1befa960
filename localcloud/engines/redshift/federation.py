"""Federated query to RDS for MySQL: the connection a warehouse opens, checked the way AWS checks it.

On AWS the warehouse reaches the database from inside the VPC, so what must let it in is the RDS
instance's security groups admitting *the warehouse* (not the learner): a rule whose source is one
of the workgroup's/cluster's security groups, or a CIDR block holding the warehouse's private
address.  Here, for ``CREATE EXTERNAL SCHEMA ... FROM MYSQL URI '<host>' PORT <port> SECRET_ARN ...``:

1. the secret is read from Secrets Manager (``{"username", "password"}``, as RDS stores it);
2. the RDS instance at ``<host>:<port>`` is found the way a client finds it (``DescribeDBInstances``
   endpoints, which the RDS engine points at its gates);
3. that instance's security groups must admit the warehouse on the instance's port, through the one
   policy (:func:`localcloud.security_groups.allows`).  The warehouse's private address is simulated
   as the fifth address of the default VPC's CIDR block (``172.31.0.4``: AWS keeps the first four of
   a subnet); a rule naming one of the warehouse's groups admits that address.  Denied: the
   connection fails at once with a timeout message (AWS would wait for the timeout);
4. the connection is made to ``<host>:<port>``: the RDS engine's gate, whose own check is the
   learner's (so locally the learner's /32 rule must be there too: the labs have it anyway).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import threading
from typing import TYPE_CHECKING

import boto3

from ... import config, seam, security_groups

if TYPE_CHECKING:
    from mypy_boto3_rds import RDSClient
    from mypy_boto3_rds.type_defs import DBInstanceTypeDef

    from .engine import RedshiftEngine
    from .io import DbApiConnection

CONNECT_TIMEOUT_S = 10
_clients: dict[int, RDSClient] = {}
_lock = threading.Lock()


def warehouse_address(region: str) -> str:
    cidr = seam.ec2_default_vpc_cidr(region) or "172.31.0.0/16"
    return str(ipaddress.ip_network(cidr, strict=False)[4])


def _rds(engine: RedshiftEngine) -> RDSClient:
    """A boto3 RDS client for this daemon's own endpoint (the endpoints the RDS engine shows)."""
    with _lock:
        client = _clients.get(engine.ctx.port)
        if client is None:
            client = _clients[engine.ctx.port] = boto3.client(
                "rds",
                endpoint_url=config.endpoint(engine.ctx.port),
                region_name=engine.ctx.region,
                aws_access_key_id=config.FAKE_ACCESS_KEY,
                aws_secret_access_key=config.FAKE_SECRET_KEY,
            )
        return client


def find_instance(engine: RedshiftEngine, host: str, port: int) -> DBInstanceTypeDef | None:
    pages = _rds(engine).get_paginator("describe_db_instances").paginate()
    for page in pages:
        for db in page["DBInstances"]:
            ep = db.get("Endpoint") or {}
            if ep.get("Address") == host and int(ep.get("Port") or 0) == port:
                return db
    return None


def admits_warehouse(db_groups: list[str], warehouse_groups: list[str], port: int, region: str) -> bool:
    """Do these (RDS) security groups let the warehouse in on ``port``?"""
    source = warehouse_address(region)
    rules = seam.ec2_ingress_rules(db_groups, region)
    # a rule naming one of the warehouse's groups admits the warehouse's own address
    rules += [
        dataclasses.replace(rule, cidr=f"{source}/32")
        for rule, ref in seam.ec2_ingress_group_refs(db_groups, region)
        if ref in warehouse_groups
    ]
    return security_groups.allows(rules, source, "tcp", port)


def connect(engine: RedshiftEngine, options: dict) -> DbApiConnection:
    """A DB-API connection to the MySQL database the external schema names (the runtime's hook)."""
    import mysql.connector
    from mysql.connector.abstracts import MySQLConnectionAbstract

    region = engine.ctx.region
    host, port = str(options.get("uri") or ""), int(options.get("port") or 3306)
    try:
        secret = json.loads(seam.secret_value(str(options.get("secret_arn") or ""), region))
    except seam.NotFound:
        raise ConnectionError(f"Secrets Manager can't find the secret {options.get('secret_arn')}") from None
    except ValueError:
        raise ConnectionError("the secret does not hold JSON with a username and a password") from None
    db = find_instance(engine, host, port)
    if db is None:
        raise ConnectionError(f"could not connect to {host}:{port}: no RDS instance has this endpoint")
    ident = db["DBInstanceIdentifier"]
    moto_db = seam.find_db_instance(ident, region)
    if moto_db is None:  # deleted since find_instance saw it
        raise ConnectionError(f"could not connect to {host}:{port}: no RDS instance has this endpoint")
    db_port = moto_db.port or 3306  # the instance's own port (MySQL's default), which its rules name
    db_groups = [g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups") or []]
    wh_groups = engine.warehouse_groups(str(options.get("warehouse") or ""))
    if not admits_warehouse(db_groups, wh_groups, int(db_port), region):
        raise ConnectionError(
            f"connection to {host}:{port} timed out: the security groups of RDS instance {ident} "
            f"({', '.join(db_groups) or 'none'}) do not allow tcp/{db_port} from the warehouse "
            f"(its security groups {', '.join(wh_groups) or 'none'}, address {warehouse_address(region)})"
        )
    conn = mysql.connector.connect(
        host=host,
        port=port,
        user=secret.get("username"),
        password=secret.get("password"),
        database=options.get("database"),
        connection_timeout=CONNECT_TIMEOUT_S,
    )
    if not isinstance(conn, MySQLConnectionAbstract):  # a pooled connection comes only with pool_* arguments
        conn.close()
        raise ConnectionError("mysql.connector answered a pooled connection")
    return conn
