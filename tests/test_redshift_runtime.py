"""localcloud's Redshift warehouse runtime: a real PostgreSQL behind a Redshift wire endpoint and
Data API, with Redshift's table design, COPY/UNLOAD, Spectrum and federated query.

S3 and the Glue catalog are the session's private localcloud (conftest.py), reached with boto3;
federated query reads a real MariaDB.  Clients are the real ones: psycopg, redshift_connector, psql.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import boto3
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import redshift_connector

from localcloud import config
from localcloud.engines.redshift.errors import ApiError
from localcloud.engines.redshift.io import Boto3Glue, Boto3S3
from localcloud.engines.redshift.pgserver import PostgresMissing, bindir
from localcloud.engines.redshift.runtime import Runtime
from localcloud.engines.redshift.slices import Topology
from localcloud.engines.redshift.warehouse import Hooks, WarehouseConfig
from localcloud.processes import Supervisor

try:
    bindir()
    HAVE_PG = True
except PostgresMissing:
    HAVE_PG = False
pytestmark = pytest.mark.skipif(not HAVE_PG, reason="no PostgreSQL server installed (make postgresql)")

ROLE = f"arn:aws:iam::{config.ACCOUNT_ID}:role/lab-redshift"
OTHER_ROLE = f"arn:aws:iam::{config.ACCOUNT_ID}:role/not-attached"
ADMIN, PASSWORD = "awsuser", "Lab-Passw0rd"
BUCKET = f"rs-test-{uuid.uuid4().hex[:8]}"


def client(service):
    return boto3.client(
        service,
        endpoint_url=config.endpoint(),
        region_name=config.REGION,
        aws_access_key_id=config.FAKE_ACCESS_KEY,
        aws_secret_access_key=config.FAKE_SECRET_KEY,
    )


class Spawned:
    """localcloud's Supervisor as the spawn hook (children die with this process even if it is
    killed), remembering every process so the tests can prove none is left."""

    def __init__(self):
        self.supervisor = Supervisor()
        self.procs = []

    def __call__(self, argv, name, **kw):
        p = self.supervisor.spawn(argv, name=name, owner="redshift", **kw).popen
        self.procs.append(p)
        return p


@pytest.fixture(scope="module")
def aws():
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    return {"s3": s3, "glue": client("glue"), "athena": client("athena")}


@pytest.fixture(scope="module")
def runtime(tmp_path_factory, aws):
    spawned = Spawned()
    secrets = {}
    hooks = Hooks(spawn=spawned, s3=Boto3S3(aws["s3"]), catalog=Boto3Glue(aws["glue"]))
    rt = Runtime(tmp_path_factory.mktemp("redshift"), hooks)
    rt.spawned = spawned
    rt.secrets = secrets

    def create_secret(ns, user, password, kms):
        arn = f"arn:aws:secretsmanager:{config.REGION}:{config.ACCOUNT_ID}:secret:redshift!{ns}-{user}-AbCdEf"
        secrets[arn] = {"username": user, "password": password}
        return arn

    rt.serverless.create_admin_secret = create_secret
    rt.serverless.delete_admin_secret = secrets.pop
    rt.data_api.resolve_secret = lambda arn: secrets[arn]
    yield rt
    rt.close()
    spawned.supervisor.close()
    for p in spawned.procs:
        assert p.poll() is not None, f"process {p.pid} ({p.args[0]}) outlived the runtime"


@pytest.fixture(scope="module")
def wh(runtime):
    w = runtime.create_warehouse(
        "cluster:lab",
        WarehouseConfig(
            name="lab",
            admin_user=ADMIN,
            admin_password=PASSWORD,
            kind="provisioned",
            iam_roles=[ROLE],
            default_iam_role=ROLE,
            topology=Topology(nodes=2, slices_per_node=2, rows_per_block=100),
        ),
    )
    w.start()
    return w


def pg(wh, **kw):
    host, port = wh.endpoint
    return psycopg.connect(host=host, port=port, user=ADMIN, password=PASSWORD, dbname="dev", autocommit=True, **kw)


def rc(wh):
    host, port = wh.endpoint
    return redshift_connector.connect(host=host, port=port, user=ADMIN, password=PASSWORD, database="dev", ssl=False)


def q(conn, sql, params=None):
    cur = conn.execute(sql, params)
    return cur.fetchall() if cur.description else None


# -- wire clients ----------------------------------------------------------------------------------


def test_three_clients_connect_and_agree(wh):
    with pg(wh) as c:
        q(c, "create table clients_t (id int, name varchar(20))")
        q(c, "insert into clients_t values (1, 'a'), (2, 'b'), (3, null)")
        via_psycopg = q(c, "select id, name from clients_t order by id")
    conn = rc(wh)
    try:
        cur = conn.cursor()
        cur.execute("select id, name from clients_t where id >= %s order by id", (1,))
        via_rc = [tuple(r) for r in cur.fetchall()]
        cur.execute("select getdate() is not null, nvl(name, 'none') from clients_t order by id")
        assert [r[1] for r in cur.fetchall()] == ["a", "b", "none"]
    finally:
        conn.close()
    host, port = wh.endpoint
    psql = shutil.which("psql") or str(bindir() / "psql")
    out = subprocess.run(
        [
            psql,
            "-h",
            host,
            "-p",
            str(port),
            "-U",
            ADMIN,
            "-d",
            "dev",
            "-At",
            "-c",
            "select id, name from clients_t order by id",
        ],
        env=dict(os.environ, PGPASSWORD=PASSWORD, PGCONNECT_TIMEOUT="10"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    via_psql = [tuple(line.split("|")) for line in out.stdout.split()]
    assert via_psycopg == via_rc == [(1, "a"), (2, "b"), (3, None)]
    assert via_psql == [("1", "a"), ("2", "b"), ("3", "")]


def test_redshift_functions_run_translated(wh):
    with pg(wh) as c:
        q(c, "create table fn_t (a int, b varchar(10), d date)")
        q(c, "insert into fn_t values (1, 'x', '2024-01-05'), (2, null, '2024-02-10'), (3, 'zz', '2024-03-01')")
        got = q(
            c,
            "select listagg(b, ',') within group (order by a), listagg(b), median(a), "
            "max(decode(a, 1, 'one', 'other')), max(nvl(b, '-')) from fn_t",
        )
        dates = q(
            c, "select date_trunc('month', d), dateadd(day, 3, d), trunc(dateadd(day, 3, d)) from fn_t where a = 2"
        )
        top = q(c, "select top 2 a from fn_t order by a desc")
    assert got == [("x,zz", "xzz", 2.0, "other", "zz")]  # LISTAGG's default delimiter is none
    import datetime as dt

    assert dates == [(dt.datetime(2024, 2, 1), dt.datetime(2024, 2, 13), dt.date(2024, 2, 13))]
    assert top == [(3,), (2,)]


def test_a_script_is_one_implicit_transaction(wh):
    with pg(wh) as c:
        q(c, "create table script_t (id int)")
        with pytest.raises(psycopg.Error, match="invalid input syntax"):
            c.execute(b"insert into script_t values (1); insert into script_t values ('x')")
        assert q(c, "select count(*) from script_t") == [(0,)]
        c.execute(b"insert into script_t values (1); insert into script_t values (2)")
        assert q(c, "select count(*) from script_t") == [(2,)]


def test_wrong_password_is_refused(wh):
    host, port = wh.endpoint
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(host=host, port=port, user=ADMIN, password="wrong", dbname="dev")


def test_denied_source_gets_silence_then_timeout(runtime):
    allowed = {"open": False}
    seen = []

    def allow(ip):
        seen.append(ip)
        return allowed["open"]

    w = runtime.create_warehouse("cluster:sg", WarehouseConfig(name="sg", admin_user=ADMIN, admin_password=PASSWORD))
    w.start(allow=allow)
    try:
        host, port = w.endpoint
        t0 = time.monotonic()
        with pytest.raises(psycopg.OperationalError, match="timeout"):
            psycopg.connect(host=host, port=port, user=ADMIN, password=PASSWORD, dbname="dev", connect_timeout=2)
        assert time.monotonic() - t0 >= 1.9
        with pytest.raises(Exception, match="(?i)timed out|timeout"):
            redshift_connector.connect(
                host=host, port=port, user=ADMIN, password=PASSWORD, database="dev", ssl=False, timeout=2
            )
        allowed["open"] = True  # a rule added: the next connection gets in
        with psycopg.connect(host=host, port=port, user=ADMIN, password=PASSWORD, dbname="dev") as c:
            assert c.execute("select 1").fetchone() == (1,)
        assert seen and set(seen) == {"127.0.0.1"}
        assert w.proxy.stats["dropped"] >= 2
    finally:
        runtime.remove_warehouse("cluster:sg")


# -- table design ---------------------------------------------------------------------------------------


def test_dist_and_sort_keys_are_recorded(wh):
    with pg(wh) as c:
        q(
            c,
            """create table design_t (
                  id integer not null encode az64,
                  customer_id integer distkey,
                  sale_date date,
                  note varchar,
                  amount decimal,
                  primary key (id))
                compound sortkey (sale_date, id)""",
        )
        rows = q(
            c,
            'select "column", type, trim(encoding), distkey, sortkey, "notnull" from pg_table_def '
            "where tablename = 'design_t' order by sortkey desc, \"column\"",
        )
        # informational constraints are not enforced, as in Redshift
        q(c, "insert into design_t (id) values (1), (1)")
        assert q(c, "select count(*) from design_t") == [(2,)]
    by_col = {r[0]: r for r in rows}
    assert by_col["sale_date"][4] == 1 and by_col["id"][4] == 2
    assert by_col["customer_id"][3] is True and by_col["id"][3] is False
    assert by_col["id"][2] == "az64" and by_col["id"][5] is True
    assert by_col["note"][1] == "character varying(256)"  # Redshift's VARCHAR default
    assert by_col["amount"][1] == "numeric(18,0)"  # Redshift's DECIMAL default


@pytest.mark.parametrize(
    "ddl, message",
    [
        ("create table bad1 (a int, b int) distkey(c)", 'column "c" named in DISTKEY does not exist'),
        ("create table bad2 (a int distkey, b int distkey)", "only one column can be specified as DISTKEY"),
        ("create table bad3 (a int, b int) sortkey(a, z)", 'column "z" named in SORTKEY does not exist'),
        ("create table bad4 (a int) diststyle key", "DISTSTYLE KEY requires a DISTKEY"),
        ("create table bad5 (a int distkey) diststyle even", "DISTKEY cannot be used with DISTSTYLE EVEN"),
        (
            "create table bad6 (a int, b int, c int, d int, e int, f int, g int, h int, i int) "
            "interleaved sortkey(a, b, c, d, e, f, g, h, i)",
            "at most 8 columns",
        ),
        ("create table bad7 (a int encode fancy)", 'invalid encoding type "fancy"'),
        ("create table bad8 (doc super)", "NOT_SUPPORTED: The SUPER data type"),
        ("create index i1 on clients_t (id)", "CREATE INDEX is not supported in Amazon Redshift"),
    ],
)
def test_ddl_refused_as_redshift_refuses(wh, ddl, message):
    with pg(wh) as c:
        with pytest.raises(psycopg.Error, match=message.replace("(", r"\(").replace(")", r"\)")):
            q(c, ddl)


def _table_info(c, name):
    cols = ["diststyle", "sortkey1", "tbl_rows", "skew_rows", "size", "sortkey_num"]
    row = q(c, f'select {", ".join(cols)} from svv_table_info where "table" = %s', (name,))
    return dict(zip(cols, row[0])) if row else None


def test_svv_table_info_reports_real_skew(wh):
    with pg(wh) as c:
        q(c, "create table skew_key (id int, region int distkey, v int) sortkey(id)")
        q(c, "create table skew_even (id int, region int, v int) diststyle even")
        q(c, "create table skew_all (id int, region int) diststyle all")
        q(c, "create table skew_auto (id int)")
        for t in ("skew_key", "skew_even"):
            q(
                c,
                f"insert into {t} select g, case when g % 10 < 7 then 1 else g % 10 end, g "
                "from generate_series(1, 4000) g",
            )
        q(c, "insert into skew_all select g, g from generate_series(1, 50) g")
        q(c, "insert into skew_auto select g from generate_series(1, 20) g")
        q(c, "create table empty_t (id int) diststyle even")
        key, even, all_, auto = (_table_info(c, t) for t in ("skew_key", "skew_even", "skew_all", "skew_auto"))
        assert _table_info(c, "empty_t") is None  # Redshift lists no empty tables
        perm = q(c, "select slice, rows from stv_tbl_perm where trim(name) = 'skew_key' order by slice")
        perm_even = [
            r for _, r in q(c, "select slice, rows from stv_tbl_perm where trim(name) = 'skew_even' order by slice")
        ]
        slices = q(c, "select node, slice from stv_slices order by slice")
    assert slices == [(0, 0), (0, 1), (1, 2), (1, 3)]
    assert key["diststyle"] == "KEY(region)" and key["sortkey1"] == "id" and key["sortkey_num"] == 1
    assert even["diststyle"] == "EVEN" and even["sortkey1"] == "AUTO(SORTKEY)"
    assert all_["diststyle"] == "ALL" and all_["skew_rows"] is None
    assert auto["diststyle"] == "AUTO(ALL)"
    assert key["tbl_rows"] == even["tbl_rows"] == 4000
    rows = [r for _, r in perm]
    assert sum(rows) == 4000
    # 70% of the rows share region 1: one slice holds at least 2800 rows
    assert max(rows) >= 2800
    expected = round(max(rows) / min(rows), 2) if min(rows) else None
    assert key["skew_rows"] == (None if expected is None else pytest.approx(float(expected)))
    assert max(perm_even) - min(perm_even) <= 1 and float(even["skew_rows"]) == pytest.approx(
        max(perm_even) / min(perm_even), abs=0.01
    )
    # Redshift's minimum size: one 1 MB block per column (user columns + 3 hidden) per populated slice
    populated = sum(1 for r in rows if r)
    assert key["size"] == populated * (3 + 3)
    assert all_["size"] == 2 * (2 + 3)  # a copy on each of the 2 nodes


def test_alter_distkey_fixes_skew(wh):
    with pg(wh) as c:
        q(c, "create table fixme (id int, flag int distkey)")
        q(c, "insert into fixme select g, g % 2 from generate_series(1, 1000) g")
        before = _table_info(c, "fixme")
        q(c, "alter table fixme alter distkey id")
        after = _table_info(c, "fixme")
        with pytest.raises(psycopg.Error, match='column "nope" named in DISTKEY does not exist'):
            q(c, "alter table fixme alter distkey nope")
    assert before["diststyle"] == "KEY(flag)" and before["skew_rows"] is None  # two values, four slices
    assert after["diststyle"] == "KEY(id)" and float(after["skew_rows"]) < 1.3


# -- EXPLAIN ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def star(wh):
    with pg(wh) as c:
        q(c, "create table f_sales (sale_id int, cust_id int distkey, prod_id int, amount int) sortkey(cust_id)")
        q(c, "create table d_cust (cust_id int distkey, name varchar(20)) sortkey(cust_id)")
        q(c, "create table d_cust_nosort (cust_id int distkey, name varchar(20))")
        q(c, "create table d_prod_all (prod_id int, name varchar(20)) diststyle all")
        q(c, "create table d_prod_even (prod_id int, name varchar(20)) diststyle even")
        q(c, "create table d_prod_key (prod_id int distkey, name varchar(20))")
        q(c, "create table big_all (k int, v int) diststyle all")
        q(c, "create table small_even (k int, v int) diststyle even")
        q(c, "insert into f_sales select g, g % 200, g % 900, g from generate_series(1, 1000) g")
        q(c, "insert into d_cust select g, 'c' || g from generate_series(0, 199) g")
        q(c, "insert into d_cust_nosort select * from d_cust")
        for t in ("d_prod_all", "d_prod_even"):
            q(c, f"insert into {t} select g, 'p' || g from generate_series(0, 49) g")
        q(c, "insert into d_prod_key select g, 'p' || g from generate_series(0, 899) g")
        q(c, "insert into big_all select g, g from generate_series(1, 500) g")
        q(c, "insert into small_even select g, g from generate_series(1, 40) g")
    return True


def explain(wh, sql):
    conn = rc(wh)
    try:
        cur = conn.cursor()
        cur.execute("explain " + sql)
        return "\n".join(r[0] for r in cur.fetchall())
    finally:
        conn.close()


@pytest.mark.parametrize(
    "sql, label",
    [
        ("select sum(amount) from f_sales s join d_cust_nosort c on s.cust_id = c.cust_id", "Hash Join DS_DIST_NONE"),
        ("select sum(amount) from f_sales s join d_cust c on s.cust_id = c.cust_id", "Merge Join DS_DIST_NONE"),
        ("select sum(amount) from f_sales s join d_prod_all p on s.prod_id = p.prod_id", "DS_DIST_ALL_NONE"),
        ("select sum(amount) from f_sales s join d_prod_even p on s.prod_id = p.prod_id", "DS_BCAST_INNER"),
        ("select sum(amount) from f_sales s join d_prod_even p on s.cust_id = p.prod_id", "DS_DIST_INNER"),
        ("select sum(amount) from f_sales s join d_prod_key p on s.prod_id = p.prod_id", "DS_DIST_OUTER"),
        ("select count(*) from big_all b join small_even e on b.k = e.k", "DS_DIST_ALL_INNER"),
        ("select count(*) from small_even e left join d_prod_key p on e.v = p.prod_id", "Hash Left Join DS_DIST_OUTER"),
        ("select count(*) from d_prod_even e left join f_sales s on e.prod_id = s.prod_id", "DS_DIST_BOTH"),
    ],
)
def test_explain_shows_the_documented_data_movement(wh, star, sql, label):
    plan = explain(wh, sql)
    first_join = next(line for line in plan.splitlines() if "Join" in line)
    assert label in first_join, plan
    assert "XN Seq Scan on" in plan


def test_explain_of_unsupported_statements_is_refused(wh, star):
    with pg(wh) as c, pytest.raises(psycopg.Error, match="NOT_SUPPORTED"):
        q(c, "explain select * from f_sales where cust_id in (select cust_id from d_cust)")


# -- zone maps ---------------------------------------------------------------------------------------------


def test_zone_maps_skip_blocks_on_the_sort_key(wh):
    with pg(wh) as c:
        q(c, "create table zm_sorted (id int, d date, v int) diststyle even sortkey(d)")
        q(c, "create table zm_unsorted (id int, d date, v int) diststyle even")
        for t in ("zm_sorted", "zm_unsorted"):
            # rows arrive in random date order: only the sort key puts them in order
            q(c, f"insert into {t} select g, date '2024-01-01' + (g * 7919) % 366, g from generate_series(1, 8000) g")
        detail = {}
        for t in ("zm_sorted", "zm_unsorted"):
            full = q(c, f"select count(v) from {t}")[0][0]
            q1 = q(c, "select pg_last_query_id()")[0][0]
            part = q(c, f"select count(v) from {t} where d between '2024-03-01' and '2024-03-10'")[0][0]
            q2 = q(c, "select pg_last_query_id()")[0][0]
            rows = q(
                c,
                "select query_id, trim(table_name), is_rrscan, blocks_read, output_rows from sys_query_detail "
                "where query_id in (%s, %s) order by query_id",
                (q1, q2),
            )
            detail[t] = (full, part, rows)
    full, part, rows = detail["zm_sorted"]
    (qa, name, rr_a, blocks_all, out_a), (qb, _, rr_b, blocks_range, out_b) = rows
    assert name == "zm_sorted" and rr_a == "f" and rr_b == "t"
    assert out_a == full == 8000 and out_b == part
    # 8000 rows over 4 slices in blocks of 100 rows: 80 blocks per column; the full scan reads v,
    # the range scan reads v and d, in at most 2 blocks per slice (10 days of 366)
    assert blocks_all == 80
    assert 2 * 4 <= blocks_range <= 2 * 4 * 2
    _, _, unsorted_rows = detail["zm_unsorted"]
    assert unsorted_rows[1][2] == "t" and unsorted_rows[1][3] == 2 * 80  # unsorted: every block may hold March


# -- COPY ----------------------------------------------------------------------------------------------------


def put(aws, key, body):
    aws["s3"].put_object(Bucket=BUCKET, Key=key, Body=body)
    return f"s3://{BUCKET}/{key}"


def test_copy_csv_and_parquet(wh, aws):
    csv_body = b'id,name,qty,day\n1,apple,3,2024-01-02\n2,"pear, green",5,2024-01-03\n3,plum,,2024-01-04\n'
    put(aws, "copy/csv/part-1.csv", csv_body)
    put(aws, "copy/csv/part-2.csv", b"id,name,qty,day\n4,fig,1,2024-02-01\n")
    table = pa.table(
        {
            "id": pa.array([10, 11], pa.int32()),
            "name": ["kiwi", "lime"],
            "qty": pa.array([7, None], pa.int32()),
            "day": pa.array([pa.scalar(19800, pa.date32()).as_py()] * 2, pa.date32()),
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf)
    put(aws, "copy/parquet/a.parquet", buf.getvalue())
    with pg(wh) as c:
        q(c, "create table fruit (id int, name varchar(20), qty int, day date)")
        notices = []
        c.add_notice_handler(lambda d: notices.append(d.message_primary))
        q(c, f"copy fruit from 's3://{BUCKET}/copy/csv/' iam_role '{ROLE}' csv ignoreheader 1 region 'us-east-1'")
        assert q(c, "select pg_last_copy_count()") == [(4,)]
        q(c, f"copy fruit from 's3://{BUCKET}/copy/parquet/' iam_role default format as parquet")
        rows = q(c, "select id, name, qty, day::text from fruit order by id")
    assert rows == [
        (1, "apple", 3, "2024-01-02"),
        (2, "pear, green", 5, "2024-01-03"),
        (3, "plum", None, "2024-01-04"),
        (4, "fig", 1, "2024-02-01"),
        (10, "kiwi", 7, "2024-03-18"),
        (11, "lime", None, "2024-03-18"),
    ]
    assert "Load into table 'fruit' completed, 4 record(s) loaded successfully." in notices


def test_copy_json_auto(wh, aws):
    put(aws, "copy/json/x.json", b'{"id": 1, "Name": "a", "extra": 1}\n{"id": 2, "name": "b"}\n')
    with pg(wh) as c:
        q(c, "create table js (id int, name varchar(5))")
        q(c, f"copy js from 's3://{BUCKET}/copy/json/' iam_role '{ROLE}' format as json 'auto'")
        exact = q(c, "select id, name from js order by id")
        q(c, "truncate js")
        q(c, f"copy js from 's3://{BUCKET}/copy/json/' iam_role '{ROLE}' json 'auto ignorecase'")
        ignorecase = q(c, "select id, name from js order by id")
    assert exact == [(1, None), (2, "b")]
    assert ignorecase == [(1, "a"), (2, "b")]


def test_copy_bad_row_fails_and_is_logged(wh, aws):
    body = b"id|qty|label\n1|10|ok\n2|1x|ok\n3|30|this label is far too long\n4|40\n5|50|ok\n"
    put(aws, "copy/bad/data.txt", body)
    src = f"s3://{BUCKET}/copy/bad/data.txt"
    with pg(wh) as c:
        q(c, "create table loadme (id int not null, qty int, label varchar(10))")
        with pytest.raises(psycopg.Error) as err:
            q(c, f"copy loadme from '{src}' iam_role '{ROLE}' delimiter '|' ignoreheader 1")
        assert "Load into table 'loadme' failed. Check 'stl_load_errors' system table for details." in str(err.value)
        assert q(c, "select count(*) from loadme") == [(0,)]
        first = q(
            c,
            "select trim(filename), line_number, trim(colname), trim(type), position, trim(raw_field_value), "
            "err_code, trim(err_reason) from stl_load_errors order by starttime desc, line_number limit 1",
        )
        assert first == [(src, 3, "qty", "int4", 1, "1x", 1207, "Invalid digit, Value 'x', Pos 1, Type: Integer")]
        detail = q(
            c,
            "select line_number, trim(column_name), error_code, trim(error_message) from sys_load_error_detail "
            "where trim(file_name) = %s order by line_number",
            (src,),
        )
        assert detail[0] == (3, "qty", 1207, "Invalid digit, Value 'x', Pos 1, Type: Integer")
        # MAXERROR lets the bad rows through and loads the rest
        notices = []
        c.add_notice_handler(lambda d: notices.append(d.message_primary))
        q(c, f"copy loadme from '{src}' iam_role '{ROLE}' delimiter '|' ignoreheader 1 maxerror 5")
        loaded = q(c, "select id from loadme order by id")
        reasons = q(
            c,
            "select line_number, err_code, trim(err_reason) from stl_load_errors "
            "where query = (select max(query) from stl_load_errors) order by line_number",
        )
    assert loaded == [(1,), (5,)]
    assert reasons == [
        (3, 1207, "Invalid digit, Value 'x', Pos 1, Type: Integer"),
        (4, 1204, "String length exceeds DDL length"),
        (5, 1214, "Delimiter not found"),
    ]
    assert any("3 record(s) could not be loaded" in n for n in notices)


def test_copy_authorization_and_source_errors(wh, aws):
    with pg(wh) as c:
        q(c, "create table auth_t (id int)")
        with pytest.raises(psycopg.Error, match="not authorized to assume IAM Role"):
            q(c, f"copy auth_t from 's3://{BUCKET}/copy/csv/' iam_role '{OTHER_ROLE}' csv")
        with pytest.raises(psycopg.Error, match="The specified S3 prefix 'nothing/here' does not exist"):
            q(c, f"copy auth_t from 's3://{BUCKET}/nothing/here' iam_role '{ROLE}' csv")
        with pytest.raises(psycopg.Error, match="NOT_SUPPORTED: COPY option MANIFEST"):
            q(c, f"copy auth_t from 's3://{BUCKET}/m.json' iam_role '{ROLE}' manifest")
        with pytest.raises(psycopg.Error, match="COPY FROM STDIN is not supported"):
            q(c, "copy auth_t from stdin")


# -- UNLOAD ----------------------------------------------------------------------------------------------------


def test_unload_partitioned_parquet_reads_back(wh, aws):
    with pg(wh) as c:
        q(c, "create table orders (id int, region varchar(10), amount decimal(10,2), day date)")
        q(
            c,
            "insert into orders select g, case when g % 3 = 0 then 'EMEA' else 'APAC' end, g * 1.25, "
            "date '2024-05-01' + g % 5 from generate_series(1, 30) g",
        )
        prefix = f"s3://{BUCKET}/unload/orders/"
        q(
            c,
            f"unload ('select id, region, amount, day from orders') to '{prefix}' iam_role '{ROLE}' "
            "format as parquet partition by (region)",
        )
        with pytest.raises(psycopg.Error, match="Specified unload destination on S3 is not empty"):
            q(c, f"unload ('select 1') to '{prefix}' iam_role '{ROLE}' format as parquet")
        expected = q(c, "select region, count(*), sum(amount) from orders group by region order by region")
    keys = sorted(o["Key"] for o in aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="unload/orders/")["Contents"])
    assert keys[0] == "unload/orders/region=APAC/0000_part_00.parquet"
    assert {k.split("/")[2] for k in keys} == {"region=APAC", "region=EMEA"}
    assert all(k.rsplit("/", 1)[1].endswith("_part_00.parquet") for k in keys)
    got = {}
    for k in keys:
        t = pq.read_table(io.BytesIO(aws["s3"].get_object(Bucket=BUCKET, Key=k)["Body"].read()))
        assert t.column_names == ["id", "amount", "day"]  # the partition column lives in the path
        assert t.schema.field("amount").type == pa.decimal128(10, 2)
        region = k.split("/")[2].split("=")[1]
        n, s = got.get(region, (0, 0))
        got[region] = (n + t.num_rows, s + sum(t.column("amount").to_pylist()))
    assert [(r, n, s) for r, (n, s) in sorted(got.items())] == [(r, n, s) for r, n, s in expected]
    # Athena (localcloud's engine) reads the same files through a partitioned Glue table
    athena, glue = aws["athena"], aws["glue"]
    glue.create_database(DatabaseInput={"Name": "unload_db"})
    run_athena(
        athena,
        f"""CREATE EXTERNAL TABLE orders (id int, amount decimal(10,2), day date)
                           PARTITIONED BY (region string) STORED AS PARQUET LOCATION '{prefix}'""",
    )
    run_athena(athena, "MSCK REPAIR TABLE orders")
    rows = run_athena(athena, "SELECT region, count(*), sum(amount) FROM orders GROUP BY region ORDER BY region")
    assert [(r, int(n), float(s)) for r, n, s in rows] == [(r, n, float(s)) for r, n, s in expected]


def run_athena(athena, sql):
    qid = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": "unload_db"},
        ResultConfiguration={"OutputLocation": f"s3://{BUCKET}/athena-results/"},
    )["QueryExecutionId"]
    for _ in range(400):
        state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        if state["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.05)
    assert state["State"] == "SUCCEEDED", state
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    return [[d.get("VarCharValue") for d in r["Data"]] for r in rows[1:]]


# -- Spectrum ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lake(aws):
    glue = aws["glue"]
    glue.create_database(DatabaseInput={"Name": "sales_db"})
    parts = {}
    for year in (2022, 2023, 2024):
        lines = [json.dumps({"order_id": year * 100 + i, "cust_id": i % 5, "amount": i * 10.5}) for i in range(1, 21)]
        body = ("\n".join(lines) + "\n").encode()
        put(aws, f"lake/sales/year={year}/data.json", body)
        parts[year] = len(body)
    glue.create_table(
        DatabaseName="sales_db",
        TableInput={
            "Name": "sales",
            "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": [{"Name": "year", "Type": "int"}],
            "StorageDescriptor": {
                "Columns": [
                    {"Name": "order_id", "Type": "bigint"},
                    {"Name": "cust_id", "Type": "int"},
                    {"Name": "amount", "Type": "double"},
                ],
                "Location": f"s3://{BUCKET}/lake/sales/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
            },
        },
    )
    for year in parts:
        glue.create_partition(
            DatabaseName="sales_db",
            TableName="sales",
            PartitionInput={
                "Values": [str(year)],
                "StorageDescriptor": {
                    "Location": f"s3://{BUCKET}/lake/sales/year={year}/",
                    "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
                    "Columns": [
                        {"Name": "order_id", "Type": "bigint"},
                        {"Name": "cust_id", "Type": "int"},
                        {"Name": "amount", "Type": "double"},
                    ],
                },
            },
        )
    return parts


def test_spectrum_joins_lake_and_warehouse_with_partition_pruning(wh, lake):
    with pg(wh) as c:
        q(c, f"create external schema spectrum from data catalog database 'sales_db' iam_role '{ROLE}'")
        with pytest.raises(psycopg.Error, match='External database "nope" does not exist'):
            q(c, f"create external schema nope_s from data catalog database 'nope' iam_role '{ROLE}'")
        q(c, "create table customers (cust_id int distkey, name varchar(10))")
        q(c, "insert into customers select g, 'c' || g from generate_series(0, 4) g")
        assert q(c, "select schemaname, databasename from svv_external_schemas") == [("spectrum", "sales_db")]
        total = q(c, "select count(*), sum(amount) from spectrum.sales")
        joined = q(
            c,
            "select c.name, count(*) from spectrum.sales s join customers c on s.cust_id = c.cust_id "
            "where s.year = 2024 group by c.name order by c.name",
        )
        qid = q(c, "select pg_last_query_id()")[0][0]
        scan = q(
            c,
            "select total_partitions, qualified_partitions, files, s3_scanned_bytes, s3query_returned_rows "
            "from svl_s3query_summary where query = %s",
            (qid,),
        )
        with pytest.raises(psycopg.Error, match="read-only"):
            q(c, "insert into spectrum.sales values (1, 1, 1.0, 2024)")
        listed = q(c, "select schemaname, tablename, location from svv_external_tables where schemaname = 'spectrum'")
        cols = q(
            c,
            "select columnname, external_type, part_key from svv_external_columns "
            "where tablename = 'sales' order by columnnum",
        )
        parts = q(c, "select values, location from svv_external_partitions where tablename = 'sales' order by 1")
    assert listed == [("spectrum", "sales", f"s3://{BUCKET}/lake/sales/")]
    assert cols == [("order_id", "bigint", 0), ("cust_id", "int", 0), ("amount", "double", 0), ("year", "int", 1)]
    assert [p[0] for p in parts] == ['["2022"]', '["2023"]', '["2024"]']
    assert total == [(60, pytest.approx(sum(i * 10.5 for i in range(1, 21)) * 3))]
    assert joined == [(f"c{i}", 4) for i in range(5)]
    assert scan == [(3, 1, 1, lake[2024], 20)]


def test_spectrum_parquet_and_csv_tables(wh, aws, lake):
    glue = aws["glue"]
    table = pa.table(
        {
            "id": pa.array(range(1, 501), pa.int64()),
            "label": [f"item-{i}" for i in range(1, 501)],
            "price": pa.array([i * 0.5 for i in range(1, 501)], pa.float64()),
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf)
    put(aws, "lake/items/part-0.parquet", buf.getvalue())
    put(aws, "lake/items/_SUCCESS", b"")
    put(aws, "lake/regions/regions.csv", b"id,name\n1,north\n2,south\n")

    def create(name, cols, location, serde, params=None, fmt="text"):
        glue.create_table(
            DatabaseName="sales_db",
            TableInput={
                "Name": name,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": params or {},
                "StorageDescriptor": {
                    "Columns": [{"Name": n, "Type": t} for n, t in cols],
                    "Location": location,
                    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
                    if fmt == "parquet"
                    else "org.apache.hadoop.mapred.TextInputFormat",
                    "SerdeInfo": {"SerializationLibrary": serde, "Parameters": {"field.delim": ","}},
                },
            },
        )

    create(
        "items",
        [("id", "bigint"), ("label", "string"), ("price", "double")],
        f"s3://{BUCKET}/lake/items/",
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        fmt="parquet",
    )
    create(
        "regions",
        [("id", "int"), ("name", "string")],
        f"s3://{BUCKET}/lake/regions/",
        "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
        {"skip.header.line.count": "1"},
    )
    with pg(wh) as c:
        q(c, f"create external schema if not exists spectrum from data catalog database 'sales_db' iam_role '{ROLE}'")
        one_col = q(c, "select sum(price) from spectrum.items")
        qid = q(c, "select pg_last_query_id()")[0][0]
        scanned = q(
            c, "select files, s3_scanned_bytes, trim(file_format) from svl_s3query_summary where query = %s", (qid,)
        )
        regions = q(c, "select id, name from spectrum.regions order by id")
    assert one_col == [(pytest.approx(sum(i * 0.5 for i in range(1, 501))),)]
    meta = pq.ParquetFile(io.BytesIO(buf.getvalue())).metadata
    price_bytes = sum(meta.row_group(r).column(2).total_compressed_size for r in range(meta.num_row_groups))
    assert scanned == [(1, price_bytes, "PARQUET")]  # only the price column's chunks; _SUCCESS is not data
    assert price_bytes < len(buf.getvalue())
    assert regions == [(1, "north"), (2, "south")]


def test_spectrum_comparison_with_a_negated_string_keeps_the_connection(wh, lake):
    # the partition pruner negated the string '2024' (a TypeError): the proxy dropped the client's connection
    with pg(wh) as c:
        q(c, f"create external schema if not exists spectrum from data catalog database 'sales_db' iam_role '{ROLE}'")
        with pytest.raises(psycopg.Error) as err:
            q(c, "select count(*) from spectrum.sales where year = -'2024'")
        assert not isinstance(err.value, psycopg.OperationalError), err.value
        assert q(c, "select 1") == [(1,)]


def test_spectrum_without_an_s3_reader_is_refused_not_a_dropped_connection(runtime, lake):
    w = runtime.create_warehouse(
        "cluster:nos3",
        WarehouseConfig(
            name="nos3", admin_user=ADMIN, admin_password=PASSWORD, iam_roles=[ROLE], default_iam_role=ROLE
        ),
    )
    w.hooks = Hooks(spawn=runtime.hooks.spawn, catalog=runtime.hooks.catalog)  # the Glue catalog wired, S3 not
    try:
        w.start()
        with pg(w) as c:
            q(c, f"create external schema spectrum from data catalog database 'sales_db' iam_role '{ROLE}'")
            with pytest.raises(psycopg.errors.FeatureNotSupported, match="Spectrum without an S3 reader"):
                q(c, "select count(*) from spectrum.sales")
            assert q(c, "select 1") == [(1,)]
    finally:
        runtime.remove_warehouse("cluster:nos3")


# -- federated query ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory):
    from localcloud.engines.rds import mariadb as _mariadb
    from localcloud.processes import Supervisor

    if _mariadb.server_binary() is None:
        pytest.skip("no MariaDB server installed")
    sup = Supervisor()
    server = _mariadb.Server(tmp_path_factory.mktemp("fedmaria"), sup, "test", "fed")
    server.initialise()
    server.start(master_user="admin", password="Maria-Passw0rd")
    try:
        admin = server.admin()
        cur = admin.cursor()
        cur.execute("CREATE DATABASE shop")
        cur.execute(
            "CREATE TABLE shop.customers (id INT PRIMARY KEY, name VARCHAR(30), city VARCHAR(20), "
            "balance DECIMAL(8,2), joined DATETIME)"
        )
        cur.executemany(
            "INSERT INTO shop.customers VALUES (%s, %s, %s, %s, %s)",
            [(i, f"cust{i}", "Paris" if i % 2 else "Lyon", i * 1.5, f"2024-01-{i:02d} 10:00:00") for i in range(1, 11)],
        )
        admin.commit()
        admin.close()
        yield server
    finally:
        server.stop()
        sup.close()


def test_federated_query_reads_mysql_with_pushdown(wh, mariadb, runtime):
    import mysql.connector

    seen = []

    def connect(options):
        seen.append(options)
        secret = {"username": "admin", "password": "Maria-Passw0rd"}  # what the wiring reads from the secret
        return mysql.connector.connect(
            **mariadb.connect_kwargs(),  # its socket: the server's port is inside the private network
            user=secret["username"],
            password=secret["password"],
            database=options["database"],
        )

    wh.hooks.federated_connect = connect
    arn = f"arn:aws:secretsmanager:{config.REGION}:{config.ACCOUNT_ID}:secret:shop-AbCdEf"
    with pg(wh) as c:
        q(
            c,
            f"create external schema shop from mysql database 'shop' uri 'mydb.example.internal' port 3306 "
            f"iam_role '{ROLE}' secret_arn '{arn}'",
        )
        rows = q(
            c,
            "select name, balance, joined::date::text from shop.customers where city = 'Paris' and id > 4 order by id",
        )
        qid = q(c, "select pg_last_query_id()")[0][0]
        pushed = q(
            c,
            "select trim(source_type), external_query_text, returned_rows from sys_external_query_detail "
            "where query_id = %s",
            (qid,),
        )
        q(c, "create table local_orders (cust_id int, total int)")
        q(c, "insert into local_orders values (1, 10), (2, 20), (3, 30)")
        joined = q(
            c,
            "select c.city, sum(o.total) from local_orders o join shop.customers c on o.cust_id = c.id "
            "group by c.city order by c.city",
        )
    assert rows == [("cust5", 7.5, "2024-01-05"), ("cust7", 10.5, "2024-01-07"), ("cust9", 13.5, "2024-01-09")]
    assert [(t, n) for t, _, n in pushed] == [("MYSQL", 3)]
    assert "WHERE" in pushed[0][1] and "'Paris'" in pushed[0][1]
    assert joined == [("Lyon", 20), ("Paris", 40)]
    assert seen[0]["uri"] == "mydb.example.internal" and seen[0]["secret_arn"] == arn and seen[0]["port"] == 3306


# -- Serverless control plane + Data API ------------------------------------------------------------------------


def wait_status(runtime, name, status="AVAILABLE", timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        wg = runtime.serverless.get_workgroup({"workgroupName": name})["workgroup"]
        if wg["status"] == status:
            return wg
        time.sleep(0.1)
    raise AssertionError(f"workgroup {name} never became {status}")


@pytest.fixture(scope="module")
def serverless(runtime):
    sl = runtime.serverless
    ns = sl.create_namespace(
        {
            "namespaceName": "lab-ns",
            "adminUsername": ADMIN,
            "manageAdminPassword": True,
            "dbName": "dev",
            "iamRoles": [ROLE],
            "defaultIamRoleArn": ROLE,
        }
    )["namespace"]
    wg = sl.create_workgroup(
        {
            "workgroupName": "lab-wg",
            "namespaceName": "lab-ns",
            "baseCapacity": 8,
            "securityGroupIds": ["sg-123"],
            "publiclyAccessible": True,
        }
    )["workgroup"]
    assert wg["status"] == "CREATING" and "endpoint" not in wg
    wg = wait_status(runtime, "lab-wg")
    return {"ns": ns, "wg": wg, "secret": ns["adminPasswordSecretArn"]}


def test_serverless_control_plane(runtime, serverless):
    sl = runtime.serverless
    ns, wg = serverless["ns"], serverless["wg"]
    assert (
        ns["status"] == "AVAILABLE"
        and ns["adminUsername"] == ADMIN
        and ns["namespaceArn"].startswith(f"arn:aws:redshift-serverless:{config.REGION}:{config.ACCOUNT_ID}:namespace/")
    )
    assert runtime.secrets[serverless["secret"]]["username"] == ADMIN
    assert wg["endpoint"]["address"] == "127.0.0.1" and wg["baseCapacity"] == 8 and wg["securityGroupIds"] == ["sg-123"]
    assert [n["namespaceName"] for n in sl.list_namespaces({})["namespaces"]] == ["lab-ns"]
    assert [w["workgroupName"] for w in sl.list_workgroups({})["workgroups"]] == ["lab-wg"]
    password = runtime.secrets[serverless["secret"]]["password"]
    with psycopg.connect(
        host=wg["endpoint"]["address"], port=wg["endpoint"]["port"], user=ADMIN, password=password, dbname="dev"
    ) as c:
        assert c.execute("select current_user").fetchone() == (ADMIN,)
    cases = [
        (
            sl.create_namespace,
            {"namespaceName": "lab-ns", "adminUsername": "x", "adminUserPassword": "Abcdefg1"},
            "ConflictException",
        ),
        (sl.create_namespace, {"namespaceName": "Bad_Name"}, "ValidationException"),
        (
            sl.create_namespace,
            {"namespaceName": "weak-pw", "adminUsername": "x", "adminUserPassword": "short"},
            "ValidationException",
        ),
        (
            sl.create_namespace,
            {
                "namespaceName": "both-pw",
                "adminUsername": "x",
                "adminUserPassword": "Abcdefg1",
                "manageAdminPassword": True,
            },
            "ValidationException",
        ),
        (
            sl.create_workgroup,
            {"workgroupName": "wg-2", "namespaceName": "lab-ns", "baseCapacity": 12},
            "ValidationException",
        ),
        (sl.create_workgroup, {"workgroupName": "wg-3", "namespaceName": "lab-ns"}, "ConflictException"),
        (sl.create_workgroup, {"workgroupName": "wg-4", "namespaceName": "missing"}, "ResourceNotFoundException"),
        (sl.delete_namespace, {"namespaceName": "lab-ns"}, "ConflictException"),
        (sl.get_workgroup, {"workgroupName": "missing"}, "ResourceNotFoundException"),
    ]
    for op, params, code in cases:
        with pytest.raises(ApiError) as err:
            op(params)
        assert err.value.code == code, (op.__name__, params)


def data_api_run(runtime, sql, **kw):
    api = runtime.data_api
    params = {"WorkgroupName": "lab-wg", "Database": "dev", "Sql": sql, **kw}
    sid = api.execute_statement(params)["Id"]
    return sid, wait_statement(api, sid)


def wait_statement(api, sid, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = api.describe_statement({"Id": sid})
        if d["Status"] in ("FINISHED", "FAILED", "ABORTED"):
            return d
        time.sleep(0.02)
    raise AssertionError("statement did not finish")


def test_data_api_statement_lifecycle_and_result_shapes(runtime, serverless):
    api = runtime.data_api
    secret = {"SecretArn": serverless["secret"]}
    _, d = data_api_run(
        runtime,
        "create table da_t (id int, name varchar(10), price decimal(6,2), ok boolean, ratio float8, day date)",
        **secret,
    )
    assert d["Status"] == "FINISHED" and d["HasResultSet"] is False
    _, d = data_api_run(
        runtime,
        "insert into da_t select g, 'n' || g, g * 1.5, g % 2 = 0, g / 4.0, "
        "date '2024-01-01' + g from generate_series(1, 250) g",
        **secret,
    )
    assert d["ResultRows"] == 250
    sid, d = data_api_run(
        runtime,
        "select id, name, price, ok, ratio, day, null::int as nothing from da_t where id <= :n order by id",
        Parameters=[{"name": "n", "value": "3"}],
        **secret,
    )
    assert d["Status"] == "FINISHED" and d["HasResultSet"] and d["ResultRows"] == 3 and d["RedshiftQueryId"] > 0
    assert d["QueryParameters"] == [{"name": "n", "value": "3"}] and d["Duration"] > 0
    res = api.get_statement_result({"Id": sid})
    assert res["TotalNumRows"] == 3 and "NextToken" not in res
    assert [m["typeName"] for m in res["ColumnMetadata"]] == [
        "int4",
        "varchar",
        "numeric",
        "bool",
        "float8",
        "date",
        "int4",
    ]
    assert res["ColumnMetadata"][2]["precision"] == 6 and res["ColumnMetadata"][2]["scale"] == 2
    assert res["ColumnMetadata"][1]["length"] == 10 and res["ColumnMetadata"][0]["tableName"] == "da_t"
    assert res["Records"][0] == [
        {"longValue": 1},
        {"stringValue": "n1"},
        {"stringValue": "1.50"},
        {"booleanValue": False},
        {"doubleValue": 0.25},
        {"stringValue": "2024-01-02"},
        {"isNull": True},
    ]


def test_data_api_pagination_batch_errors_cancel(runtime, serverless):
    api = runtime.data_api
    secret = {"SecretArn": serverless["secret"]}
    sid, d = data_api_run(runtime, "select g as n, repeat('x', 100) as pad from generate_series(1, 3000) g", **secret)
    old = api.page_bytes
    api.page_bytes = 64 * 1024
    try:
        pages, token = [], None
        while True:
            res = api.get_statement_result({"Id": sid, **({"NextToken": token} if token else {})})
            pages.append(res["Records"])
            token = res.get("NextToken")
            if not token:
                break
    finally:
        api.page_bytes = old
    assert len(pages) > 1 and [r[0]["longValue"] for p in pages for r in p] == list(range(1, 3001))
    # a batch runs in one transaction; the failing statement rolls it back
    bid = api.batch_execute_statement(
        {
            "WorkgroupName": "lab-wg",
            "Database": "dev",
            **secret,
            "Sqls": [
                "create table batch_t (id int)",
                "insert into batch_t values (1)",
                "insert into batch_t values ('x')",
            ],
        }
    )["Id"]
    d = wait_statement(api, bid)
    assert d["Status"] == "FAILED" and [s["Status"] for s in d["SubStatements"]] == ["FINISHED", "FINISHED", "FAILED"]
    assert d["SubStatements"][0]["Id"] == f"{bid}:1"
    _, d = data_api_run(runtime, "select count(*) from batch_t", **secret)
    assert d["Status"] == "FAILED" and 'relation "batch_t" does not exist' in d["Error"]
    with pytest.raises(ApiError) as err:
        api.get_statement_result({"Id": d["Id"]})
    assert err.value.code == "ResourceNotFoundException"
    # cancel a running statement
    sid = api.execute_statement({"WorkgroupName": "lab-wg", "Database": "dev", **secret, "Sql": "select pg_sleep(30)"})[
        "Id"
    ]
    for _ in range(200):
        if api.describe_statement({"Id": sid})["Status"] == "STARTED":
            break
        time.sleep(0.02)
    assert api.cancel_statement({"Id": sid}) == {"Status": True}
    assert wait_statement(api, sid, timeout=10)["Status"] == "ABORTED"
    with pytest.raises(ApiError, match="already in ABORTED state"):
        api.cancel_statement({"Id": sid})
    listed = api.list_statements({"Status": "ABORTED"})["Statements"]
    assert [s["Id"] for s in listed] == [sid]
    for bad, code in [
        ({"Database": "dev", "Sql": "select 1"}, "ValidationException"),
        ({"WorkgroupName": "nope", "Database": "dev", "Sql": "select 1"}, "ResourceNotFoundException"),
        ({"WorkgroupName": "lab-wg", "Database": "dev", "Sql": "select :x", **secret}, "ValidationException"),
    ]:
        with pytest.raises(ApiError) as err:
            api.execute_statement(bad)
        assert err.value.code == code
    with pytest.raises(ApiError) as err:
        api.describe_statement({"Id": str(uuid.uuid4())})
    assert err.value.code == "ResourceNotFoundException"


def test_data_api_copy_failure_points_to_sys_load_error_detail(runtime, serverless, aws):
    src = put(aws, "copy/serverless/bad.csv", b"1,ok\n2x,bad\n")
    secret = {"SecretArn": serverless["secret"]}
    _, d = data_api_run(runtime, "create table sl_load (id int, v varchar(5))", **secret)
    _, d = data_api_run(runtime, f"copy sl_load from '{src}' iam_role default csv", **secret)
    assert d["Status"] == "FAILED"
    assert (
        d["Error"] == "ERROR: Load into table 'sl_load' failed. Check 'sys_load_error_detail' system table for details."
    )
    sid, d = data_api_run(
        runtime,
        f"select line_number, trim(column_name), error_code from sys_load_error_detail where trim(file_name) = '{src}'",
        **secret,
    )
    assert runtime.data_api.get_statement_result({"Id": sid})["Records"] == [
        [{"longValue": 2}, {"stringValue": "id"}, {"longValue": 1207}]
    ]


def test_data_api_sessions_keep_temp_tables(runtime, serverless):
    api = runtime.data_api
    secret = {"SecretArn": serverless["secret"]}
    first = api.execute_statement(
        {
            "WorkgroupName": "lab-wg",
            "Database": "dev",
            **secret,
            "Sql": "create temp table scratch as select 5 as v",
            "SessionKeepAliveSeconds": 60,
        }
    )
    assert wait_statement(api, first["Id"])["Status"] == "FINISHED"
    again = api.execute_statement({"SessionId": first["SessionId"], "Sql": "select v from scratch"})
    assert wait_statement(api, again["Id"])["Status"] == "FINISHED"
    assert api.get_statement_result({"Id": again["Id"]})["Records"] == [[{"longValue": 5}]]
    _, d = data_api_run(runtime, "select v from scratch", **secret)  # a new session: no such table
    assert d["Status"] == "FAILED"
    with pytest.raises(ApiError, match="use BatchExecuteStatement"):
        api.execute_statement({"WorkgroupName": "lab-wg", "Database": "dev", **secret, "Sql": "select 1; select 2"})


def test_data_api_and_wire_see_the_same_data_on_a_cluster(runtime, wh):
    api = runtime.data_api
    with pg(wh) as c:
        q(c, "create table shared_t (v int)")
        q(c, "insert into shared_t values (41), (1)")
    sid = api.execute_statement(
        {"ClusterIdentifier": "lab", "Database": "dev", "DbUser": ADMIN, "Sql": "select sum(v) from shared_t"}
    )["Id"]
    assert wait_statement(api, sid)["Status"] == "FINISHED"
    assert api.get_statement_result({"Id": sid})["Records"] == [[{"longValue": 42}]]


def test_data_api_statement_queued_while_its_warehouse_stops_fails(runtime):
    # it stayed SUBMITTED for ever: opening its session on the stopped warehouse raised an AttributeError
    import threading

    from localcloud.engines.redshift.data_api import DataApi

    w = runtime.create_warehouse(
        "cluster:stopping", WarehouseConfig(name="stopping", admin_user=ADMIN, admin_password=PASSWORD)
    )
    api = DataApi(runtime, workers=1)
    gate = threading.Event()
    try:
        w.start()
        api._pool.submit(gate.wait, 60)  # the statements ahead of it: the only worker is busy
        sid = api.execute_statement(
            {"ClusterIdentifier": "stopping", "Database": "dev", "DbUser": ADMIN, "Sql": "select 1"}
        )["Id"]
        w.stop()  # PauseCluster, say, while the statement waits for a worker
        gate.set()
        d = wait_statement(api, sid, timeout=30)
    finally:
        gate.set()
        api.close()
        runtime.remove_warehouse("cluster:stopping")
    assert d["Status"] == "FAILED"
    assert d["Error"] == "FATAL: the database system is not accepting connections"


def test_data_api_statement_whose_session_cannot_open_fails(runtime, serverless):
    # a secret without a password (a KeyError while opening the session) left it SUBMITTED for ever
    arn = serverless["secret"] + "-nopw"
    runtime.secrets[arn] = {"username": "admin"}
    _, d = data_api_run(runtime, "select 1", SecretArn=arn)
    assert d["Status"] == "FAILED"
    assert d["Error"] == "FATAL: could not open a session: KeyError: 'password'"


def test_workgroup_delete_keeps_namespace_data(runtime, serverless):
    secret = {"SecretArn": serverless["secret"]}
    _, d = data_api_run(runtime, "create table keepme as select 7 as v", **secret)
    assert d["Status"] == "FINISHED"
    sl = runtime.serverless
    assert sl.delete_workgroup({"workgroupName": "lab-wg"})["workgroup"]["status"] == "DELETING"
    with pytest.raises(ApiError) as err:
        sl.get_workgroup({"workgroupName": "lab-wg"})
    assert err.value.code == "ResourceNotFoundException"
    sl.create_workgroup({"workgroupName": "lab-wg", "namespaceName": "lab-ns", "baseCapacity": 8})
    wait_status(runtime, "lab-wg")
    sid, d = data_api_run(runtime, "select v from keepme", **secret)
    assert runtime.data_api.get_statement_result({"Id": sid})["Records"] == [[{"longValue": 7}]]


def test_no_orphan_processes_after_close(tmp_path, aws):
    spawned = Spawned()
    rt = Runtime(tmp_path / "rt", Hooks(spawn=spawned))
    w = rt.create_warehouse("cluster:x", WarehouseConfig(name="x", admin_user=ADMIN, admin_password=PASSWORD))
    w.start()
    with pg(w) as c:
        assert c.execute("select 1").fetchone() == (1,)
    pids = [p.pid for p in spawned.procs]
    rt.close()
    spawned.supervisor.close()
    assert pids and all(p.poll() is not None for p in spawned.procs)
    assert not any(
        Path(f"/proc/{pid}").exists() and "postgres" in Path(f"/proc/{pid}/cmdline").read_text(errors="ignore")
        for pid in pids
    )
    assert not (tmp_path / "rt" / "pg").exists() or not any((tmp_path / "rt" / "pg").iterdir())


# -- the warehouse's PostgreSQL cannot be reached around the endpoint (issue 12) ---------------------


def _listening_tcp_ports(pid: int) -> set[int]:
    """TCP ports process ``pid`` listens on (its socket inodes matched against /proc/net/tcp*)."""
    inodes = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except FileNotFoundError:  # a short-lived backend that has exited since
        return set()
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_postgres_listens_on_no_tcp_port_and_its_socket_is_private(wh):
    """The attack: find the warehouse's PostgreSQL and connect to it straight, around the endpoint
    (where security groups and passwords are checked).  The server has no TCP port at all (only the
    proxy has one), and its Unix socket (trust authentication inside) is in a 0700 folder another
    local account cannot enter."""
    server = wh.server
    postmaster = server.proc.pid
    family = [postmaster, *(int(p) for p in Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split())]
    assert len(family) > 1  # the postmaster and its background processes
    for pid in family:
        assert _listening_tcp_ports(pid) == set(), f"postgres process {pid} listens on TCP"
    assert wh.endpoint[1] in _listening_tcp_ports(os.getpid())  # the proxy, in this process, is the way in

    st = os.stat(server.socket_dir)
    assert st.st_mode & 0o777 == 0o700
    if os.geteuid() == 0:  # PostgreSQL runs as its own account, not as root
        assert st.st_uid == server.home.uid != 0
    else:
        assert st.st_uid == os.geteuid()
    psql = str(bindir() / "psql")
    attack = [psql, "-h", str(server.socket_dir), "-p", "5439", "-U", "lc_internal", "-d", "dev", "-c", "select 1"]
    if os.geteuid() == 0 and shutil.which("runuser"):
        out = subprocess.run(["runuser", "-u", "nobody", "--", *attack], capture_output=True, text=True, timeout=30)
        assert out.returncode != 0
        assert "Permission denied" in out.stderr, out.stderr
