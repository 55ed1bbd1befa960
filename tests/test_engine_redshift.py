"""The Redshift engine wired into localcloud: Serverless, provisioned clusters, the Data API.

Everything goes through what a learner uses — boto3, redshift_connector, psycopg, mysql-connector —
against the session's private localcloud (conftest.py): one Serverless namespace + workgroup shared
by the module, plus a provisioned cluster, an RDS instance (federated query) and a private
localcloud (process lifecycle) of their own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import mysql.connector
import psycopg
import pytest
import redshift_connector
from botocore.exceptions import ClientError

from localcloud import config
from localcloud.engines.rds.mariadb import server_binary
from localcloud.engines.redshift.pgserver import PostgresMissing, bindir

try:
    bindir()
    HAVE_PG = True
except PostgresMissing:
    HAVE_PG = False
pytestmark = pytest.mark.skipif(not HAVE_PG, reason="no PostgreSQL server installed (make postgresql)")

LEARNER_CIDR = f"{config.LEARNER_IP}/32"
ROLE = f"arn:aws:iam::{config.ACCOUNT_ID}:role/lab-redshift"
OTHER_ROLE = f"arn:aws:iam::{config.ACCOUNT_ID}:role/not-attached"
NS, WG = "lab-ns", "lab-wg"
BUCKET = f"rs-engine-{uuid.uuid4().hex[:8]}"
TAGS = [{"key": "Project", "value": "aws-de-labs"}, {"key": "Lab", "value": "88"}]


@pytest.fixture(scope="module")
def aws():
    # The tests below assert on the whole inventory (list_namespaces() == [NS], nothing left after
    # the teardown): start from an empty localcloud.  The session's is shared with the files that
    # ran before in this process (under pytest-xdist, any of them: test_aws_cli_lines leaves lab
    # 08's namespace lab08-sales).
    reset = subprocess.run([sys.executable, "-m", "localcloud", "reset"], capture_output=True, text=True, timeout=120)
    assert reset.returncode == 0, reset.stderr
    session = boto3.session.Session(
        aws_access_key_id=config.FAKE_ACCESS_KEY,
        aws_secret_access_key=config.FAKE_SECRET_KEY,
        region_name=config.REGION,
    )
    services = ("redshift-serverless", "redshift", "redshift-data", "ec2", "secretsmanager", "s3", "athena", "rds")
    clients = {s: session.client(s, endpoint_url=config.endpoint()) for s in services}
    clients["s3"].create_bucket(Bucket=BUCKET)
    return clients


def _sg(ec2, port: int, cidr: str | None = LEARNER_CIDR) -> str:
    gid = ec2.create_security_group(GroupName=f"rs-{uuid.uuid4().hex[:8]}", Description="test")["GroupId"]
    if cidr:
        _allow(ec2, gid, port, cidr)
    return gid


def _allow(ec2, gid: str, port: int, cidr: str) -> None:
    ec2.authorize_security_group_ingress(
        GroupId=gid,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}],
    )


def _wait_workgroup(rs, name: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        wg = rs.get_workgroup(workgroupName=name)["workgroup"]
        if wg["status"] == "AVAILABLE":
            return wg
        time.sleep(0.1)
    raise AssertionError(f"workgroup {name} not AVAILABLE after {timeout} s: {wg}")


def _status() -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "localcloud", "status", "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def serverless(aws):
    """One namespace (managed admin secret, an IAM role) and its workgroup, open to the learner's /32."""
    rs, ec2, sm = aws["redshift-serverless"], aws["ec2"], aws["secretsmanager"]
    ns = rs.create_namespace(
        namespaceName=NS,
        adminUsername="awsuser",
        manageAdminPassword=True,
        dbName="dev",
        iamRoles=[ROLE],
        defaultIamRoleArn=ROLE,
        tags=TAGS,
    )["namespace"]
    sg = _sg(ec2, 5439)
    created = rs.create_workgroup(
        workgroupName=WG, namespaceName=NS, baseCapacity=8, securityGroupIds=[sg], publiclyAccessible=True, tags=TAGS
    )["workgroup"]
    wg = _wait_workgroup(rs, WG)
    secret = json.loads(sm.get_secret_value(SecretId=ns["adminPasswordSecretArn"])["SecretString"])
    return {"ns": ns, "created": created, "wg": wg, "sg": sg, "secret": secret}


def connect_rc(wg: dict, secret: dict, **kw):
    ep = wg["endpoint"]
    return redshift_connector.connect(
        host=ep["address"],
        port=ep["port"],
        database="dev",
        user=secret["username"],
        password=secret["password"],
        ssl=False,  # localcloud's endpoint declines TLS; on AWS leave the default (ssl=True)
        **kw,
    )


