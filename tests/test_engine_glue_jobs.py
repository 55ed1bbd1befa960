"""localcloud's Glue job API, used as a learner uses it: boto3 only (S3, Glue, CloudWatch Logs, Athena).

A Glue ETL script written the way AWS documents it runs on real PySpark over the lab-04 layout
(JSON lines with the course CSV's upper-case keys, a catalog table with lower-case columns,
partitioned by year). Ground truth is computed with pandas from the same data. Runs are shared
across assertions and all Spark runs use the session's one warm Spark (started when the first
``glueetl`` job is created); a Python shell run with a one-minute Timeout is started early so its
minute passes while the Spark tests run.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import time

import boto3
import pandas as pd
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from localcloud import config, testing
from localcloud.processes import pid_alive

BUCKET = "glue-jobs-tests"
DB = "glue_jobs_db"
WAIT_S = 300  # a cold Spark start on a busy 2-core machine, with room to spare
FINAL = ("SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR")
OUTPUT, ERRORS = "/aws-glue/jobs/output", "/aws-glue/jobs/error"

# The lab's script, as AWS documents a Glue ETL job (from_catalog with transformation_ctx,
# ApplyMapping, ResolveChoice, Filter, partitioned Parquet, job.commit()).
ETL_SCRIPT = """
import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job

args = getResolvedOptions(sys.argv, ["JOB_NAME", "target"])
sc = SparkContext()
glueContext = GlueContext(sc)
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

