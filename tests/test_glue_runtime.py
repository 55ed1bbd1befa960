"""localcloud's Glue job runtime on real PySpark: ETL, bookmarks, choice types, failures, concurrency.

One runtime (one warm Spark) serves the whole module; S3 and the Glue catalog are the session's
private localcloud. Ground truth is computed with pandas from the same course data.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import textwrap
import time

import boto3
import pandas as pd
import pyarrow.parquet as pq
import pytest

from localcloud import config
from localcloud.engines.glue.jobs import ERROR_GROUP, OUTPUT_GROUP, JobRuntime, new_run_id

BUCKET = "glue-runtime-tests"
DB = "glue_rt_db"
WAIT_S = 300  # a cold Spark start on a busy 2-core machine, with room to spare

ETL_SCRIPT = """
import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job

args = getResolvedOptions(sys.argv, ["JOB_NAME", "target", "ctx", "do_commit"])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

ctx = "" if args["ctx"] == "none" else args["ctx"]
datasource0 = glueContext.create_dynamic_frame.from_catalog(
    database="glue_rt_db", table_name="sales_raw", transformation_ctx=ctx
)
print(f"rows read: {datasource0.count()}")
applymapping1 = ApplyMapping.apply(
    frame=datasource0,
    mappings=[
        ("ordernumber", "int", "order_number", "long"),
        ("productline", "string", "product_line", "string"),
        ("sales", "double", "sales", "double"),
        ("status", "string", "status", "string"),
        ("year", "string", "year", "int"),
    ],
    transformation_ctx="applymapping1",
)
resolvechoice2 = ResolveChoice.apply(frame=applymapping1, choice="make_struct", transformation_ctx="resolvechoice2")
shipped = Filter.apply(frame=resolvechoice2, f=lambda r: r["status"] == "Shipped", transformation_ctx="filter3")
dropnullfields4 = DropNullFields.apply(frame=shipped, transformation_ctx="dropnullfields4")
glueContext.write_dynamic_frame.from_options(
    frame=dropnullfields4,
    connection_type="s3",
    connection_options={"path": args["target"], "partitionKeys": ["year"]},
    format="parquet",
    transformation_ctx="datasink5",
)
if args["do_commit"] == "yes":
    job.commit()