def connect_pg(wg: dict, secret: dict):
    ep = wg["endpoint"]
    return psycopg.connect(
        host=ep["address"],
        port=ep["port"],
        dbname="dev",
        user=secret["username"],
        password=secret["password"],
        autocommit=True,
        connect_timeout=10,
    )


def q(conn, sql, params=None):
    cur = conn.execute(sql, params)
    return cur.fetchall() if cur.description else None


def data_api(rd, sql: str, **target) -> tuple[dict, dict | None]:
    """Run one statement through the Data API as a notebook would: execute, poll, fetch."""
    target = target or {"WorkgroupName": WG, "Database": "dev"}
    sid = rd.execute_statement(Sql=sql, **target)["Id"]
    deadline = time.monotonic() + 60
    while (desc := rd.describe_statement(Id=sid))["Status"] not in ("FINISHED", "FAILED", "ABORTED"):
        assert time.monotonic() < deadline, desc
        time.sleep(0.02)
    result = rd.get_statement_result(Id=sid) if desc["Status"] == "FINISHED" and desc["HasResultSet"] else None
    return desc, result


def code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


# -- Serverless control plane ------------------------------------------------------------------------


def test_namespace_and_workgroup_with_managed_admin_secret(aws, serverless):
    rs, sm = aws["redshift-serverless"], aws["secretsmanager"]
    ns, wg = serverless["ns"], serverless["wg"]
    assert ns["status"] == "AVAILABLE" and ns["iamRoles"] == [ROLE] and ns["defaultIamRoleArn"] == ROLE
    assert ns["adminPasswordSecretArn"].startswith(f"arn:aws:secretsmanager:{config.REGION}:{config.ACCOUNT_ID}:")
    meta = sm.describe_secret(SecretId=ns["adminPasswordSecretArn"])
    assert meta["OwningService"] == "redshift"  # a service-managed secret: it goes with its namespace
    assert serverless["secret"]["username"] == "awsuser" and len(serverless["secret"]["password"]) >= 8
    assert serverless["created"]["status"] == "CREATING" and "endpoint" not in serverless["created"]
    assert wg["status"] == "AVAILABLE" and wg["endpoint"]["address"] == "127.0.0.1" and wg["port"] == 5439
    assert wg["securityGroupIds"] == [serverless["sg"]] and wg["publiclyAccessible"] is True
    assert [n["namespaceName"] for n in rs.list_namespaces()["namespaces"]] == [NS]
    assert WG in [w["workgroupName"] for w in rs.list_workgroups()["workgroups"]]
    assert rs.get_namespace(namespaceName=NS)["namespace"]["namespaceId"] == ns["namespaceId"]
    tags = rs.list_tags_for_resource(resourceArn=wg["workgroupArn"])["tags"]
    assert {t["key"]: t["value"] for t in tags} == {"Project": "aws-de-labs", "Lab": "88"}
    rs.tag_resource(resourceArn=ns["namespaceArn"], tags=[{"key": "Owner", "value": "me"}])
    rs.untag_resource(resourceArn=ns["namespaceArn"], tagKeys=["Owner"])
    assert len(rs.list_tags_for_resource(resourceArn=ns["namespaceArn"])["tags"]) == 2


def test_serverless_errors_are_aws_shaped(aws, serverless):
    rs = aws["redshift-serverless"]
    cases = [
        (lambda: rs.create_namespace(namespaceName=NS, adminUsername="a1", adminUserPassword="Passw0rd1"), "Conflict"),
        (lambda: rs.delete_namespace(namespaceName=NS), "ConflictException"),  # its workgroup still exists
        (lambda: rs.get_workgroup(workgroupName="nope"), "ResourceNotFoundException"),
        (lambda: rs.create_workgroup(workgroupName="wg-2", namespaceName=NS, baseCapacity=12), "ValidationException"),
        (lambda: rs.create_workgroup(workgroupName="wg-3", namespaceName=NS, securityGroupIds=["sg-0"]), "Validation"),
        (
            lambda: rs.create_namespace(
                namespaceName="x-ns", adminUsername="a1", adminUserPassword="Passw0rd1", manageAdminPassword=True
            ),
            "ValidationException",
        ),
        (lambda: rs.get_credentials(workgroupName=WG), "LocalCloudNotSupported"),  # not simulated: said plainly
    ]
    for call, want in cases:
        with pytest.raises(ClientError) as err:
            call()
        assert code(err).startswith(want), (want, err.value)
    assert "NOT_SUPPORTED" in str(err.value)


# -- the wire endpoint: security groups and public access ------------------------------------------------


