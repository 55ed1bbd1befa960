"""Glue job runs through localcloud's Glue API: cold and warm runs, and Spark vs the Athena engine.

A private localcloud holds the course's sales data as JSON lines in S3 (lab 04's layout: the CSV's
upper-case keys) with a catalog table over it. Everything goes through boto3, as a learner's
notebook does: ``create_job`` (glueetl, GlueVersion 5.0, G.1X x 2), ``start_job_run``, polling
``get_job_run`` until SUCCEEDED. Run time = ``start_job_run`` -> SUCCEEDED seen by the client.

* **first run right after create_job**: ``create_job`` starts Spark in the background (prewarm);
  the run is started at once, so it waits for most of the Spark start. After a
  ``localcloud reset`` (Spark stopped) this repeats ``--cold`` times.
* **first run after a pause**: ``create_job``, then ``--pause`` seconds (the learner writes the
  next cell), then the run.
* **warm**: ``--warm`` more runs on the warm Spark.

Spark vs Athena: the job script runs one SQL aggregate with Spark (``spark.sql`` over the catalog
table read as a DynamicFrame) and times its read and its query; the Athena engine runs the same
SQL on the same table (``start_query_execution`` -> SUCCEEDED, and the engine's own
``EngineExecutionTimeInMillis``). Medians are printed; both engines' answers are compared.

    .venv/bin/python benchmarks/glue_job_run.py [--cold 2] [--warm 5] [--pause 10] [--athena 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _localcloud import REPO, private_localcloud  # noqa: E402

sys.path.insert(0, str(REPO))
CSV = REPO / "data" / "sales_data_sample.csv"
BUCKET = "bench-glue"
DB = "bench_glue_db"
SQL = (
    "SELECT productline, count(*) AS n, round(sum(sales), 2) AS revenue FROM sales GROUP BY productline "
    "ORDER BY productline"
)

SCRIPT = """
import sys, json, time
from awsglue.utils import getResolvedOptions
from awsglue.context import GlueContext
from awsglue.job import Job
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "sql"])
glueContext = GlueContext(SparkContext())
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

