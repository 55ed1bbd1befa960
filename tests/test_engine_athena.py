"""localcloud's Athena engine against ground truth computed with pandas over the same data."""

from __future__ import annotations

import io
import time

import boto3
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from helpers import lab
from helpers.paths import data_file

BUCKET = "athena-engine-tests"
OUT = f"s3://{BUCKET}/results/"


@pytest.fixture(scope="module")
def env():
    lab.start("04")
    s3, athena, glue = boto3.client("s3"), boto3.client("athena"), boto3.client("glue")
    s3.create_bucket(Bucket=BUCKET)
    sales = pd.read_csv(data_file("sales_data_sample.csv"), keep_default_na=False, dtype={"POSTALCODE": str})
    s3.put_object(Bucket=BUCKET, Key="json/sales.json", Body=sales.to_json(orient="records", lines=True).encode())
    sizes = {}
    for country, g in sales.groupby("COUNTRY"):
        body = g.drop(columns="COUNTRY").to_json(orient="records", lines=True).encode()
        s3.put_object(Bucket=BUCKET, Key=f"part/country={country}/data.json", Body=body)
        sizes[country] = len(body)
    glue.create_database(DatabaseInput={"Name": "t_db"})
    yield {"s3": s3, "athena": athena, "glue": glue, "sales": sales, "sizes": sizes}


def run(env, sql, db="t_db", expect="SUCCEEDED"):
    athena = env["athena"]
    qid = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": db}, ResultConfiguration={"OutputLocation": OUT}
    )["QueryExecutionId"]
    for _ in range(200):
        ex = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if ex["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.05)
    assert ex["Status"]["State"] == expect, ex["Status"].get("StateChangeReason")
    return qid, ex


def rows(env, sql, **kw):
    qid, ex = run(env, sql, **kw)
    out = []
    for page in env["athena"].get_paginator("get_query_results").paginate(QueryExecutionId=qid):
        out += [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
    return out, ex


SALES_COLS = (
    "ordernumber int, quantityordered int, priceeach double, orderlinenumber int, sales double, "
    "orderdate string, status string, qtr_id int, month_id int, year_id int, productline string, "
    "msrp int, productcode string, customername string, phone string, addressline1 string, "
    "addressline2 string, city string, state string, postalcode string, country string, "
    "territory string, contactlastname string, contactfirstname string, dealsize string"
)


@pytest.fixture(scope="module")
def sales_table(env):
    run(
        env,
        f"CREATE EXTERNAL TABLE sales ({SALES_COLS}) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' "
        f"LOCATION 's3://{BUCKET}/json/'",
    )
    return "sales"


def test_aggregates_match_pandas(env, sales_table):
    df = env["sales"]
    got, ex = rows(
        env, "SELECT year_id, count(*) AS n, sum(quantityordered) AS q FROM sales GROUP BY year_id ORDER BY 1"
    )
    assert got[0] == ["year_id", "n", "q"]
    want = df.groupby("YEAR_ID").agg(n=("SALES", "size"), q=("QUANTITYORDERED", "sum")).reset_index()
    assert got[1:] == [[str(a), str(b), str(c)] for a, b, c in want.itertuples(index=False)]
    assert ex["Statistics"]["DataScannedInBytes"] == len(df.to_json(orient="records", lines=True).encode())
    got, _ = rows(env, "SELECT productline, sum(sales) AS s FROM sales GROUP BY productline ORDER BY productline")
    want = df.groupby("PRODUCTLINE")["SALES"].sum()
    assert [r[0] for r in got[1:]] == list(want.index)
    assert [float(r[1]) for r in got[1:]] == pytest.approx(list(want.values))


def test_column_info_and_unnamed_columns(env, sales_table):
    qid, _ = run(env, "SELECT count(*), avg(priceeach), max(orderdate), sum(msrp) FROM sales")
    meta = env["athena"].get_query_results(QueryExecutionId=qid)["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"]) for c in meta] == [
        ("_col0", "bigint"),
        ("_col1", "double"),
        ("_col2", "varchar"),
        ("_col3", "bigint"),
    ]