def test_security_group_and_public_access_decide_who_connects(aws, serverless):
    rs, ec2 = aws["redshift-serverless"], aws["ec2"]
    wg = rs.get_workgroup(workgroupName=WG)["workgroup"]  # host and port as a learner reads them
    conn = connect_rc(wg, serverless["secret"], timeout=10)
    try:
        cur = conn.cursor()
        cur.execute("select current_user, current_database()")
        assert [list(r) for r in cur.fetchall()] == [["awsuser", "dev"]]
    finally:
        conn.close()
    sg = serverless["sg"]
    perm = {"IpProtocol": "tcp", "FromPort": 5439, "ToPort": 5439, "IpRanges": [{"CidrIp": LEARNER_CIDR}]}
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[perm])
    try:
        t0 = time.monotonic()
        # The handshake completes locally and the startup reply never comes, so redshift_connector's
        # read times out (TimeoutError); on AWS the SYN itself is dropped (OperationalError "connection
        # time out"). Either way: silence, then the client's own timeout.
        with pytest.raises((TimeoutError, redshift_connector.OperationalError), match="(?i)timed out|time out"):
            connect_rc(wg, serverless["secret"], timeout=2)
        assert time.monotonic() - t0 >= 1.5  # silence until the client gives up, as a dropped SYN
    finally:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm])
    rs.update_workgroup(workgroupName=WG, publiclyAccessible=False)
    try:
        with pytest.raises(psycopg.OperationalError, match="(?i)timeout"):
            ep = wg["endpoint"]
            psycopg.connect(host=ep["address"], port=ep["port"], dbname="dev", user="awsuser", connect_timeout=2)
    finally:
        rs.update_workgroup(workgroupName=WG, publiclyAccessible=True)
    with connect_pg(wg, serverless["secret"]) as c:  # open again: the next connection gets in
        assert q(c, "select 1") == [(1,)]
    engine = _status()["engines"]["redshift"]
    assert engine[f"ns:{NS}"]["workgroup"] == WG and engine[f"ns:{NS}"]["dropped"] >= 2


# -- the Data API ----------------------------------------------------------------------------------------


def test_data_api_statement_lifecycle(aws, serverless):
    rd = aws["redshift-data"]
    secret_arn = serverless["ns"]["adminPasswordSecretArn"]
    target = {"WorkgroupName": WG, "Database": "dev", "SecretArn": secret_arn}
    desc, _ = data_api(rd, "create table api_t (id int, name varchar(10), price decimal(6,2))", **target)
    assert desc["Status"] == "FINISHED" and desc["HasResultSet"] is False
    sid = rd.batch_execute_statement(
        Sqls=["insert into api_t values (1, 'a', 1.50)", "insert into api_t values (2, null, 2.25)"], **target
    )["Id"]
    while (batch := rd.describe_statement(Id=sid))["Status"] not in ("FINISHED", "FAILED"):
        time.sleep(0.02)
    assert batch["Status"] == "FINISHED" and [s["Status"] for s in batch["SubStatements"]] == ["FINISHED"] * 2
    sid = rd.execute_statement(
        Sql="select id, name, price from api_t where id >= :low order by id",
        Parameters=[{"name": "low", "value": "1"}],
        StatementName="lab-query",
        **target,
    )["Id"]
    while (desc := rd.describe_statement(Id=sid))["Status"] not in ("FINISHED", "FAILED"):
        time.sleep(0.02)
    result = rd.get_statement_result(Id=sid)
    assert desc["ResultRows"] == 2 and result["TotalNumRows"] == 2
    assert result["Records"] == [
        [{"longValue": 1}, {"stringValue": "a"}, {"stringValue": "1.50"}],
        [{"longValue": 2}, {"isNull": True}, {"stringValue": "2.25"}],
    ]
    assert [(m["name"], m["typeName"]) for m in result["ColumnMetadata"]] == [
        ("id", "int4"),
        ("name", "varchar"),
        ("price", "numeric"),
    ]
    listed = rd.list_statements(StatementName="lab-query")["Statements"]
    assert [s["Id"] for s in listed] == [sid]
    # no secret: the caller's IAM identity, as on Serverless
    desc, result = data_api(rd, "select current_user like 'IAM:%'")
    assert result["Records"] == [[{"booleanValue": True}]]
    desc, _ = data_api(rd, "create table made_by_iam_user (a int)")  # every user may CREATE in public
    assert desc["Status"] == "FINISHED", desc.get("Error")
    # failures and refusals
    desc, _ = data_api(rd, "select * from no_such_table", **target)
    assert desc["Status"] == "FAILED" and 'relation "no_such_table" does not exist' in desc["Error"]
    sid = rd.execute_statement(Sql="select pg_sleep(30)", **target)["Id"]
    while rd.describe_statement(Id=sid)["Status"] == "SUBMITTED":
        time.sleep(0.02)
    assert rd.cancel_statement(Id=sid)["Status"] is True
    while (desc := rd.describe_statement(Id=sid))["Status"] not in ("ABORTED", "FAILED", "FINISHED"):
        time.sleep(0.02)
    assert desc["Status"] == "ABORTED"
    for call, want in [
        (lambda: rd.describe_statement(Id=str(uuid.uuid4())), "ResourceNotFoundException"),
        (lambda: rd.execute_statement(Sql="select 1", WorkgroupName="nope", Database="dev"), "ResourceNotFound"),
        (lambda: rd.execute_statement(Sql="select 1; select 2", **target), "ValidationException"),
        (lambda: rd.list_databases(WorkgroupName=WG, Database="dev"), "LocalCloudNotSupported"),
    ]:
        with pytest.raises(ClientError) as err:
            call()
        assert code(err).startswith(want), (want, err.value)