raw = glueContext.create_dynamic_frame.from_catalog(
    database="glue_jobs_db", table_name="sales_raw", transformation_ctx="raw"
)
print(f"rows read: {raw.count()}")
raw.printSchema()
mapped = ApplyMapping.apply(
    frame=raw,
    mappings=[
        ("ordernumber", "int", "order_number", "long"),
        ("productline", "string", "product_line", "string"),
        ("sales", "double", "sales", "double"),
        ("status", "string", "status", "string"),
        ("year", "string", "year", "int"),
    ],
    transformation_ctx="mapped",
)
resolved = ResolveChoice.apply(frame=mapped, choice="make_struct", transformation_ctx="resolved")
shipped = Filter.apply(frame=resolved, f=lambda r: r["status"] == "Shipped", transformation_ctx="shipped")
glueContext.write_dynamic_frame.from_options(
    frame=shipped,
    connection_type="s3",
    connection_options={"path": args["target"], "partitionKeys": ["year"]},
    format="parquet",
    transformation_ctx="sink",
)
job.commit()
"""

SPARK_HEAD = """
import sys, time
from awsglue.context import GlueContext
from pyspark.context import SparkContext
glueContext = GlueContext(SparkContext.getOrCreate())
spark = glueContext.spark_session
"""


# ---- the learner's side: boto3 against localcloud --------------------------------------------------


@pytest.fixture(scope="module")
def aws():
    saved = dict(os.environ)
    os.environ.update(config.client_env())
    clients = {name: boto3.client(name) for name in ("s3", "glue", "logs", "athena")}
    clients["s3"].create_bucket(Bucket=BUCKET)
    clients["glue"].create_database(DatabaseInput={"Name": DB})
    yield clients
    os.environ.clear()
    os.environ.update(saved)


def upload(aws, name: str, code: str) -> str:
    key = f"scripts/{name}.py"
    aws["s3"].put_object(Bucket=BUCKET, Key=key, Body=textwrap.dedent(code).encode())
    return f"s3://{BUCKET}/{key}"


def make_job(aws, name: str, code: str | None, command: str = "glueetl", **kw) -> None:
    location = upload(aws, name, code) if code is not None else f"s3://{BUCKET}/scripts/{name}.py"
    spec = {"GlueVersion": "5.0", "WorkerType": "G.1X", "NumberOfWorkers": 2} if command == "glueetl" else {}
    aws["glue"].create_job(
        Name=name,
        Role="arn:aws:iam::123456789012:role/glue-lab",
        Command={"Name": command, "ScriptLocation": location},
        **{**spec, **kw},
    )


def wait(aws, job: str, run_id: str, timeout: float = WAIT_S) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = aws["glue"].get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] in FINAL:
            return run
        assert time.monotonic() < deadline, f"run still {run['JobRunState']} after {timeout} s"
        time.sleep(0.25)


def run_job(aws, job: str, **kw) -> dict:
    return wait(aws, job, aws["glue"].start_job_run(JobName=job, **kw)["JobRunId"])


def log(aws, group: str, run_id: str) -> list[str]:
    events, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        page = aws["logs"].get_log_events(logGroupName=group, logStreamName=run_id, startFromHead=True, **kw)
        events += page["events"]
        if not page["events"] or page["nextForwardToken"] == token:
            return [e["message"] for e in events]
        token = page["nextForwardToken"]


def ok(aws, run: dict) -> dict:
    assert run["JobRunState"] == "SUCCEEDED", (run.get("ErrorMessage"), log(aws, ERRORS, run["Id"])[-20:])
    return run


def code_of(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call()
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def glue_status() -> dict:
    out = subprocess.run([sys.executable, "-m", "localcloud", "status", "--json"], capture_output=True, text=True)
    return json.loads(out.stdout)["engines"]["glue"]["jobs"]


# ---- the course data, laid out as in lab 04 (upper-case JSON keys, lower-case catalog columns) ----


@pytest.fixture(scope="module")
def sales():
    from helpers.paths import data_file

    df = pd.read_csv(data_file("sales_data_sample.csv"), keep_default_na=False, dtype={"POSTALCODE": str})
    return df[["ORDERNUMBER", "PRODUCTLINE", "SALES", "STATUS", "YEAR_ID"]]


def land_year(aws, sales, year: int) -> None:
    """A new day of data: one more JSON object and its partition in the catalog."""
    body = sales[sales.YEAR_ID == year].drop(columns="YEAR_ID").to_json(orient="records", lines=True).encode()
    aws["s3"].put_object(Bucket=BUCKET, Key=f"raw/year={year}/sales-{year}.json", Body=body)
    table = aws["glue"].get_table(DatabaseName=DB, Name="sales_raw")["Table"]
    sd = dict(table["StorageDescriptor"], Location=f"s3://{BUCKET}/raw/year={year}/")
    aws["glue"].create_partition(
        DatabaseName=DB, TableName="sales_raw", PartitionInput={"Values": [str(year)], "StorageDescriptor": sd}
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


def rows_read(aws, run_id: str) -> int:
    return int(next(x for x in log(aws, OUTPUT, run_id) if x.startswith("rows read:")).split(":")[1])


def curated(aws) -> pd.DataFrame:
    frames = []
    for o in aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="curated/").get("Contents", []):
        year = int(o["Key"].split("year=")[1].split("/")[0])
        body = aws["s3"].get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
        frames.append(pq.read_table(io.BytesIO(body)).to_pandas().assign(year=year))
    return pd.concat(frames, ignore_index=True)


# ---- a Python shell run whose one-minute Timeout passes while the Spark tests run -----------------


@pytest.fixture(scope="module")
def slow_shell_run(aws):
    make_job(aws, "slow-shell", "import time\nfor _ in range(600):\n    time.sleep(0.5)\n", command="pythonshell")
    return aws["glue"].start_job_run(JobName="slow-shell", Timeout=1)["JobRunId"]


# ---- tests ------------------------------------------------------------------------------------------


def test_job_definitions_are_checked_as_aws_checks_them(aws, slow_shell_run):
    glue = aws["glue"]
    # A Python shell job never starts Spark. (Spark may already run: other test files of this session
    # ran glueetl jobs in the same localcloud; then there is nothing to observe here.)
    spark_before = glue_status()["spark_worker"]
    make_job(aws, "shell-only", "print('shell')\n", command="pythonshell")
    assert glue_status()["spark_worker"] is spark_before
    job = {"Role": "r", "Command": {"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/x.py"}}
    assert code_of(lambda: glue.create_job(Name="bad", GlueVersion="9.9", **job)) == (
        "InvalidInputException",
        "Given GlueVersion [9.9] is not valid.",
    )
    assert code_of(lambda: glue.create_job(Name="bad", GlueVersion="2.0", **job))[0] == "InvalidInputException"
    assert code_of(
        lambda: glue.create_job(Name="bad", WorkerType="G.1X", NumberOfWorkers=2, MaxCapacity=2.0, **job)
    ) == (
        "InvalidInputException",
        "Please do not set Max Capacity if using Worker Type and Number of Workers.",
    )
    bad_command = {**job, "Command": {"Name": "sparkle", "ScriptLocation": "s3://x/y.py"}}
    assert code_of(lambda: glue.create_job(Name="bad", **bad_command))[0] == "InvalidInputException"
    assert not [j for j in glue.get_jobs()["Jobs"] if j["Name"] == "bad"]

    assert code_of(lambda: glue.start_job_run(JobName="no-such-job")) == (
        "EntityNotFoundException",
        "Job no-such-job not found.",
    )
    assert code_of(lambda: glue.get_job_run(JobName="slow-shell", RunId="jr_nope"))[0] == "EntityNotFoundException"
    assert code_of(lambda: glue.get_job_bookmark(JobName="slow-shell")) == (
        "EntityNotFoundException",
        "Continuation for job slow-shell not found",
    )

    # UpdateJob replaces the definition (moto has no UpdateJob: localcloud's own).
    make_job(aws, "updated", "print('v1')\n", command="pythonshell", DefaultArguments={"--a": "1"})
    glue.update_job(
        JobName="updated",
        JobUpdate={
            "Role": "r",
            "Command": {"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/scripts/updated.py"},
            "DefaultArguments": {"--b": "2"},
            "MaxCapacity": 1.0,
        },
    )
    got = glue.get_job(JobName="updated")["Job"]
    assert (got["DefaultArguments"], got["MaxCapacity"]) == ({"--b": "2"}, 1.0)
    assert code_of(lambda: glue.update_job(JobName="nope", JobUpdate=job))[0] == "EntityNotFoundException"


def test_etl_job_run_state_cost_fields_logs_and_output(aws, sales, raw_table):
    make_job(
        aws,
        "sales-etl",
        ETL_SCRIPT,
        DefaultArguments={"--job-bookmark-option": "job-bookmark-enable", "--target": f"s3://{BUCKET}/curated/"},
    )
    job = aws["glue"].get_job(JobName="sales-etl")["Job"]
    assert (job["MaxCapacity"], job["Timeout"]) == (2.0, 480)  # filled in as AWS does: 2 x G.1X, 5.0's default
    deadline = time.monotonic() + WAIT_S  # CreateJob of a glueetl job starts Spark (prewarm)
    while not glue_status()["spark_worker"]:
        assert time.monotonic() < deadline, "Spark did not start after CreateJob"
        time.sleep(0.5)

    run = ok(aws, run_job(aws, "sales-etl"))
    n = sales.YEAR_ID.value_counts()
    assert rows_read(aws, run["Id"]) == n[2003] + n[2004]
    assert (run["GlueVersion"], run["WorkerType"], run["NumberOfWorkers"], run["MaxCapacity"]) == (
        "5.0",
        "G.1X",
        2,
        2.0,
    )
    assert run["Timeout"] == 480  # Glue 5.0's default
    assert run["ExecutionTime"] >= 0 and run["DPUSeconds"] == 2 * run["ExecutionTime"]
    assert run["StartedOn"] <= run["CompletedOn"]

    out = log(aws, OUTPUT, run["Id"])
    assert out[0].startswith("localcloud: GlueVersion 5.0 (AWS: Spark 3.5.4, Python 3.11) runs here on PySpark 3.5.")
    # The DynamicFrame's field names are the data's (upper case), not the catalog's lower-case
    # columns; ApplyMapping matched them case-insensitively, as Glue's does by default.
    assert "|-- ORDERNUMBER: int" in out and "|-- year: string" in out
    assert log(aws, ERRORS, run["Id"]) == []  # the stream exists (Glue makes both); nothing on stderr

    truth = sales[(sales.STATUS == "Shipped") & sales.YEAR_ID.isin([2003, 2004])]
    got = curated(aws)
    assert list(got.columns) == ["order_number", "product_line", "sales", "status", "year"]
    assert got.groupby("year").sales.sum().round(2).to_dict() == truth.groupby("YEAR_ID").SALES.sum().round(2).to_dict()

    status = glue_status()  # what `localcloud status` shows of the runtime
    assert status["spark_worker"] is True and status["runs"]["SUCCEEDED"] >= 1
    assert [r["Id"] for r in aws["glue"].get_job_runs(JobName="sales-etl")["JobRuns"]] == [run["Id"]]


def test_bookmarks_process_only_new_files_until_reset(aws, sales, raw_table):
    glue, n = aws["glue"], sales.YEAR_ID.value_counts()
    first = glue.get_job_bookmark(JobName="sales-etl")["JobBookmarkEntry"]
    assert (first["JobName"], first["Version"], first["Run"]) == ("sales-etl", 1, 1)

    land_year(aws, sales, 2005)  # a new day of data
    second = ok(aws, run_job(aws, "sales-etl"))
    assert rows_read(aws, second["Id"]) == n[2005]
    entry = glue.get_job_bookmark(JobName="sales-etl")["JobBookmarkEntry"]
    assert (entry["Run"], entry["RunId"], entry["PreviousRunId"]) == (2, second["Id"], first["RunId"])
    shipped = sales[sales.STATUS == "Shipped"]
    assert curated(aws).groupby("year").size().to_dict() == shipped.groupby("YEAR_ID").size().to_dict()

    nothing_new = ok(aws, run_job(aws, "sales-etl"))
    assert rows_read(aws, nothing_new["Id"]) == 0

    reset = glue.reset_job_bookmark(JobName="sales-etl")["JobBookmarkEntry"]
    assert json.loads(reset["JobBookmark"]) == {}
    full = ok(aws, run_job(aws, "sales-etl"))
    assert rows_read(aws, full["Id"]) == len(sales)

    # The run's own Arguments override the job's: a disabled bookmark reads everything again.
    disabled = ok(aws, run_job(aws, "sales-etl", Arguments={"--job-bookmark-option": "job-bookmark-disable"}))
    assert rows_read(aws, disabled["Id"]) == len(sales)
    assert disabled["Arguments"] == {"--job-bookmark-option": "job-bookmark-disable"}
    runs = glue.get_paginator("get_job_runs").paginate(JobName="sales-etl", PaginationConfig={"PageSize": 2})
    ids = [r["Id"] for page in runs for r in page["JobRuns"]]
    assert ids[:2] == [disabled["Id"], full["Id"]] and len(ids) == 5


def test_athena_queries_the_job_output_after_a_crawl(aws, sales):
    glue, athena = aws["glue"], aws["athena"]
    glue.create_crawler(
        Name="curated-crawler",
        Role="arn:aws:iam::123456789012:role/glue-lab",
        DatabaseName=DB,
        Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/curated/"}]},
    )
    glue.start_crawler(Name="curated-crawler")
    deadline = time.monotonic() + 60
    while "LastCrawl" not in (crawler := glue.get_crawler(Name="curated-crawler")["Crawler"]):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    qid = athena.start_query_execution(
        QueryString="SELECT year, count(*), round(sum(sales), 2) FROM curated GROUP BY year ORDER BY year",
        QueryExecutionContext={"Database": DB},
        ResultConfiguration={"OutputLocation": f"s3://{BUCKET}/athena/"},
    )["QueryExecutionId"]
    while (status := athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"])["State"] in (
        "QUEUED",
        "RUNNING",
    ):
        time.sleep(0.1)
    assert status["State"] == "SUCCEEDED", status
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"][1:]
    got = [
        (int(y["VarCharValue"]), int(n["VarCharValue"]), float(t["VarCharValue"]))
        for y, n, t in (r["Data"] for r in rows)
    ]
    # Glue sinks append: every year was written three times (its first run, the run after the
    # bookmark reset, the run with bookmarks disabled), as on AWS.
    shipped = sales[sales.STATUS == "Shipped"].groupby("YEAR_ID").SALES
    assert got == [(y, 3 * n, round(3 * t, 2)) for (y, n), t in zip(shipped.size().items(), shipped.sum())]


def test_concurrency_limit_and_batch_stop(aws):
    glue = aws["glue"]
    make_job(aws, "spin", SPARK_HEAD + "spark.range(0, 10**12, numPartitions=2).selectExpr('sum(id % 7)').collect()\n")
    first = glue.start_job_run(JobName="spin")["JobRunId"]
    assert code_of(lambda: glue.start_job_run(JobName="spin")) == (
        "ConcurrentRunsExceededException",
        "Concurrent runs exceeded for spin",
    )
    deadline = time.monotonic() + WAIT_S
    while glue.get_job_run(JobName="spin", RunId=first)["JobRun"]["JobRunState"] != "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    stopped = glue.batch_stop_job_run(JobName="spin", JobRunIds=[first, "jr_unknown"])
    assert stopped["SuccessfulSubmissions"] == [{"JobName": "spin", "JobRunId": first}]
    assert [(e["JobRunId"], e["ErrorDetail"]["ErrorCode"]) for e in stopped["Errors"]] == [
        ("jr_unknown", "EntityNotFoundException")
    ]
    run = wait(aws, "spin", first, 60)
    assert run["JobRunState"] == "STOPPED" and "ErrorMessage" not in run
    again = glue.batch_stop_job_run(JobName="spin", JobRunIds=[first])
    assert again["SuccessfulSubmissions"] == [] and again["Errors"][0]["JobRunId"] == first

    # The limit counts unfinished runs only: a new run may start now.
    glue.update_job(
        JobName="spin",
        JobUpdate={
            "Role": "r",
            "Command": {"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/quick.py"},
            "GlueVersion": "5.0",
            "WorkerType": "G.1X",
            "NumberOfWorkers": 2,
        },
    )
    upload(aws, "quick", SPARK_HEAD + "print(spark.range(10).count())\n")
    quick = ok(aws, run_job(aws, "spin"))
    assert log(aws, OUTPUT, quick["Id"])[1:] == ["10"]


def test_failures_end_the_run_like_glue(aws):
    make_job(aws, "boom", SPARK_HEAD + "raise ValueError('bad input: 42')\n")
    failed = run_job(aws, "boom")
    assert (failed["JobRunState"], failed["ErrorMessage"]) == ("FAILED", "ValueError: bad input: 42")
    errors = log(aws, ERRORS, failed["Id"])
    assert errors[0] == "Traceback (most recent call last):" and errors[-1] == "ValueError: bad input: 42"

    make_job(aws, "no-script", None)  # the script was never uploaded
    missing = run_job(aws, "no-script")
    assert missing["JobRunState"] == "FAILED"
    assert missing["ErrorMessage"] == (
        "Error downloading script: fatal error: An error occurred (404) when calling the HeadObject operation: "
        'Key "scripts/no-script.py" does not exist'
    )

    outside_code = """
        dyf = glueContext.create_dynamic_frame.from_options(
            connection_type="s3", connection_options={"paths": ["s3://glue-jobs-tests/raw/"]}, format="json"
        )
        dyf.relationalize("root", "s3://glue-jobs-tests/tmp/")
        """
    make_job(aws, "outside", SPARK_HEAD + textwrap.dedent(outside_code))
    outside = run_job(aws, "outside")
    assert outside["ErrorMessage"] == "NotImplementedError: not supported locally: DynamicFrame.relationalize"


def test_glue_versions(aws):
    """5.0 runs on the same Spark line; 4.0 runs and says it is not Spark 3.3; 6.0 (also the
    default without GlueVersion) is Spark 4: not supported locally."""
    code = SPARK_HEAD + "print(spark.version)\n"
    make_job(aws, "on-4", code, GlueVersion="4.0")
    run = ok(aws, run_job(aws, "on-4"))
    banner, version = log(aws, OUTPUT, run["Id"])
    assert banner.startswith("localcloud: GlueVersion 4.0 (AWS: Spark 3.3.0, Python 3.10) runs here on PySpark 3.5.")
    assert "not Spark 3.3.0" in banner and version.startswith("3.5.")
    assert run["Timeout"] == 2880  # Glue 4.0's default

    for name, version in (("on-6", "6.0"), ("default-version", None)):
        extra = {"GlueVersion": version} if version else {}
        aws["glue"].create_job(
            Name=name, Role="r", Command={"Name": "glueetl", "ScriptLocation": upload(aws, name, code)}, **extra
        )
        run = run_job(aws, name)
        assert (run["JobRunState"], run["GlueVersion"]) == ("FAILED", "6.0")
        assert run["ErrorMessage"].startswith("not supported locally: GlueVersion 6.0 (AWS runs it on Spark 4.1.1")


def test_python_shell_job(aws):
    code = """
        import sys, boto3
        from awsglue.utils import getResolvedOptions
        args = getResolvedOptions(sys.argv, ["JOB_NAME", "bucket"])
        keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=args["bucket"], Prefix="raw/")["Contents"]]
        print(args["JOB_NAME"], len(keys), "pyspark" in sys.modules)
        print("to stderr", file=sys.stderr)
        """
    make_job(aws, "shell", code, command="pythonshell", MaxCapacity=0.0625, DefaultArguments={"--bucket": BUCKET})
    run = ok(aws, run_job(aws, "shell"))
    out = log(aws, OUTPUT, run["Id"])
    assert out[0].startswith("localcloud: Python shell job, GlueVersion 3.0 (AWS: Python 3.9) runs here on Python")
    assert out[1:] == ["shell 3 False"]
    assert log(aws, ERRORS, run["Id"]) == ["to stderr"]
    assert run["MaxCapacity"] == 0.0625 and "WorkerType" not in run and "AllocatedCapacity" not in run


def test_timeout_then_delete_job(aws, slow_shell_run):
    run = wait(aws, "slow-shell", slow_shell_run, 180)
    assert (run["JobRunState"], run["Timeout"]) == ("TIMEOUT", 1)
    assert run["ErrorMessage"] == "Job run timed out after 1 minute (Timeout)"
    assert 60 <= run["ExecutionTime"] <= 120

    aws["glue"].delete_job(JobName="sales-etl")
    assert code_of(lambda: aws["glue"].get_job_runs(JobName="sales-etl"))[0] == "EntityNotFoundException"
    assert code_of(lambda: aws["glue"].get_job_bookmark(JobName="sales-etl"))[0] == "EntityNotFoundException"


def test_runs_and_their_logs_survive_a_restart(private_localcloud):
    """``localcloud stop``/``start`` (a private localcloud, Python shell jobs: no Spark): finished
    runs come back as they were, with their logs; a run that was going comes back STOPPED."""
    s3, glue = private_localcloud.client("s3"), private_localcloud.client("glue")
    s3.create_bucket(Bucket="persist-glue")
    for name, code in (("quick", "print('done')\n"), ("slow", "import time\ntime.sleep(600)\n")):
        s3.put_object(Bucket="persist-glue", Key=f"{name}.py", Body=code.encode())
        glue.create_job(
            Name=name, Role="r", Command={"Name": "pythonshell", "ScriptLocation": f"s3://persist-glue/{name}.py"}
        )
    clients = {"glue": glue, "logs": private_localcloud.client("logs")}
    quick = ok(clients, run_job(clients, "quick"))
    slow = glue.start_job_run(JobName="slow")["JobRunId"]
    deadline = time.monotonic() + 60
    while glue.get_job_run(JobName="slow", RunId=slow)["JobRun"]["JobRunState"] != "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.1)

    assert private_localcloud.run("stop").returncode == 0
    again = testing.start(private_localcloud.lab_dir, private_localcloud.env, fresh=False)
    clients = {"glue": again.client("glue"), "logs": again.client("logs")}
    assert clients["glue"].get_job_run(JobName="quick", RunId=quick["Id"])["JobRun"] == quick
    assert log(clients, OUTPUT, quick["Id"])[1:] == ["done"]
    stopped = clients["glue"].get_job_run(JobName="slow", RunId=slow)["JobRun"]
    assert (stopped["JobRunState"], stopped["ErrorMessage"]) == (
        "STOPPED",
        "localcloud stopped while the run was going",
    )
    second = ok(clients, run_job(clients, "quick"))
    assert [r["Id"] for r in clients["glue"].get_job_runs(JobName="quick")["JobRuns"]] == [second["Id"], quick["Id"]]


def _spark_pids() -> list[int]:
    """The Spark worker's pid and its JVM's (empty when no worker runs)."""
    status = json.loads(
        subprocess.run([sys.executable, "-m", "localcloud", "status", "--json"], capture_output=True, text=True).stdout
    )
    workers = [p["pid"] for p in status["processes"] if p["name"] == "glue-spark-worker"]
    return workers + [int(d) for d in os.listdir("/proc") if d.isdigit() and _ppid(int(d)) in workers]


def test_deleting_the_last_etl_job_stops_spark_and_a_new_one_starts_it(aws):
    """Spark's memory (the JVM: several hundred MB) is not kept through the labs after Glue's."""
    glue = aws["glue"]
    etl = [j["Name"] for j in glue.get_jobs()["Jobs"] if j["Command"]["Name"] == "glueetl"]
    assert len(etl) >= 2 and glue_status()["spark_worker"]
    spark = _spark_pids()
    assert len(spark) >= 2, "the Spark worker has a JVM child"
    for name in etl[:-1]:
        glue.delete_job(JobName=name)
    assert glue_status()["spark_worker"] and all(pid_alive(p) for p in spark)  # a glueetl job is left
    glue.delete_job(JobName=etl[-1])
    deadline = time.monotonic() + 60  # the JVM's shutdown; 20 s ran out beside another worker's Spark
    while any(pid_alive(p) for p in spark):
        assert time.monotonic() < deadline, "Spark outlived the last glueetl job"
        time.sleep(0.1)
    assert glue_status()["spark_worker"] is False

    make_job(aws, "spin", SPARK_HEAD + "print('again')\n")  # CreateJob of a glueetl job: Spark again
    deadline = time.monotonic() + WAIT_S
    while not glue_status()["spark_worker"]:
        assert time.monotonic() < deadline, "Spark did not start after CreateJob"
        time.sleep(0.5)


def test_reset_stops_spark_without_orphans(aws):
    """Last: ``localcloud reset`` ends the Spark worker and its JVM, and forgets jobs and runs."""
    worker, *jvms = _spark_pids()
    assert jvms, "the Spark worker has a JVM child"
    assert subprocess.run([sys.executable, "-m", "localcloud", "reset"], capture_output=True).returncode == 0
    deadline = time.monotonic() + 15
    while any(pid_alive(p) for p in [worker, *jvms]):
        assert time.monotonic() < deadline, "Spark outlived reset"
        time.sleep(0.1)
    assert glue_status() == {"spark_worker": False, "runs": {}}
    assert code_of(lambda: aws["glue"].get_job(JobName="spin"))[0] == "EntityNotFoundException"


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None