def test_join_with_a_csv_dimension(env, sales_table):
    dim = "code,label\nSmall,S\nMedium,M\nLarge,L\n"
    env["s3"].put_object(Bucket=BUCKET, Key="dim/deal.csv", Body=dim.encode())
    run(
        env,
        f"CREATE EXTERNAL TABLE deal (code string, label string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
        f"LOCATION 's3://{BUCKET}/dim/' TBLPROPERTIES ('skip.header.line.count'='1')",
    )
    got, _ = rows(
        env, "SELECT d.label, count(*) FROM sales s JOIN deal d ON s.dealsize = d.code GROUP BY d.label ORDER BY 1"
    )
    want = env["sales"]["DEALSIZE"].map({"Small": "S", "Medium": "M", "Large": "L"}).value_counts().sort_index()
    assert got[1:] == [[k, str(v)] for k, v in want.items()]


def test_partitions_need_registering_and_prune(env):
    cols = SALES_COLS.replace(", country string", "")
    run(
        env,
        f"CREATE EXTERNAL TABLE parted ({cols}) PARTITIONED BY (country string) "
        f"ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://{BUCKET}/part/'",
    )
    assert rows(env, "SELECT count(*) FROM parted")[0][1] == ["0"]
    got, _ = rows(env, "MSCK REPAIR TABLE parted")
    assert len(got) == 1 + len(env["sizes"])
    parts, _ = rows(env, "SHOW PARTITIONS parted")
    assert [p[0] for p in parts] == sorted(f"country={c}" for c in env["sizes"])
    got, ex = rows(env, "SELECT count(*) FROM parted WHERE country = 'USA'")
    assert got[1] == [str((env["sales"]["COUNTRY"] == "USA").sum())]
    assert ex["Statistics"]["DataScannedInBytes"] == env["sizes"]["USA"]
    got, ex = rows(env, "SELECT count(*) FROM parted WHERE country IN ('France', 'Spain') AND year_id = 2004")
    df = env["sales"]
    assert got[1] == [str(((df.COUNTRY.isin(["France", "Spain"])) & (df.YEAR_ID == 2004)).sum())]
    assert ex["Statistics"]["DataScannedInBytes"] == env["sizes"]["France"] + env["sizes"]["Spain"]
    run(env, "ALTER TABLE parted DROP PARTITION (country='USA')")
    assert rows(env, "SELECT count(*) FROM parted WHERE country = 'USA'")[0][1] == ["0"]
    run(env, f"ALTER TABLE parted ADD PARTITION (country='USA') LOCATION 's3://{BUCKET}/part/country=USA/'")
    run(env, "ALTER TABLE parted ADD PARTITION (country='USA')", expect="FAILED")
    run(env, "ALTER TABLE parted ADD IF NOT EXISTS PARTITION (country='USA')")
    assert rows(env, "SELECT count(*) FROM parted")[0][1] == [str(len(df))]