# -- COPY, table design, Spectrum, UNLOAD ---------------------------------------------------------------


def test_copy_from_s3_with_the_namespaces_iam_role(aws, serverless):
    s3, rd = aws["s3"], aws["redshift-data"]
    rows = "".join(f"{i},c{i % 7},2024-0{i % 9 + 1}-1{i % 9},{i * 1.5:.2f}\n" for i in range(1, 201))
    s3.put_object(Bucket=BUCKET, Key="copy/sales/part-0000.csv", Body=("id,cust,day,amount\n" + rows).encode())
    with connect_pg(serverless["wg"], serverless["secret"]) as c:
        q(c, "create table sales (id int, cust varchar(5), day date, amount decimal(8,2))")
        q(c, f"copy sales from 's3://{BUCKET}/copy/sales/' iam_role '{ROLE}' csv ignoreheader 1")
        q(c, f"copy sales from 's3://{BUCKET}/copy/sales/part' iam_role default csv ignoreheader 1")
        assert q(c, "select count(*), sum(amount) from sales") == [(400, 2 * sum(i * 1.5 for i in range(1, 201)))]
        assert q(c, "select pg_last_copy_count()") == [(200,)]
        with pytest.raises(psycopg.Error, match="not authorized to assume IAM Role"):
            q(c, f"copy sales from 's3://{BUCKET}/copy/sales/' iam_role '{OTHER_ROLE}' csv ignoreheader 1")
        with pytest.raises(psycopg.Error, match="bucket does not exist"):
            q(c, f"copy sales from 's3://no-such-bucket-{BUCKET}/x' iam_role '{ROLE}' csv")
    # a bad row: the load fails as a whole, and SYS_LOAD_ERROR_DETAIL says which line and why
    s3.put_object(Bucket=BUCKET, Key="copy/bad/data.csv", Body=b"1,a,2024-01-01,1.00\n2,b,2024-13-45,2.00\n")
    target = {"WorkgroupName": WG, "Database": "dev", "SecretArn": serverless["ns"]["adminPasswordSecretArn"]}
    desc, _ = data_api(rd, f"copy sales from 's3://{BUCKET}/copy/bad/' iam_role '{ROLE}' csv", **target)
    assert desc["Status"] == "FAILED" and "sys_load_error_detail" in desc["Error"]
    _, result = data_api(
        rd,
        "select line_number, trim(column_name), error_code from sys_load_error_detail "
        f"where trim(file_name) = 's3://{BUCKET}/copy/bad/data.csv'",
        **target,
    )
    assert result["Records"] == [[{"longValue": 2}, {"stringValue": "day"}, {"longValue": 1205}]]


def test_dist_and_sort_keys_show_in_svv_table_info_and_explain(serverless):
    with connect_pg(serverless["wg"], serverless["secret"]) as c:
        q(c, "create table f_orders (id int, cust_id int distkey, day date sortkey, amount int)")
        q(c, "create table d_cust (cust_id int, name varchar(10)) diststyle key distkey (cust_id)")
        q(c, "create table d_day (day date, label varchar(10)) diststyle all")
        q(c, "create table d_even (cust_id int, note varchar(10)) diststyle even")
        q(c, "insert into f_orders select g, g % 50, date '2024-01-01' + g % 90, g from generate_series(1, 2000) g")
        q(c, "insert into d_cust select g, 'c' || g from generate_series(0, 49) g")
        q(c, "insert into d_day select date '2024-01-01' + g, 'd' || g from generate_series(0, 89) g")
        q(c, "insert into d_even select g, 'n' || g from generate_series(0, 49) g")
        info = q(
            c,
            'select "table", diststyle, sortkey1, tbl_rows::int from svv_table_info '
            "where \"table\" in ('f_orders', 'd_cust', 'd_day') order by 1",
        )
        plans = {
            label: "\n".join(r[0] for r in q(c, "explain " + sql))
            for label, sql in {
                "DS_DIST_NONE": "select sum(amount) from f_orders o join d_cust c on o.cust_id = c.cust_id",
                "DS_DIST_ALL_NONE": "select sum(amount) from f_orders o join d_day d on o.day = d.day",
                "DS_BCAST_INNER": "select sum(amount) from f_orders o join d_even e on o.id = e.cust_id",
            }.items()
        }
        with pytest.raises(psycopg.Error, match="named in SORTKEY does not exist"):
            q(c, "create table bad_t (a int) sortkey (b)")
    assert info == [
        ("d_cust", "KEY(cust_id)", "AUTO(SORTKEY)", 50),  # no sort key given: Redshift's automatic one
        ("d_day", "ALL", "AUTO(SORTKEY)", 90),
        ("f_orders", "KEY(cust_id)", "day", 2000),
    ]
    for label, plan in plans.items():
        assert label in next(line for line in plan.splitlines() if "Join" in line), plan