"""


def script(body: str) -> str:
    head = """
        import sys, json
        from awsglue.transforms import *
        from awsglue.utils import getResolvedOptions
        from awsglue.dynamicframe import DynamicFrame
        from pyspark.context import SparkContext
        from awsglue.context import GlueContext
        from awsglue.job import Job
        sc = SparkContext.getOrCreate()
        glueContext = GlueContext(sc)
        """
    return textwrap.dedent(head) + textwrap.dedent(body)


@pytest.fixture(scope="module")
def aws():
    saved = dict(os.environ)
    os.environ.update(config.client_env())
    s3, glue = boto3.client("s3"), boto3.client("glue")
    s3.create_bucket(Bucket=BUCKET)
    glue.create_database(DatabaseInput={"Name": DB})
    yield {"s3": s3, "glue": glue}
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def runtime(aws, tmp_path_factory):
    seen = []
    rt = JobRuntime(
        tmp_path_factory.mktemp("glue-runtime"),
        env=config.client_env(),
        on_log=lambda group, stream, events: seen.append((group, stream, events)),
        minute_s=1.0,  # a Timeout "minute" lasts one second here
    )
    rt.seen_logs = seen
    yield rt
    rt.close()
    worker = rt._worker
    assert worker is None or not worker.alive()


def job(name, command="glueetl", **extra):
    return {
        "Name": name,
        "Command": {"Name": command, "ScriptLocation": f"s3://{BUCKET}/scripts/{name}.py"},
        "GlueVersion": "5.0" if command == "glueetl" else "3.0",
        "WorkerType": "G.1X",
        "NumberOfWorkers": 2,
        **extra,
    }


def run(rt, spec, args=None, code=None, wait=True, **kw):
    rid = new_run_id()
    rt.start_run(spec, rid, args or {}, script=code, **kw)
    return rt.wait(rid, WAIT_S) if wait else rid


def output(rt, rid) -> list[str]:
    """The script's output: what follows localcloud's first line (the versions it runs on)."""
    lines = [e["message"] for e in rt.logs(rid)[OUTPUT_GROUP]]
    assert lines and lines[0].startswith("localcloud: "), lines[:1]
    return lines[1:]


def errors(rt, rid) -> list[str]:
    return [e["message"] for e in rt.logs(rid)[ERROR_GROUP]]


def ok(rt, state):
    assert state["JobRunState"] == "SUCCEEDED", (state.get("ErrorMessage"), errors(rt, state["Id"])[-30:])
    return state


# ---- the course data as a partitioned JSON table --------------------------------------------------


@pytest.fixture(scope="module")
def sales():
    from helpers.paths import data_file

    df = pd.read_csv(data_file("sales_data_sample.csv"), keep_default_na=False, dtype={"POSTALCODE": str})
    df = df[["ORDERNUMBER", "PRODUCTLINE", "SALES", "STATUS", "YEAR_ID"]].copy()
    df.columns = [c.lower() for c in df.columns]
    return df


def land_year(aws, sales, year: int) -> None:
    rows = sales[sales.year_id == year].drop(columns="year_id")
    body = rows.to_json(orient="records", lines=True).encode()
    aws["s3"].put_object(Bucket=BUCKET, Key=f"raw/year={year}/sales-{year}.json", Body=body)
    table = aws["glue"].get_table(DatabaseName=DB, Name="sales_raw")["Table"]
    sd = dict(table["StorageDescriptor"], Location=f"s3://{BUCKET}/raw/year={year}/")
    aws["glue"].batch_create_partition(
        DatabaseName=DB, TableName="sales_raw", PartitionInputList=[{"Values": [str(year)], "StorageDescriptor": sd}]
    )


@pytest.fixture(scope="module")
def raw_table(aws, sales):
    cols = [("ordernumber", "int"), ("productline", "string"), ("sales", "double"), ("status", "string")]
    aws["glue"].create_table(
        DatabaseName=DB,
        TableInput={
            "Name": "sales_raw",
            "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": [{"Name": "year", "Type": "string"}],
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in cols],
                "Location": f"s3://{BUCKET}/raw/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
            },
        },
    )
    land_year(aws, sales, 2003)
    land_year(aws, sales, 2004)


def read_output(aws, prefix: str) -> pd.DataFrame:
    frames = []
    for o in aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []):
        assert o["Key"].rsplit("/", 1)[-1].startswith("part-") and o["Key"].endswith(".parquet"), o["Key"]
        year = int(o["Key"].split("year=")[1].split("/")[0])
        body = aws["s3"].get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
        frames.append(pq.read_table(io.BytesIO(body)).to_pandas().assign(year=year))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def rows_read(rt, rid) -> int:
    return int(next(line for line in output(rt, rid) if line.startswith("rows read:")).split(":")[1])


# ---- tests ------------------------------------------------------------------------------------------


def test_awsglue_is_not_importable_in_the_course_environment():
    assert importlib.util.find_spec("awsglue") is None


def _names_module():
    # awsglue is not importable here (above); names.py stands alone, so load it by its path.
    import localcloud.engines.glue.jobs as jobs

    path = os.path.join(os.path.dirname(jobs.__file__), "compat", "awsglue", "_local", "names.py")
    spec = importlib.util.spec_from_file_location("glue_sink_names", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_sink_object_names_follow_glue_where_sourced():
    names = _names_module()
    spark = ["year=2003/part-00000-3f2a-c000.snappy.parquet", "year=2004/part-00001-3f2a-c000.snappy.parquet"]
    glue = names.rename(spark, names.glue_name("parquet", True, "snappy"), 1717068112258)
    assert glue == {
        spark[0]: "year=2003/run-1717068112258-part-block-0-r-00000-snappy.parquet",
        spark[1]: "year=2004/run-1717068112258-part-block-0-r-00001-snappy.parquet",
    }
    assert names.rename(["part-00007-ab-c000.json"], names.glue_name("json", False, None), 1) == {
        "part-00007-ab-c000.json": "run-1-part-r-00007"
    }
    # Not sourced: Spark's names stay (plain parquet writer, compressed text, other codecs, orc).
    for fmt, glue_parquet, codec in [
        ("parquet", False, "snappy"),
        ("json", False, "gzip"),
        ("csv", False, "bzip2"),
        ("parquet", True, "gzip"),
        ("orc", False, None),
    ]:
        assert names.glue_name(fmt, glue_parquet, codec) is None
    assert names.rename(["year=1/part-00000-x-c000.json.gz"], None, 1) == {
        "year=1/part-00000-x-c000.json.gz": "year=1/part-00000-x-c000.json.gz"
    }
    # Two files of one task in one folder would clash under Glue's name: Spark's names stay.
    two = ["part-00000-x-c000.json", "part-00000-x-c001.json"]
    assert names.rename(two, names.glue_name("json", False, None), 1) == {k: k for k in two}


def test_etl_script_as_aws_documents_it_and_job_bookmarks(runtime, aws, sales, raw_table):
    target = f"s3://{BUCKET}/curated/"
    spec = job(
        "sales-etl",
        DefaultArguments={
            "--job-bookmark-option": "job-bookmark-enable",
            "--target": target,
            "--ctx": "datasource0",
            "--do_commit": "yes",
        },
    )
    n = sales.year_id.value_counts()

    # First run: every partition; the output is Hive-partitioned Parquet.  format="parquet" (not the Glue
    # Parquet writer): Glue's object names for it are not sourced, so Spark's part-* names stay.
    first = ok(runtime, run(runtime, spec, code=ETL_SCRIPT))
    assert rows_read(runtime, first["Id"]) == n[2003] + n[2004]
    out = read_output(aws, "curated/")
    truth = sales[(sales.status == "Shipped") & sales.year_id.isin([2003, 2004])]
    assert len(out) == len(truth)
    assert out.groupby("year").sales.sum().round(2).to_dict() == truth.groupby("year_id").sales.sum().round(2).to_dict()
    assert list(out.columns) == ["order_number", "product_line", "sales", "status", "year"]
    assert first["ExecutionTime"] >= 0 and first["DPUSeconds"] == 2 * first["ExecutionTime"]
    assert first["WorkerType"] == "G.1X" and first["NumberOfWorkers"] == 2 and first["Timeout"] == 480

    entry = runtime.get_bookmark("sales-etl")
    assert (entry["JobName"], entry["Version"], entry["Run"], entry["RunId"]) == ("sales-etl", 1, 1, first["Id"])
    assert sorted(json.loads(entry["JobBookmark"])["datasource0"]) == [
        f"s3://{BUCKET}/raw/year=2003/sales-2003.json",
        f"s3://{BUCKET}/raw/year=2004/sales-2004.json",
    ]

    # A new year lands: the bookmark makes the next run read only the new partition's file.
    land_year(aws, sales, 2005)
    second = ok(runtime, run(runtime, spec, code=ETL_SCRIPT))
    assert rows_read(runtime, second["Id"]) == n[2005]
    assert read_output(aws, "curated/").groupby("year").size().to_dict() == (
        sales[sales.status == "Shipped"].groupby("year_id").size().to_dict()
    )
    entry = runtime.get_bookmark("sales-etl")
    assert (entry["Version"], entry["Run"], entry["PreviousRunId"], entry["RunId"]) == (2, 2, first["Id"], second["Id"])

    # Nothing new: the run succeeds and writes nothing.
    ok(runtime, nothing := run(runtime, spec, code=ETL_SCRIPT))
    assert rows_read(runtime, nothing["Id"]) == 0

    # ResetJobBookmark: a full reprocess.
    reset = runtime.reset_bookmark("sales-etl")
    assert json.loads(reset["JobBookmark"]) == {}
    full = ok(runtime, run(runtime, spec, code=ETL_SCRIPT))
    assert rows_read(runtime, full["Id"]) == len(sales)

    # job-bookmark-pause reads what is new since the bookmark but does not move it.
    aws["s3"].put_object(
        Bucket=BUCKET,
        Key="raw/year=2005/late.json",
        Body=sales[sales.year_id == 2005]
        .head(3)
        .drop(columns="year_id")
        .to_json(orient="records", lines=True)
        .encode(),
    )
    version = runtime.get_bookmark("sales-etl")["Version"]
    for _ in range(2):
        paused = ok(runtime, run(runtime, spec, {"--job-bookmark-option": "job-bookmark-pause"}, code=ETL_SCRIPT))
        assert rows_read(runtime, paused["Id"]) == 3
    assert runtime.get_bookmark("sales-etl")["Version"] == version

    # The classic mistakes: no job.commit() / no transformation_ctx -> everything is read again.
    for _ in range(2):
        no_commit = ok(runtime, run(runtime, spec, {"--do_commit": "no"}, code=ETL_SCRIPT))
        assert rows_read(runtime, no_commit["Id"]) == 3
    for _ in range(2):
        no_ctx = ok(runtime, run(runtime, spec, {"--ctx": "none"}, code=ETL_SCRIPT))
        assert rows_read(runtime, no_ctx["Id"]) == len(sales) + 3

    # job-bookmark-disable reads everything and leaves the bookmark alone.
    version = runtime.get_bookmark("sales-etl")["Version"]
    disabled = ok(runtime, run(runtime, spec, {"--job-bookmark-option": "job-bookmark-disable"}, code=ETL_SCRIPT))
    assert rows_read(runtime, disabled["Id"]) == len(sales) + 3
    assert runtime.get_bookmark("sales-etl")["Version"] == version


def test_push_down_predicate_and_catalog_update(runtime, aws, sales, raw_table):
    code = script(
        """
        only_2004 = glueContext.create_dynamic_frame.from_catalog(
            database="glue_rt_db", table_name="sales_raw", push_down_predicate="year = '2004'"
        )
        print("rows:", only_2004.count())
        sink = glueContext.getSink(
            connection_type="s3", path="s3://glue-runtime-tests/by_line/",
            enableUpdateCatalog=True, partitionKeys=["year"],
        )
        sink.setFormat("glueparquet")
        sink.setCatalogInfo(catalogDatabase="glue_rt_db", catalogTableName="sales_by_line")
        sink.writeFrame(only_2004.select_fields(["productline", "sales", "year"]))
        only_2003 = glueContext.create_dynamic_frame.from_catalog(
            database="glue_rt_db", table_name="sales_raw", push_down_predicate="year < 2004"
        )
        glueContext.write_dynamic_frame.from_catalog(
            frame=only_2003.select_fields(["productline", "sales", "year"]),
            database="glue_rt_db", table_name="sales_by_line",
            additional_options={"enableUpdateCatalog": True, "partitionKeys": ["year"]},
        )
        """
    )
    state = ok(runtime, run(runtime, job("catalog-sink"), code=code))
    assert f"rows: {(sales.year_id == 2004).sum()}" in output(runtime, state["Id"])
    table = aws["glue"].get_table(DatabaseName=DB, Name="sales_by_line")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["productline", "sales"]
    assert table["PartitionKeys"] == [{"Name": "year", "Type": "string"}]
    assert table["Parameters"]["classification"] == "parquet"
    # The glueparquet sink writes Glue's names; the from_catalog write (a parquet table) keeps Spark's.
    keys = [o["Key"] for o in aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="by_line/")["Contents"]]
    glue_names = [k for k in keys if k.startswith("by_line/year=2004/")]
    assert glue_names and all(
        re.fullmatch(r"by_line/year=2004/run-\d{13}-part-block-0-r-\d{5}-snappy\.parquet", k) for k in glue_names
    ), keys
    assert all(k.rsplit("/", 1)[1].startswith("part-") for k in keys if k.startswith("by_line/year=2003/")), keys
    parts = aws["glue"].get_partitions(DatabaseName=DB, TableName="sales_by_line")["Partitions"]
    assert sorted((p["Values"], p["StorageDescriptor"]["Location"]) for p in parts) == [
        (["2003"], f"s3://{BUCKET}/by_line/year=2003/"),
        (["2004"], f"s3://{BUCKET}/by_line/year=2004/"),
    ]

    # A later job reads the Parquet table back through the catalog (partition values from the catalog).
    back = script(
        """
        dyf = glueContext.create_dynamic_frame.from_catalog(database="glue_rt_db", table_name="sales_by_line")
        dyf.printSchema()
        rows = dyf.toDF().groupBy("year").count().orderBy("year").collect()
        print("COUNTS " + json.dumps([[r["year"], r["count"]] for r in rows]))
        """
    )
    state = ok(runtime, run(runtime, job("catalog-read"), code=back))
    lines = output(runtime, state["Id"])
    assert lines[:4] == ["root", "|-- productline: string", "|-- sales: double", "|-- year: string"]
    truth = sales[sales.year_id < 2005].year_id.value_counts().sort_index()
    assert lines[-1] == "COUNTS " + json.dumps([[str(y), int(n)] for y, n in truth.items()])

    # Athena reads what the job wrote and registered, as it would on AWS.
    athena = boto3.client("athena")
    qid = athena.start_query_execution(
        QueryString="SELECT year, count(*), round(sum(sales), 2) FROM sales_by_line GROUP BY year ORDER BY year",
        QueryExecutionContext={"Database": DB},
        ResultConfiguration={"OutputLocation": f"s3://{BUCKET}/athena/"},
    )["QueryExecutionId"]
    for _ in range(300):
        status = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.1)
    assert status["State"] == "SUCCEEDED", status
    got = [
        [d["VarCharValue"] for d in r["Data"]]
        for r in athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"][1:]
    ]
    truth = sales[sales.year_id < 2005].groupby("year_id").sales
    assert got == [[str(y), str(n), str(round(v, 2))] for (y, n), v in zip(truth.size().items(), truth.sum())]


def test_choice_types_between_files_and_resolve_choice(runtime, aws):
    s3 = aws["s3"]
    s3.put_object(Bucket=BUCKET, Key="mixed/a.json", Body=b'{"id": 1, "zip": 10115}\n{"id": 2, "zip": 80331}\n')
    s3.put_object(Bucket=BUCKET, Key="mixed/b.json", Body=b'{"id": 3, "zip": "SW1A 1AA"}\n{"id": 4}\n')
    code = script(
        """
        dyf = glueContext.create_dynamic_frame.from_options(
            connection_type="s3", connection_options={"paths": ["s3://glue-runtime-tests/mixed/"]}, format="json"
        )
        dyf.printSchema()
        def rows(frame):
            return sorted(
                [r.asDict(recursive=True) for r in frame.toDF().collect()], key=lambda r: r["id"]
            )
        out = {
            "schema": repr(dyf.schema()),
            "cast": rows(dyf.resolveChoice(specs=[("zip", "cast:int")])),
            "cols": rows(ResolveChoice.apply(frame=dyf, choice="make_cols")),
            "struct": dyf.resolveChoice(choice="make_struct").toDF().schema.simpleString(),
            "project": rows(dyf.resolveChoice(specs=[("zip", "project:string")])),
            "todf": dyf.toDF().schema.simpleString(),
        }
        back = DynamicFrame.fromDF(dyf.resolveChoice(specs=[("zip", "cast:string")]).toDF(), glueContext, "back")
        out["fromdf"] = repr(back.schema())
        print("RESULT " + json.dumps(out))
        try:
            dyf.relationalize("root", "s3://glue-runtime-tests/tmp/")
        except NotImplementedError as exc:
            print("REFUSED " + str(exc))
        """
    )
    state = ok(runtime, run(runtime, job("choice"), code=code))
    lines = output(runtime, state["Id"])
    assert lines[:5] == ["root", "|-- id: int", "|-- zip: choice", "|    |-- int", "|    |-- string"]
    res = json.loads(next(line for line in lines if line.startswith("RESULT "))[7:])
    assert "ChoiceType" in res["schema"]
    assert [r["zip"] for r in res["cast"]] == [10115, 80331, None, None]
    assert [(r["zip_int"], r["zip_string"]) for r in res["cols"]] == [
        (10115, None),
        (80331, None),
        (None, "SW1A 1AA"),
        (None, None),
    ]
    assert res["struct"] == res["todf"] == "struct<id:int,zip:struct<int:int,string:string>>"
    assert [r["zip"] for r in res["project"]] == ["10115", "80331", "SW1A 1AA", None]
    assert "ChoiceType" not in res["fromdf"] and "StringType" in res["fromdf"]
    assert "REFUSED not supported locally: DynamicFrame.relationalize" in lines


def test_csv_values_are_typed_per_record(runtime, aws):
    aws["s3"].put_object(Bucket=BUCKET, Key="csv/a.csv", Body=b"id,qty\n1,5\n2,seven\n3,\n")
    code = script(
        """
        dyf = glueContext.create_dynamic_frame.from_options(
            connection_type="s3", connection_options={"paths": ["s3://glue-runtime-tests/csv/a.csv"]},
            format="csv", format_options={"withHeader": True},
        )
        dyf.printSchema()
        clean = dyf.resolveChoice(specs=[("qty", "cast:long")])
        for fmt in ("json", "csv"):
            glueContext.write_dynamic_frame.from_options(
                frame=clean, connection_type="s3", format=fmt,
                connection_options={"path": f"s3://glue-runtime-tests/csv-out/{fmt}/"},
            )
        glueContext.write_dynamic_frame.from_options(
            frame=clean, connection_type="s3", format="json",
            connection_options={"path": "s3://glue-runtime-tests/csv-out/gz/", "compression": "gzip"},
        )
        """
    )
    state = ok(runtime, run(runtime, job("csv"), code=code))
    schema = ["root", "|-- id: long", "|-- qty: choice", "|    |-- long", "|    |-- string"]
    assert output(runtime, state["Id"])[:5] == schema

    def written(fmt):
        objs = aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix=f"csv-out/{fmt}/")["Contents"]
        # Glue's DynamicFrame writer names: run-<epoch ms, one per write>-part-r-<task>, no extension.
        names = [re.fullmatch(rf"csv-out/{fmt}/run-(\d{{13}})-part-r-(\d{{5}})", o["Key"]) for o in objs]
        assert all(names) and len({m.group(1) for m in names}) == 1, [o["Key"] for o in objs]
        return "".join(aws["s3"].get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read().decode() for o in objs)

    assert sorted(json.loads(line)["id"] for line in written("json").splitlines()) == [1, 2, 3]
    assert json.loads(written("json").splitlines()[0]) == {"id": 1, "qty": 5}
    assert written("csv").splitlines()[:2] == ["id,qty", "1,5"]
    # Compressed JSON: Glue's name for it is not sourced, so Spark's stays (part-*.json.gz).
    gz = [o["Key"] for o in aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="csv-out/gz/")["Contents"]]
    assert gz and all(re.fullmatch(r"csv-out/gz/part-\d{5}-[0-9a-f-]+-c000\.json\.gz", k) for k in gz), gz


def test_failures_like_glue_and_the_worker_survives(runtime):
    failed = run(runtime, job("boom"), code=script("LEFTOVER = 1\nraise ValueError('bad input: 42')\n"))
    starts = runtime.stats["spark_starts"]
    assert failed["JobRunState"] == "FAILED"
    assert failed["ErrorMessage"] == "ValueError: bad input: 42"
    errs = errors(runtime, failed["Id"])
    assert errs[0] == "Traceback (most recent call last):" and errs[-1] == "ValueError: bad input: 42"

    # The next run gets a fresh namespace on the same warm Spark.
    fresh = ok(runtime, run(runtime, job("fresh"), code=script("print('leftover' in globals())\n")))
    assert output(runtime, fresh["Id"]) == ["False"]
    assert runtime.stats["spark_starts"] == starts

    missing = run(
        runtime,
        job("no-such-table"),
        code=script("glueContext.create_dynamic_frame.from_catalog(database='glue_rt_db', table_name='nope')\n"),
    )
    assert missing["JobRunState"] == "FAILED"
    assert missing["ErrorMessage"].startswith("botocore.errorfactory.EntityNotFoundException: ")

    refused = run(runtime, job("extra", DefaultArguments={"--additional-python-modules": "polars"}), code="pass")
    assert refused["JobRunState"] == "FAILED"
    assert refused["ErrorMessage"] == "not supported locally: job argument --additional-python-modules"
    spark4 = run(runtime, job("spark4", GlueVersion="6.0"), code="pass")
    assert spark4["ErrorMessage"].startswith("not supported locally: GlueVersion 6.0")


def test_timeout_and_stop(runtime):
    slow_python = script("import time\nfor _ in range(600):\n    time.sleep(0.1)\n")
    timed = run(runtime, job("slow", Timeout=3), code=slow_python)
    starts = runtime.stats["spark_starts"]
    assert timed["JobRunState"] == "TIMEOUT"
    assert timed["ErrorMessage"] == "Job run timed out after 3 minutes (Timeout)"
    assert 3 <= timed["ExecutionTime"] <= 10

    # A long Spark job: stop cancels it; the worker stays warm for the next run.
    slow_spark = script(
        "spark = glueContext.spark_session\n"
        "spark.range(0, 10**12, numPartitions=2).selectExpr('sum(id % 7)').collect()\n"
    )
    rid = run(runtime, job("spin"), code=slow_spark, wait=False)
    deadline = time.monotonic() + WAIT_S
    while runtime.run_state(rid)["JobRunState"] != "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)
    assert runtime.stop_run(rid)
    stopped = runtime.wait(rid, 60)
    assert stopped["JobRunState"] == "STOPPED" and "ErrorMessage" not in stopped
    assert not runtime.stop_run(rid)  # already finished
    ok(runtime, run(runtime, job("after-stop"), code=script("print(sc.parallelize(range(10)).sum())\n")))
    assert runtime.stats["spark_starts"] == starts


def test_python_shell_jobs(runtime):
    shell = job("shell", command="pythonshell", MaxCapacity=0.0625)
    del shell["WorkerType"], shell["NumberOfWorkers"]
    code = textwrap.dedent(
        """
        import sys
        from awsglue.utils import getResolvedOptions
        args = getResolvedOptions(sys.argv, ["JOB_NAME", "greeting"])
        print(args["greeting"], args["JOB_NAME"], "pyspark" in sys.modules)
        print("to stderr", file=sys.stderr)
        """
    )
    state = ok(runtime, run(runtime, shell, {"--greeting": "hello"}, code=code))
    assert output(runtime, state["Id"]) == ["hello shell False"]
    assert errors(runtime, state["Id"]) == ["to stderr"]
    assert state["MaxCapacity"] == 0.0625 and "AllocatedCapacity" not in state

    failed = run(runtime, shell, code="import json\njson.loads('{oops')\n")
    assert failed["JobRunState"] == "FAILED"
    assert failed["ErrorMessage"].startswith("json.decoder.JSONDecodeError: Expecting property name")
    timed = run(runtime, dict(shell, Timeout=1), code="import time\ntime.sleep(60)\n")
    assert timed["JobRunState"] == "TIMEOUT"


def test_runs_queue_on_one_spark_and_are_counted(runtime):
    spec = job("queued", ExecutionProperty={"MaxConcurrentRuns": 2})
    code = script("import time\ntime.sleep(2)\n")
    first = run(runtime, spec, code=code, wait=False)
    second = run(runtime, spec, code=code, wait=False)
    assert runtime.active_runs("queued") == 2
    third = run(runtime, spec, code=code, wait=False)
    assert runtime.stop_run(third)  # queued behind the others: stopped without running
    assert runtime.run_state(third)["JobRunState"] == "STOPPED"
    deadline = time.monotonic() + WAIT_S
    while runtime.run_state(first)["JobRunState"] != "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert runtime.run_state(second)["JobRunState"] == "STARTING"  # one Spark: runs take turns
    assert ok(runtime, runtime.wait(first, WAIT_S))
    assert ok(runtime, runtime.wait(second, WAIT_S))
    assert runtime.active_runs("queued") == 0
    assert runtime.runs("queued") == [third, second, first]
    assert output(runtime, first) == []  # it printed nothing (the first line is localcloud's)


def test_a_dead_worker_is_replaced(runtime):
    died = run(runtime, job("exit"), code="import os\nos._exit(3)\n")
    starts = runtime.stats["spark_starts"]
    assert died["JobRunState"] == "FAILED"
    assert died["ErrorMessage"] == "localcloud: the Spark worker exited unexpectedly (exit code 3)"
    again = ok(runtime, run(runtime, job("again"), code=script("print(sc.parallelize([1, 2]).count())\n")))
    assert output(runtime, again["Id"]) == ["2"]
    assert runtime.stats["spark_starts"] == starts + 1
    assert (OUTPUT_GROUP, again["Id"]) in {(g, s) for g, s, _ in runtime.seen_logs}


def test_field_transforms_and_map(runtime, aws):
    aws["s3"].put_object(
        Bucket=BUCKET,
        Key="nested/a.json",
        Body=b'{"id": 1, "who": {"name": "Ada", "city": "London"}, "tmp": null}\n'
        b'{"id": 2, "who": {"name": "Linus", "city": "Helsinki"}, "tmp": null}\n',
    )
    aws["s3"].put_object(Bucket=BUCKET, Key="gz/a.json.gz", Body=b"\x1f\x8b\x08\x00rest")
    code = script(
        """
        dyf = glueContext.create_dynamic_frame.from_options(
            connection_type="s3", connection_options={"paths": ["s3://glue-runtime-tests/nested/"]}, format="json"
        )
        def rows(frame):
            return sorted([r.asDict(recursive=True) for r in frame.toDF().collect()], key=json.dumps)
        def shout(rec):
            rec["who"]["name"] = rec["who"]["name"].upper()
            rec["id2"] = rec["id"] * 2
            return rec
        out = {
            "nulls_dropped": DropNullFields.apply(frame=dyf).toDF().columns,
            "renamed": rows(RenameField.apply(frame=dyf, old_name="who.city", new_name="who.town")),
            "selected": rows(SelectFields.apply(frame=dyf, paths=["id", "who.name"])),
            "dropped": rows(DropFields.apply(frame=dyf, paths=["who.city", "tmp"])),
            "mapped": rows(Map.apply(frame=dyf.drop_fields(["tmp"]), f=shout)),
            "flat": rows(ApplyMapping.apply(frame=dyf, mappings=[("who.name", "string", "name", "string")])),
        }
        print("RESULT " + json.dumps(out))
        glueContext.create_dynamic_frame.from_options(
            connection_type="s3", connection_options={"paths": ["s3://glue-runtime-tests/gz/"]}, format="json"
        )
        """
    )
    state = run(runtime, job("fields"), code=code)
    assert state["JobRunState"] == "FAILED"
    assert state["ErrorMessage"] == (
        f"NotImplementedError: not supported locally: gzip-compressed input (s3://{BUCKET}/gz/a.json.gz)"
    )
    res = json.loads(next(x for x in output(runtime, state["Id"]) if x.startswith("RESULT "))[7:])
    assert res["nulls_dropped"] == ["id", "who"]
    assert res["renamed"][0] == {"id": 1, "who": {"name": "Ada", "town": "London"}, "tmp": None}
    assert res["selected"] == [{"id": 1, "who": {"name": "Ada"}}, {"id": 2, "who": {"name": "Linus"}}]
    assert res["dropped"] == res["selected"]
    assert res["mapped"] == [
        {"id": 1, "who": {"name": "ADA", "city": "London"}, "id2": 2},
        {"id": 2, "who": {"name": "LINUS", "city": "Helsinki"}, "id2": 4},
    ]
    assert res["flat"] == [{"name": "Ada"}, {"name": "Linus"}]