def test_ddl_round_trip(env):
    run(env, "CREATE DATABASE ddl_db")
    run(env, "CREATE DATABASE ddl_db", expect="FAILED")
    run(
        env,
        f"CREATE EXTERNAL TABLE ddl_db.t1 (A int, b array<string>, c decimal(10,2)) PARTITIONED BY (dt string) "
        f"STORED AS PARQUET LOCATION 's3://{BUCKET}/ddl/' TBLPROPERTIES ('parquet.compression'='SNAPPY')",
    )
    t = env["glue"].get_table(DatabaseName="ddl_db", Name="t1")["Table"]
    assert [(c["Name"], c["Type"]) for c in t["StorageDescriptor"]["Columns"]] == [
        ("a", "int"),
        ("b", "array<string>"),
        ("c", "decimal(10,2)"),
    ]
    assert t["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert t["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert t["Parameters"]["parquet.compression"] == "SNAPPY"
    assert rows(env, "SHOW TABLES IN ddl_db")[0] == [["t1"]]
    assert [r[0] for r in rows(env, "SHOW COLUMNS IN ddl_db.t1")[0]] == ["a", "b", "c", "dt"]
    assert rows(env, "DESCRIBE ddl_db.t1")[0][0][0].split("\t")[0].strip() == "a"
    run(env, "DROP DATABASE ddl_db", expect="FAILED")  # not empty
    run(env, "DROP TABLE ddl_db.t1")
    run(env, "DROP TABLE ddl_db.t1", expect="FAILED")
    run(env, "DROP TABLE IF EXISTS ddl_db.t1")
    run(env, "DROP DATABASE ddl_db")
    assert "ddl_db" not in [r[0] for r in rows(env, "SHOW DATABASES")[0]]


def test_serde_variants(env):
    s3 = env["s3"]
    s3.put_object(Bucket=BUCKET, Key="ocsv/a.csv", Body=b'id,name,amount\n1,"Smith, John",2.5\n2,"O""Neil",3\n')
    run(
        env,
        f"CREATE EXTERNAL TABLE ocsv (id int, name string, amount double) "
        f"ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
        f"WITH SERDEPROPERTIES ('separatorChar'=',', 'quoteChar'='\"') LOCATION 's3://{BUCKET}/ocsv/' "
        f"TBLPROPERTIES ('skip.header.line.count'='1')",
    )
    assert rows(env, "SELECT * FROM ocsv ORDER BY id")[0][1:] == [["1", "Smith, John", "2.5"], ["2", 'O"Neil', "3.0"]]
    s3.put_object(Bucket=BUCKET, Key="tsv/a.tsv", Body=b"1\tx\t\n2\t\\N\tnotanumber\n")
    run(
        env,
        f"CREATE EXTERNAL TABLE tsv (id int, s string, n int) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' "
        f"LOCATION 's3://{BUCKET}/tsv/'",
    )
    assert rows(env, "SELECT * FROM tsv ORDER BY id")[0][1:] == [["1", "x", None], ["2", None, None]]
    s3.put_object(Bucket=BUCKET, Key="hj/a.json", Body=b'{"Id": 1, "Tags": ["a","b"]}\n{"id": 2}\n')
    run(
        env,
        f"CREATE EXTERNAL TABLE hj (id int, tags array<string>, missing string) "
        f"ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe' LOCATION 's3://{BUCKET}/hj/'",
    )
    assert rows(env, "SELECT * FROM hj ORDER BY id")[0][1:] == [["1", "[a, b]", None], ["2", None, None]]
    s3.put_object(Bucket=BUCKET, Key="bad/a.json", Body=b'{"id": 1}\nnot json\n{"id": 3}\n')
    for name, ignore in (("bad_strict", "false"), ("bad_lenient", "true")):
        run(
            env,
            f"CREATE EXTERNAL TABLE {name} (id int) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' "
            f"WITH SERDEPROPERTIES ('ignore.malformed.json'='{ignore}') LOCATION 's3://{BUCKET}/bad/'",
        )
    _, ex = run(env, "SELECT count(*) FROM bad_strict", expect="FAILED")
    assert ex["Status"]["StateChangeReason"].startswith("HIVE_BAD_DATA")
    assert rows(env, "SELECT count(*), count(id) FROM bad_lenient")[0][1] == ["3", "2"]


def test_parquet_scans_only_the_columns_read(env):
    t = pa.table(
        {
            "a": pa.array(range(50000)),
            "b": pa.array([f"text {i}" for i in range(50000)]),
            "c": pa.array([i * 0.5 for i in range(50000)]),
        }
    )
    buf = io.BytesIO()
    pq.write_table(t, buf)
    env["s3"].put_object(Bucket=BUCKET, Key="pq/f.parquet", Body=buf.getvalue())
    meta = pq.read_metadata(io.BytesIO(buf.getvalue()))
    size = {meta.row_group(0).column(i).path_in_schema: 0 for i in range(3)}
    for rg in range(meta.num_row_groups):
        for i in range(3):
            col = meta.row_group(rg).column(i)
            size[col.path_in_schema] += col.total_compressed_size
    run(env, f"CREATE EXTERNAL TABLE pqt (a bigint, c double, z string) STORED AS PARQUET LOCATION 's3://{BUCKET}/pq/'")
    got, ex = rows(env, "SELECT sum(a), count(z) FROM pqt")
    assert got[1] == [str(sum(range(50000))), "0"]  # z is not in the file: NULL
    assert ex["Statistics"]["DataScannedInBytes"] == size["a"]
    _, ex = rows(env, "SELECT sum(a), sum(c) FROM pqt")
    assert ex["Statistics"]["DataScannedInBytes"] == size["a"] + size["c"]


def test_ctas_view_and_result_file(env, sales_table):
    _, ex = run(
        env,
        f"CREATE TABLE sales_pq WITH (format='PARQUET', external_location='s3://{BUCKET}/ctas/', "
        f"partitioned_by=ARRAY['year_id']) AS SELECT ordernumber, sales, year_id FROM sales",
    )
    assert ex["StatementType"] == "DML" and ex["SubstatementType"] == "CREATE_TABLE_AS_SELECT"
    keys = [o["Key"] for o in env["s3"].list_objects_v2(Bucket=BUCKET, Prefix="ctas/")["Contents"]]
    assert sorted({k.split("/")[1] for k in keys}) == ["year_id=2003", "year_id=2004", "year_id=2005"]
    got, _ = rows(env, "SELECT year_id, count(*) FROM sales_pq GROUP BY 1 ORDER BY 1")
    assert got[1:] == [[str(y), str(n)] for y, n in env["sales"].groupby("YEAR_ID").size().items()]
    _, ex = run(
        env, f"CREATE TABLE sales_pq2 WITH (external_location='s3://{BUCKET}/ctas/') AS SELECT 1 AS x", expect="FAILED"
    )
    assert ex["Status"]["StateChangeReason"].startswith("HIVE_PATH_ALREADY_EXISTS")
    # Bucketing is not written locally: refused by name, never a table silently written unbucketed.
    _, ex = run(
        env,
        f"CREATE TABLE sales_bk WITH (external_location='s3://{BUCKET}/bk/', bucketed_by=ARRAY['ordernumber'], "
        "bucket_count=4) AS SELECT ordernumber, sales FROM sales",
        expect="FAILED",
    )
    reason = ex["Status"]["StateChangeReason"]
    assert reason.startswith("NOT_SUPPORTED") and "bucketed_by" in reason, reason
    assert "Contents" not in env["s3"].list_objects_v2(Bucket=BUCKET, Prefix="bk/")
    run(env, "CREATE VIEW big_orders AS SELECT ordernumber, sales FROM sales WHERE sales > 7000")
    got, _ = rows(env, "SELECT count(*) FROM big_orders")
    assert got[1] == [str((env["sales"]["SALES"] > 7000).sum())]
    qid, ex = run(env, "SELECT 'a\"b' AS s, CAST(NULL AS integer) AS n, 1.5e7 AS d")
    loc = ex["ResultConfiguration"]["OutputLocation"]
    assert loc == f"{OUT}{qid}.csv"
    body = env["s3"].get_object(Bucket=BUCKET, Key=loc.split("/", 3)[3])["Body"].read()
    assert body == b'"s","n","d"\n"a""b",,"1.5E7"\n'


def test_error_shapes(env, sales_table):
    with pytest.raises(ClientError) as exc:
        env["athena"].start_query_execution(QueryString="SELECT 1")
    assert exc.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "No output location provided" in exc.value.response["Error"]["Message"]
    for sql, prefix in [
        ("SELECT * FROM nope", "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.t_db.nope' does not exist"),
        ("SELECT nope FROM sales", "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved"),
        ("SELEC 1", "SYNTAX_ERROR: line 1:"),
        ("SELECT * FROM x.y", "SCHEMA_NOT_FOUND"),
    ]:
        qid, ex = run(env, sql, expect="FAILED")
        assert ex["Status"]["StateChangeReason"].startswith(prefix), ex["Status"]["StateChangeReason"]
    with pytest.raises(ClientError, match="Query did not finish successfully"):
        env["athena"].get_query_results(QueryExecutionId=qid)
    with pytest.raises(ClientError, match="was not found"):
        env["athena"].get_query_execution(QueryExecutionId="00000000-0000-0000-0000-000000000000")


def test_window_offset_of_another_type_is_function_not_found(env):
    """lag/lead take a bigint offset: another type is Athena's FUNCTION_NOT_FOUND (it was sent to
    DuckDB as ``CAST( AS BIGINT)``, which failed as invalid SQL)."""
    for sql, fn in [
        ("SELECT lag(x, 'a') OVER (ORDER BY x) FROM (VALUES 1, 2) AS t(x)", "lag"),
        ("SELECT lead(x, true) OVER (ORDER BY x) FROM (VALUES 1, 2) AS t(x)", "lead"),
        # and argument counts no signature has (they were accepted, the extra argument ignored)
        ("SELECT lag(x, 1, 0, 5) OVER (ORDER BY x) FROM (VALUES 1, 2) AS t(x)", "lag"),
        ("SELECT nth_value(x, 'a') OVER (ORDER BY x) FROM (VALUES 1, 2) AS t(x)", "nth_value"),
        ("SELECT first_value(x, 2) OVER (ORDER BY x) FROM (VALUES 1, 2) AS t(x)", "first_value"),
    ]:
        _, ex = run(env, sql, expect="FAILED")
        reason = ex["Status"]["StateChangeReason"]
        assert reason.startswith("FUNCTION_NOT_FOUND: line 1:8: Unexpected parameters (integer, "), reason
        assert reason.endswith(f") for function {fn}"), reason
    ok, _ = rows(env, "SELECT x, lag(x, 1) OVER (ORDER BY x) AS p FROM (VALUES 1, 2) AS t(x) ORDER BY x")
    assert ok[1:] == [["1", None], ["2", "1"]]


def test_pagination_and_pyathena(env, sales_table):
    qid, _ = run(env, "SELECT ordernumber FROM sales")
    pages = list(
        env["athena"]
        .get_paginator("get_query_results")
        .paginate(QueryExecutionId=qid, PaginationConfig={"PageSize": 1000})
    )
    assert [len(p["ResultSet"]["Rows"]) for p in pages] == [1000, 1000, 824]
    from pyathena import connect

    cur = connect(s3_staging_dir=OUT, schema_name="t_db", region_name="us-east-1").cursor()
    cur.execute("SELECT * FROM sales")
    assert len(cur.fetchall()) == len(env["sales"])
    assert cur.data_scanned_in_bytes > 0 and cur.description[0][:2] == ("ordernumber", "integer")


def test_pandas_cursor(env, sales_table):
    from pyathena import connect
    from pyathena.pandas.cursor import PandasCursor

    cur = connect(s3_staging_dir=OUT, schema_name="t_db", region_name="us-east-1", cursor_class=PandasCursor).cursor()
    df = cur.execute("SELECT year_id, count(*) AS n FROM sales GROUP BY 1 ORDER BY 1").as_pandas()
    assert df["n"].tolist() == env["sales"].groupby("YEAR_ID").size().tolist()


def test_stop_query(env, sales_table):
    athena = env["athena"]
    qid = athena.start_query_execution(
        QueryString=(
            "SELECT count(*) FROM sales a CROSS JOIN sales b CROSS JOIN sales c WHERE a.sales + b.sales > c.sales"
        ),
        QueryExecutionContext={"Database": "t_db"},
        ResultConfiguration={"OutputLocation": OUT},
    )["QueryExecutionId"]
    # wait until it runs (GetQueryExecution long-polls): the cross join cannot finish meanwhile
    states = []
    for _ in range(100):
        states.append(athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"])
        if states[-1] != "QUEUED":
            break
    assert states[-1] == "RUNNING", states
    athena.stop_query_execution(QueryExecutionId=qid)
    assert athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] == "CANCELLED"
    assert qid in athena.list_query_executions()["QueryExecutionIds"]


def test_crawler_infers_and_updates(env):
    s3, glue = env["s3"], env["glue"]
    s3.put_object(Bucket=BUCKET, Key="crawl/events/dt=1/a.json", Body=b'{"id": 1, "name": "a"}\n')
    glue.create_crawler(
        Name="t-crawler",
        Role="arn:aws:iam::123456789012:role/x",
        DatabaseName="t_db",
        Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/crawl/events/"}]},
    )

    def crawl():
        glue.start_crawler(Name="t-crawler")
        states = []
        for _ in range(100):
            states.append(glue.get_crawler(Name="t-crawler")["Crawler"]["State"])
            if states[-1] == "READY":
                break
            time.sleep(0.02)
        assert states[0] in ("RUNNING", "STOPPING") and states[-1] == "READY"
        assert glue.get_crawler(Name="t-crawler")["Crawler"]["LastCrawl"]["Status"] == "SUCCEEDED"
        return glue.get_table(DatabaseName="t_db", Name="events")["Table"]

    t = crawl()
    assert [(c["Name"], c["Type"]) for c in t["StorageDescriptor"]["Columns"]] == [("id", "int"), ("name", "string")]
    assert t["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    s3.put_object(Bucket=BUCKET, Key="crawl/events/dt=2/a.json", Body=b'{"id": 2, "name": "b", "score": 1.5}\n')
    t = crawl()
    assert [c["Name"] for c in t["StorageDescriptor"]["Columns"]] == ["id", "name", "score"]
    assert rows(env, "SELECT dt, id, score FROM events ORDER BY id")[0][1:] == [["1", "1", None], ["2", "2", "1.5"]]


# ---- a repeated query reuses its plan (parse + translation) only while Glue is unchanged ------------


def _parquet_bytes(**cols) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table(cols), buf)
    return buf.getvalue()


def test_repeated_query_sees_every_catalog_and_s3_change(env):
    """Each step reruns the same query text after a change that alters its answer: a plan kept
    from the run before (engine.sql.Plan) must never answer as the catalog or S3 were then."""
    s3, glue, athena = env["s3"], env["glue"], env["athena"]
    s3.put_object(Bucket=BUCKET, Key="plan/t/a.parquet", Body=_parquet_bytes(k=[1, 2], v=[10, 20]))
    run(env, f"CREATE EXTERNAL TABLE plan_t (k bigint, v bigint) STORED AS PARQUET LOCATION 's3://{BUCKET}/plan/t/'")
    q = "SELECT count(*), sum(v) FROM plan_t"
    assert rows(env, q)[0][1] == ["2", "30"]
    assert rows(env, q)[0][1] == ["2", "30"]  # the plan reused
    assert rows(env, "SELECT count(*) FROM plan_t TABLESAMPLE BERNOULLI (0)")[0][1] == ["0"]
    assert rows(env, "SELECT count(*) FROM plan_t TABLESAMPLE BERNOULLI (100)")[0][1] == ["2"]
    # an object written to the table's location is read by the next run
    s3.put_object(Bucket=BUCKET, Key="plan/t/b.parquet", Body=_parquet_bytes(k=[3], v=[5]))
    assert rows(env, q)[0][1] == ["3", "35"]
    # ... and one removed is no longer read
    s3.delete_object(Bucket=BUCKET, Key="plan/t/b.parquet")
    assert rows(env, q)[0][1] == ["2", "30"]

    # a column's type changed through the Glue API (not through Athena)
    star = "SELECT * FROM plan_t ORDER BY k"
    qid, _ = run(env, star)
    meta = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [c["Type"] for c in meta] == ["bigint", "bigint"]
    table = glue.get_table(DatabaseName="t_db", Name="plan_t")["Table"]
    sd = dict(table["StorageDescriptor"], Columns=[{"Name": "k", "Type": "bigint"}, {"Name": "v", "Type": "double"}])
    glue.update_table(
        DatabaseName="t_db",
        TableInput={k: table[k] for k in ("Name", "TableType", "Parameters", "PartitionKeys")}
        | {"StorageDescriptor": sd},
    )
    qid, _ = run(env, star)
    meta = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [c["Type"] for c in meta] == ["bigint", "double"]
    assert rows(env, star)[0][1:] == [["1", "10.0"], ["2", "20.0"]]

    # the table dropped and made again with other columns and another location (Athena DDL)
    s3.put_object(Bucket=BUCKET, Key="plan/t2/a.parquet", Body=_parquet_bytes(k=[7], v=[70]))
    run(env, "DROP TABLE plan_t")
    run(env, f"CREATE EXTERNAL TABLE plan_t (v bigint) STORED AS PARQUET LOCATION 's3://{BUCKET}/plan/t2/'")
    _, ex = run(env, star, expect="FAILED")  # k is gone
    assert "COLUMN_NOT_FOUND" in ex["Status"]["StateChangeReason"]
    assert rows(env, "SELECT * FROM plan_t")[0] == [["v"], ["70"]]
    assert rows(env, q)[0][1] == ["1", "70"]
    # dropped: Athena's error, not the old plan's answer
    run(env, "DROP TABLE plan_t")
    _, ex = run(env, q, expect="FAILED")
    assert "TABLE_NOT_FOUND" in ex["Status"]["StateChangeReason"]


def test_repeated_query_sees_partitions_views_and_databases(env):
    s3, glue = env["s3"], env["glue"]
    for c, v in (("a", 1), ("b", 2), ("c", 4)):
        s3.put_object(Bucket=BUCKET, Key=f"plan/p/c={c}/f.parquet", Body=_parquet_bytes(v=[v]))
    run(
        env,
        f"CREATE EXTERNAL TABLE plan_p (v bigint) PARTITIONED BY (c string) STORED AS PARQUET "
        f"LOCATION 's3://{BUCKET}/plan/p/'",
    )
    q = "SELECT count(*), sum(v) FROM plan_p WHERE c <> 'zzz'"
    assert rows(env, q)[0][1] == ["0", None]
    run(env, "ALTER TABLE plan_p ADD PARTITION (c='a') LOCATION 's3://" + BUCKET + "/plan/p/c=a/'")
    assert rows(env, q)[0][1] == ["1", "1"]
    # a partition registered through the Glue API, then one through MSCK REPAIR TABLE
    sd = glue.get_table(DatabaseName="t_db", Name="plan_p")["Table"]["StorageDescriptor"]
    glue.batch_create_partition(
        DatabaseName="t_db",
        TableName="plan_p",
        PartitionInputList=[{"Values": ["b"], "StorageDescriptor": dict(sd, Location=f"s3://{BUCKET}/plan/p/c=b/")}],
    )
    assert rows(env, q)[0][1] == ["2", "3"]
    run(env, "MSCK REPAIR TABLE plan_p")
    assert rows(env, q)[0][1] == ["3", "7"]
    # a partition's location moved through the Glue API
    glue.update_partition(
        DatabaseName="t_db",
        TableName="plan_p",
        PartitionValueList=["b"],
        PartitionInput={"Values": ["b"], "StorageDescriptor": dict(sd, Location=f"s3://{BUCKET}/plan/p/c=c/")},
    )
    assert rows(env, q)[0][1] == ["3", "9"]
    run(env, "ALTER TABLE plan_p DROP PARTITION (c='a')")
    assert rows(env, q)[0][1] == ["2", "8"]

    # a view replaced, and a table the view reads changed underneath it
    run(env, "CREATE OR REPLACE VIEW plan_v AS SELECT sum(v) AS s FROM plan_p")
    assert rows(env, "SELECT s FROM plan_v")[0][1] == ["8"]
    run(env, "CREATE OR REPLACE VIEW plan_v AS SELECT max(v) AS s FROM plan_p")
    assert rows(env, "SELECT s FROM plan_v")[0][1] == ["4"]
    run(env, "ALTER TABLE plan_p DROP PARTITION (c='b')")
    assert rows(env, "SELECT s FROM plan_v")[0][1] == ["4"]
    run(env, "ALTER TABLE plan_p DROP PARTITION (c='c')")
    assert rows(env, "SELECT s FROM plan_v")[0][1] == [None]

    # the same text in another database names another table
    glue.create_database(DatabaseInput={"Name": "t_db2"})
    s3.put_object(Bucket=BUCKET, Key="plan/other/f.parquet", Body=_parquet_bytes(v=[100, 200]))
    run(
        env,
        f"CREATE EXTERNAL TABLE plan_p (v bigint) STORED AS PARQUET LOCATION 's3://{BUCKET}/plan/other/'",
        db="t_db2",
    )
    assert rows(env, "SELECT count(*), sum(v) FROM plan_p")[0][1] == ["0", None]
    assert rows(env, "SELECT count(*), sum(v) FROM plan_p", db="t_db2")[0][1] == ["2", "300"]