def _athena(athena, sql: str, database: str = "default") -> list[list]:
    qid = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": database},
        ResultConfiguration={"OutputLocation": f"s3://{BUCKET}/athena-results/"},
    )["QueryExecutionId"]
    deadline = time.monotonic() + 60
    while (state := athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"])["State"] in (
        "QUEUED",
        "RUNNING",
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert state["State"] == "SUCCEEDED", state
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    return [[d.get("VarCharValue") for d in r["Data"]] for r in rows[1:]]


def test_spectrum_reads_a_glue_table_made_by_athena_ddl(aws, serverless):
    s3, athena = aws["s3"], aws["athena"]
    for year in (2023, 2024):
        lines = [json.dumps({"order_id": year * 100 + i, "amount": i * 2.0}) for i in range(1, 11)]
        s3.put_object(Bucket=BUCKET, Key=f"lake/orders/year={year}/part.json", Body="\n".join(lines).encode())
    _athena(athena, "CREATE DATABASE rs_engine_lake")
    _athena(
        athena,
        "CREATE EXTERNAL TABLE orders (order_id bigint, amount double) PARTITIONED BY (year int) "
        f"ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://{BUCKET}/lake/orders/'",
        "rs_engine_lake",
    )
    _athena(athena, "MSCK REPAIR TABLE orders", "rs_engine_lake")
    with connect_pg(serverless["wg"], serverless["secret"]) as c:
        q(c, f"create external schema lake from data catalog database 'rs_engine_lake' iam_role '{ROLE}'")
        rows = q(c, "select count(*), sum(amount) from lake.orders where year = 2024")
        qid = q(c, "select pg_last_query_id()")[0][0]
        scan = q(c, "select total_partitions, qualified_partitions from svl_s3query_summary where query = %s", (qid,))
        with pytest.raises(psycopg.Error, match="not authorized to assume IAM Role"):
            q(c, f"create external schema lake2 from data catalog database 'rs_engine_lake' iam_role '{OTHER_ROLE}'")
    assert rows == [(10, 110.0)] and scan == [(2, 1)]


def test_unload_to_parquet_is_read_back_by_athena(aws, serverless):
    athena = aws["athena"]
    prefix = f"s3://{BUCKET}/unload/regions/"
    with connect_pg(serverless["wg"], serverless["secret"]) as c:
        q(c, "create table regional (id int, region varchar(10), amount decimal(8,2))")
        region = "case when g % 3 = 0 then 'EMEA' else 'APAC' end"
        q(c, f"insert into regional select g, {region}, g * 1.25 from generate_series(1, 30) g")
        unload = "unload ('select id, amount, region from regional')"
        q(c, f"{unload} to '{prefix}' iam_role default format as parquet partition by (region)")
        expected = q(c, "select region, count(*), sum(amount) from regional group by 1 order by 1")
    _athena(athena, "CREATE DATABASE rs_engine_unload")
    _athena(
        athena,
        "CREATE EXTERNAL TABLE regions (id int, amount decimal(8,2)) PARTITIONED BY (region string) "
        f"STORED AS PARQUET LOCATION '{prefix}'",
        "rs_engine_unload",
    )
    _athena(athena, "MSCK REPAIR TABLE regions", "rs_engine_unload")
    got = _athena(athena, "SELECT region, count(*), sum(amount) FROM regions GROUP BY 1 ORDER BY 1", "rs_engine_unload")
    assert [(r, int(n), float(s)) for r, n, s in got] == [(r, n, float(s)) for r, n, s in expected]


# -- federated query to an RDS instance -------------------------------------------------------------------


@pytest.mark.skipif(server_binary() is None, reason="no MariaDB server installed")
def test_federated_query_to_an_rds_instance_needs_its_security_group_to_admit_the_warehouse(aws, serverless):
    rds, ec2, sm = aws["rds"], aws["ec2"], aws["secretsmanager"]
    rds_sg = _sg(ec2, 3306)  # the learner's /32 (labs 02-03)
    db = rds.create_db_instance(
        DBInstanceIdentifier="fed-db",
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        ManageMasterUserPassword=True,
        VpcSecurityGroupIds=[rds_sg],
        PubliclyAccessible=True,
    )["DBInstance"]
    rds.get_waiter("db_instance_available").wait(
        DBInstanceIdentifier="fed-db", WaiterConfig={"Delay": 0.2, "MaxAttempts": 600}
    )
    db = rds.describe_db_instances(DBInstanceIdentifier="fed-db")["DBInstances"][0]
    host, port, secret_arn = db["Endpoint"]["Address"], db["Endpoint"]["Port"], db["MasterUserSecret"]["SecretArn"]
    secret = json.loads(sm.get_secret_value(SecretId=secret_arn)["SecretString"])
    with mysql.connector.connect(host=host, port=port, user=secret["username"], password=secret["password"]) as m:
        cur = m.cursor()
        cur.execute("CREATE DATABASE shop")
        cur.execute("CREATE TABLE shop.customers (id INT PRIMARY KEY, city VARCHAR(20), balance DECIMAL(8,2))")
        cur.executemany("INSERT INTO shop.customers VALUES (%s, %s, %s)", [(i, f"city{i % 2}", i) for i in range(10)])
        m.commit()
    schema = (
        f"create external schema shop from mysql database 'shop' uri '{host}' port {port} "
        f"iam_role '{ROLE}' secret_arn '{secret_arn}'"
    )
    query = "select city, count(*), sum(balance) from shop.customers where id > 1 group by city order by city"
    try:
        with connect_pg(serverless["wg"], serverless["secret"]) as c:
            q(c, schema)
            # the RDS group admits the learner's /32 only: the warehouse, inside the VPC, is not let in
            with pytest.raises(psycopg.Error, match="timed out.*do not allow tcp/3306 from the warehouse"):
                q(c, query)
            ec2.authorize_security_group_ingress(
                GroupId=rds_sg,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 3306,
                        "ToPort": 3306,
                        "UserIdGroupPairs": [{"GroupId": serverless["sg"]}],
                    }
                ],
            )
            assert q(c, query) == [("city0", 4, 20), ("city1", 4, 24)]
    finally:
        rds.delete_db_instance(DBInstanceIdentifier="fed-db", SkipFinalSnapshot=True)