t0 = time.perf_counter()
sales = glueContext.create_dynamic_frame.from_catalog(database="bench_glue_db", table_name="sales")
df = sales.toDF()
df.createOrReplaceTempView("sales")
t1 = time.perf_counter()
rows = spark.sql(args["sql"]).collect()
t2 = time.perf_counter()
print("TIMES " + json.dumps({"read_s": t1 - t0, "query_s": t2 - t1}))
print("ROWS " + json.dumps([list(r) for r in rows]))
job.commit()
"""


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def setup(s3, glue) -> None:
    import pandas as pd

    sales = pd.read_csv(CSV, keep_default_na=False, dtype={"POSTALCODE": str})
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="sales/sales.json", Body=sales.to_json(orient="records", lines=True).encode())
    s3.put_object(Bucket=BUCKET, Key="scripts/by_line.py", Body=SCRIPT.encode())
    glue.create_database(DatabaseInput={"Name": DB})
    kinds = {"int64": "bigint", "float64": "double"}
    cols = [{"Name": c.lower(), "Type": kinds.get(str(t), "string")} for c, t in sales.dtypes.items()]
    glue.create_table(
        DatabaseName=DB,
        TableInput={
            "Name": "sales",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Columns": cols,
                "Location": f"s3://{BUCKET}/sales/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
            },
        },
    )


def create_job(glue) -> None:
    glue.create_job(
        Name="bench-by-line",
        Role="arn:aws:iam::123456789012:role/bench",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/by_line.py"},
        GlueVersion="5.0",
        WorkerType="G.1X",
        NumberOfWorkers=2,
        DefaultArguments={"--sql": SQL},
    )


def run(glue, logs) -> tuple[float, dict, list]:
    """(start_job_run -> SUCCEEDED seconds, the script's TIMES, its ROWS)."""
    t0 = time.perf_counter()
    rid = glue.start_job_run(JobName="bench-by-line")["JobRunId"]
    while (state := glue.get_job_run(JobName="bench-by-line", RunId=rid)["JobRun"])["JobRunState"] in (
        "STARTING",
        "RUNNING",
    ):
        time.sleep(0.05)
    elapsed = time.perf_counter() - t0
    if state["JobRunState"] != "SUCCEEDED":
        raise SystemExit(f"run {state['JobRunState']}: {state.get('ErrorMessage')}")
    out = [e["message"] for e in logs.get_log_events(logGroupName="/aws-glue/jobs/output", logStreamName=rid)["events"]]
    times = json.loads(next(x for x in out if x.startswith("TIMES "))[6:])
    rows = json.loads(next(x for x in out if x.startswith("ROWS "))[5:])
    return elapsed, times, rows


def athena_query(athena) -> tuple[float, float, list]:
    """(start_query_execution -> SUCCEEDED seconds, engine milliseconds, rows)."""
    t0 = time.perf_counter()
    qid = athena.start_query_execution(
        QueryString=SQL,
        QueryExecutionContext={"Database": DB},
        ResultConfiguration={"OutputLocation": f"s3://{BUCKET}/athena/"},
    )["QueryExecutionId"]
    while (q := athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"])["Status"]["State"] in (
        "QUEUED",
        "RUNNING",
    ):
        time.sleep(0.02)
    elapsed = time.perf_counter() - t0
    if q["Status"]["State"] != "SUCCEEDED":
        raise SystemExit(f"Athena query failed: {q['Status']}")
    result = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"][1:]
    rows = [[d.get("VarCharValue") for d in r["Data"]] for r in result]
    return elapsed, q["Statistics"]["EngineExecutionTimeInMillis"] / 1000, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cold", type=int, default=2, help="first runs right after create_job (reset in between)")
    ap.add_argument("--warm", type=int, default=5, help="runs on the warm Spark")
    ap.add_argument("--pause", type=float, default=10.0, help="seconds between create_job and the first run")
    ap.add_argument("--athena", type=int, default=5, help="Athena queries")
    opts = ap.parse_args()

    import boto3

    with private_localcloud("bench-glue-") as status:
        cloud = status["cloud"]
        s3, glue, logs, athena = (boto3.client(s) for s in ("s3", "glue", "logs", "athena"))

        cold, spark_starts = [], []
        for _ in range(opts.cold):
            cloud.run("reset")  # Spark stopped, state forgotten: the next create_job starts it again
            setup(s3, glue)
            create_job(glue)
            elapsed, _, _ = run(glue, logs)
            cold.append(elapsed)
            spark_starts.append(json.loads(cloud.run("status", "--json").stdout)["engines"]["glue"]["jobs"])

        cloud.run("reset")
        setup(s3, glue)
        create_job(glue)
        time.sleep(opts.pause)  # the learner writes the next cell meanwhile
        paused, _, _ = run(glue, logs)

        warm, inner, spark_rows = [], [], None
        for _ in range(opts.warm):
            elapsed, times, spark_rows = run(glue, logs)
            warm.append(elapsed)
            inner.append(times)

        ath = [athena_query(athena) for _ in range(opts.athena)]

    athena_rows = ath[-1][2]
    same = [[r[0], int(r[1]), float(r[2])] for r in athena_rows] == [[r[0], r[1], r[2]] for r in spark_rows]
    print(f"Glue job runs through localcloud's Glue API ({CSV.name} as JSON lines: 2,823 rows), 2 cores")
    print(f"  first run right after create_job: {', '.join(f'{x:.2f}' for x in cold)} s   goal <= 20 s")
    print(
        f"    Spark start (JVM + SparkSession): {', '.join(str(s.get('last_spark_start_s')) for s in spark_starts)} s"
    )
    print(f"  first run {opts.pause:.0f} s after create_job (prewarmed): {paused:.2f} s")
    print(
        f"  warm run: median {med(warm):.2f} s (min {min(warm):.2f}, max {max(warm):.2f}, n={len(warm)})   goal <= 5 s"
    )
    print("  Spark vs the Athena engine, same SQL on the same catalog table (medians):")
    print(
        f"    Spark inside the job: read as DynamicFrame {med([t['read_s'] for t in inner]):.3f} s, "
        f"query {med([t['query_s'] for t in inner]):.3f} s; whole job run {med(warm):.2f} s"
    )
    print(
        f"    Athena engine: {med([a[1] for a in ath]):.3f} s engine time; "
        f"start_query_execution -> SUCCEEDED {med([a[0] for a in ath]):.3f} s"
    )
    ratio = med(warm) / med([a[0] for a in ath])
    print(f"    whole Glue run / whole Athena query: {ratio:.0f}x   answers identical: {same}")


if __name__ == "__main__":
    main()