# -- provisioned clusters ---------------------------------------------------------------------------------


def test_provisioned_cluster_from_create_to_delete(aws):
    redshift, ec2, sm, rd = aws["redshift"], aws["ec2"], aws["secretsmanager"], aws["redshift-data"]
    sg = _sg(ec2, 5439)
    created = redshift.create_cluster(
        ClusterIdentifier="lab-cluster",
        NodeType="ra3.large",
        ClusterType="single-node",
        MasterUsername="awsuser",
        ManageMasterPassword=True,
        DBName="dev",
        VpcSecurityGroupIds=[sg],
        PubliclyAccessible=True,
        IamRoles=[ROLE],
        Tags=[{"Key": "Project", "Value": "aws-de-labs"}, {"Key": "Lab", "Value": "88"}],
    )["Cluster"]
    assert created["ClusterStatus"] == "creating" and "Endpoint" not in created
    redshift.get_waiter("cluster_available").wait(
        ClusterIdentifier="lab-cluster", WaiterConfig={"Delay": 0.2, "MaxAttempts": 600}
    )
    cluster = redshift.describe_clusters(ClusterIdentifier="lab-cluster")["Clusters"][0]
    ep, arn = cluster["Endpoint"], cluster["MasterPasswordSecretArn"]
    secret = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    conn = redshift_connector.connect(
        host=ep["Address"],
        port=ep["Port"],
        database="dev",
        user=secret["username"],
        password=secret["password"],
        ssl=False,
        timeout=10,
    )
    try:
        cur = conn.cursor()
        cur.execute("create table t (a int)")
        cur.execute("insert into t values (1), (2)")
        conn.commit()
        cur.execute("select count(*) from stv_slices")
        assert [list(r) for r in cur.fetchall()] == [[2]]  # one ra3.large node: two slices
    finally:
        conn.close()
    desc, result = data_api(
        rd, "select sum(a) from t", ClusterIdentifier="lab-cluster", Database="dev", DbUser="awsuser"
    )
    assert desc["Status"] == "FINISHED" and result["Records"] == [[{"longValue": 3}]]
    with pytest.raises(ClientError) as err:
        redshift.create_cluster(
            ClusterIdentifier="bad", NodeType="ra3.large", MasterUsername="awsuser", MasterUserPassword="short"
        )
    assert code(err) == "InvalidParameterValue"
    deleted = redshift.delete_cluster(ClusterIdentifier="lab-cluster", SkipFinalClusterSnapshot=True)["Cluster"]
    assert deleted["ClusterStatus"] == "deleting"
    redshift.get_waiter("cluster_deleted").wait(ClusterIdentifier="lab-cluster", WaiterConfig={"Delay": 0.2})
    with pytest.raises(ClientError) as err:
        sm.get_secret_value(SecretId=arn)
    assert code(err) == "ResourceNotFoundException"  # the managed secret went with its cluster
    assert "cluster:lab-cluster" not in _status()["engines"]["redshift"]


# -- teardown through the helpers' collector ------------------------------------------------------------


def test_lab_teardown_finds_and_removes_workgroup_then_namespace(aws, serverless):
    from helpers import lab, resources

    lab.start("88")
    found = [(r.kind, r.name) for r in resources.find_all("88") if r.kind.startswith("redshift")]
    assert found == [("redshift-serverless workgroup", WG), ("redshift-serverless namespace", NS)]
    lab.teardown(lab="88")
    rs = aws["redshift-serverless"]
    assert rs.list_workgroups()["workgroups"] == [] and rs.list_namespaces()["namespaces"] == []
    assert not [r for r in resources.find_all("88") if r.kind.startswith("redshift")]
    with pytest.raises(ClientError) as err:  # the namespace's managed secret went with it
        aws["secretsmanager"].get_secret_value(SecretId=serverless["ns"]["adminPasswordSecretArn"])
    assert code(err) == "ResourceNotFoundException"


# -- processes: started by a warehouse, ended by stop and reset -------------------------------------------


def _postgres(status: dict) -> list[dict]:
    return [p for p in status["processes"] if p["engine"] == "redshift"]


def test_postgres_runs_only_while_a_warehouse_does(private_localcloud):
    cloud = private_localcloud

    def status() -> dict:
        return json.loads(cloud.run("status", "--json").stdout)

    assert _postgres(status()) == []  # nothing at daemon start
    rs = cloud.client("redshift-serverless")
    rs.create_namespace(namespaceName="p-ns", adminUsername="awsuser", adminUserPassword="Passw0rd-1")
    assert _postgres(status()) == []  # a namespace is data, not compute
    rs.create_workgroup(workgroupName="p-wg", namespaceName="p-ns", baseCapacity=8)
    _wait_workgroup(rs, "p-wg")
    running = _postgres(status())
    assert [p["name"] for p in running] == ["postgres ns-p-ns"]
    assert cloud.run("reset").returncode == 0
    assert _postgres(status()) == [] and rs.list_namespaces()["namespaces"] == []
    rs.create_namespace(namespaceName="p-ns", adminUsername="awsuser", adminUserPassword="Passw0rd-1")
    rs.create_workgroup(workgroupName="p-wg", namespaceName="p-ns", baseCapacity=8)
    _wait_workgroup(rs, "p-wg")
    pid = _postgres(status())[0]["pid"]
    assert cloud.run("stop").returncode == 0
    deadline = time.monotonic() + 10
    while subprocess.run(["kill", "-0", str(pid)], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, f"postgres {pid} outlived localcloud stop"
        time.sleep(0.1)


# -- moto's reset stays seeded when Redshift's backend was used ------------------------------------------


def _first_group_id(session) -> str:
    from localcloud import seam

    seam.reset()
    seam.seed(config.SEED)
    return session.client("ec2").create_security_group(GroupName="g", Description="d")["GroupId"]


def test_reset_after_redshift_calls_keeps_ids_seeded(moto_in_process):
    """moto re-creates EC2's backend while resetting Redshift's (its __init__ reaches EC2): ids must
    still repeat after a reset, or every lab after one that listed clusters would show other ids."""
    session = moto_in_process
    before = _first_group_id(session)
    session.client("redshift").describe_clusters()  # what lab.inventory() does in every lab
    assert _first_group_id(session) == before


def test_reset_after_motos_own_reset_keeps_ids_seeded(moto_in_process):
    """moto's own reset (mock_aws's, when a test ends and when the next one starts) re-creates EC2's
    backend while resetting Redshift's, then forgets its registry: the EC2 backend stays, with ids
    drawn before any seed, in a dict moto no longer lists.  seam.reset() must clear it too, or the
    next seeded ids depend on which test ran before in the process (as under pytest-xdist)."""
    from moto.core.base_backend import BackendDict

    session = moto_in_process
    before = _first_group_id(session)
    session.client("redshift").describe_clusters()
    BackendDict.reset()  # what mock_aws() does on stop and on start
    assert _first_group_id(session) == before


# -- persistence: localcloud stop/start and kill -9 keep the warehouses -------------------------------------


def _persistence(cloud) -> dict:
    return json.loads(cloud.run("status", "--json").stdout)["persistence"]


def _saved_after(cloud, t: float) -> None:
    deadline = time.monotonic() + 30
    while (_persistence(cloud)["snapshots"]["last_saved_at"] or 0) <= t:
        assert time.monotonic() < deadline, "no snapshot saved"
        time.sleep(0.2)


def _restart(cloud, kill: bool = False) -> None:
    import os
    import signal

    from localcloud.processes import pid_alive

    pid = json.loads(cloud.run("status", "--json").stdout)["pid"]
    if kill:
        os.kill(pid, signal.SIGKILL)
    else:
        assert cloud.run("stop").returncode == 0
    deadline = time.monotonic() + 30
    while pid_alive(pid):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    started = cloud.run("start", "--json")
    assert started.returncode == 0, started.stderr


def test_warehouses_survive_stop_start_and_kill_9(private_localcloud):
    cloud = private_localcloud
    rs, ec2, sm = cloud.client("redshift-serverless"), cloud.client("ec2"), cloud.client("secretsmanager")
    redshift, rd = cloud.client("redshift"), cloud.client("redshift-data")
    sg = _sg(ec2, 5439)
    ns = rs.create_namespace(
        namespaceName="keep-ns", adminUsername="awsuser", manageAdminPassword=True, iamRoles=[ROLE], tags=TAGS
    )["namespace"]
    rs.create_workgroup(
        workgroupName="keep-wg",
        namespaceName="keep-ns",
        baseCapacity=8,
        securityGroupIds=[sg],
        publiclyAccessible=True,
        tags=TAGS,
    )
    redshift.create_cluster(
        ClusterIdentifier="keep-cluster",
        NodeType="ra3.large",
        ClusterType="single-node",
        MasterUsername="awsuser",
        ManageMasterPassword=True,
        VpcSecurityGroupIds=[sg],
        PubliclyAccessible=True,
    )
    wg = _wait_workgroup(rs, "keep-wg")
    waiter = {"ClusterIdentifier": "keep-cluster", "WaiterConfig": {"Delay": 0.2, "MaxAttempts": 600}}
    redshift.get_waiter("cluster_available").wait(**waiter)
    cluster = redshift.describe_clusters(ClusterIdentifier="keep-cluster")["Clusters"][0]
    secrets = {
        "wg": json.loads(sm.get_secret_value(SecretId=ns["adminPasswordSecretArn"])["SecretString"]),
        "cluster": json.loads(sm.get_secret_value(SecretId=cluster["MasterPasswordSecretArn"])["SecretString"]),
    }
    endpoints = {"wg": wg["endpoint"], "cluster": {"address": "127.0.0.1", "port": cluster["Endpoint"]["Port"]}}
    for which in ("wg", "cluster"):
        with connect_pg({"endpoint": endpoints[which]}, secrets[which]) as c:
            q(c, "create table kept (id int) diststyle even")
            q(c, "insert into kept select generate_series(1, 100)")
    t = time.time()
    _saved_after(cloud, t)

    for kill in (False, True):
        _restart(cloud, kill=kill)
        assert _persistence(cloud)["lost"] == []
        wg = rs.get_workgroup(workgroupName="keep-wg")["workgroup"]
        cluster = redshift.describe_clusters(ClusterIdentifier="keep-cluster")["Clusters"][0]
        assert wg["status"] == "AVAILABLE" and wg["endpoint"] == endpoints["wg"]  # same endpoint as noted
        assert cluster["ClusterStatus"] == "available" and cluster["Endpoint"]["Port"] == endpoints["cluster"]["port"]
        assert rs.get_namespace(namespaceName="keep-ns")["namespace"]["namespaceId"] == ns["namespaceId"]
        for which in ("wg", "cluster"):
            with connect_pg({"endpoint": endpoints[which]}, secrets[which]) as c:
                info = "select count(*), diststyle from kept, svv_table_info where \"table\" = 'kept' group by 2"
                assert q(c, info) == [(100, "EVEN")]
        target = {"WorkgroupName": "keep-wg", "Database": "dev", "SecretArn": ns["adminPasswordSecretArn"]}
        desc, result = data_api(rd, "select count(*) from kept", **target)
        assert desc["Status"] == "FINISHED" and result["Records"] == [[{"longValue": 100}]], desc.get("Error")

    # a warehouse whose data is gone (e.g. a /tmp home after a reboot) is reported lost and removed
    assert cloud.run("stop").returncode == 0
    state = cloud.lab_dir / "localcloud" / "engines" / "redshift" / "warehouses"
    pointer = state / "pg-home"
    home = Path(pointer.read_text().strip()) if pointer.exists() else state / "pg"
    shutil.rmtree(home / "wh-ns-keep-ns")
    assert cloud.run("start", "--json").returncode == 0
    lost = [(x["service"], x["kind"], x["id"], x["tags"].get("Lab")) for x in _persistence(cloud)["lost"]]
    assert lost == [
        ("redshift-serverless", "workgroup", "keep-wg", "88"),
        ("redshift-serverless", "namespace", "keep-ns", "88"),
    ]
    assert rs.list_namespaces()["namespaces"] == [] and rs.list_workgroups()["workgroups"] == []
    with pytest.raises(ClientError):
        sm.get_secret_value(SecretId=ns["adminPasswordSecretArn"])
    assert redshift.describe_clusters(ClusterIdentifier="keep-cluster")["Clusters"][0]["ClusterStatus"] == "available"
