"""The Athena engine vs DuckDB reading the same partitioned Parquet files directly.

Generates ``--rows`` sales rows (default 10 M) with a vectorised generator (same columns and
value ranges as data/generate_sales.py, numpy instead of a row loop), writes them as Parquet
partitioned by country, uploads the files to a private localcloud and registers the table
with Athena DDL + MSCK REPAIR TABLE.  Each query runs once to warm up (the engine copies
each S3 object to its ETag-keyed cache once), then ``--runs`` times on both sides.

Engine time = StartQueryExecution -> SUCCEEDED as a boto3 client sees it (parse, catalog,
pruning, DuckDB, CSV result written to S3); its parts as the engine reports them in Athena's
Statistics: EngineExecutionTimeInMillis (planning + DuckDB), QueryPlanningTimeInMillis (sqlglot
parse and translation, catalog, partition pruning, the scan's view) and
ServiceProcessingTimeInMillis (rows to Athena's strings, result CSV and metadata written to S3).
DuckDB time = the same SQL on ``read_parquet('<dir>/**/*.parquet', hive_partitioning=true)`` in this process.

Engine and DuckDB runs alternate, and before each timed run (either side) it waits until the
daemon has written the state snapshot the previous query made due (``--overlap-snapshots``: no
wait), so both sides start after the same pause. localcloud saves its whole state shortly after changes
(a query writes its result to S3) and after reads; with this benchmark's 132 MB in S3 a snapshot
takes seconds of the daemon's CPU, and a query overlapping it is slowed by the competition for the
two cores, not by anything in the engine (``benchmarks/persistence.py`` measures snapshots).

    .venv/bin/python benchmarks/athena_vs_duckdb.py [--rows 10000000] [--runs 5] [--data DIR] [--overlap-snapshots]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _athena_bench import REPO, private_localcloud, run  # noqa: E402

import labcontract  # noqa: E402

sys.path.insert(0, str(REPO / "data"))
import generate_sales as gs  # noqa: E402

TARGET_RATIO = 1.3
QUERIES = {
    "all partitions, group by": (
        "SELECT country, count(*) AS n, sum(sales) AS revenue FROM {t} GROUP BY country ORDER BY country"
    ),
    "one partition": (
        "SELECT productline, sum(sales) AS revenue FROM {t} WHERE country = 'USA' "
        "GROUP BY productline ORDER BY productline"
    ),
    "filter on a column": (
        "SELECT year_id, avg(priceeach) AS p FROM {t} WHERE quantityordered > 50 GROUP BY year_id ORDER BY year_id"
    ),
}


def generate(rows: int, out: Path) -> int:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(2003)
    lines = list(gs.PRODUCT_LINES)
    countries = list(gs.COUNTRIES)
    share = np.array([gs.COUNTRIES[c][1] for c in countries], float)
    country = rng.choice(len(countries), rows, p=share / share.sum())
    msrp = rng.integers(33, 215, rows)
    qty = rng.integers(6, 98, rows).astype("int32")
    price = np.round(msrp * rng.uniform(0.8, 1.15, rows), 2)
    table = pa.table(
        {
            "ordernumber": np.arange(10100, 10100 + rows) // 9,
            "quantityordered": qty,
            "priceeach": price,
            "sales": np.round(qty * price, 2),
            "year_id": rng.choice([2003, 2004, 2005], rows, p=[0.4, 0.44, 0.16]).astype("int32"),
            "productline": pa.array(np.array(lines)[rng.integers(0, len(lines), rows)]),
            "country_idx": country,
        }
    )
    files = 0
    for i, c in enumerate(countries):
        part = table.filter(pa.compute.equal(table["country_idx"], i)).drop_columns(["country_idx"])
        d = out / f"country={c}"
        d.mkdir(parents=True)
        pq.write_table(part, d / "part-00000.parquet", compression="snappy")
        files += 1
    return files


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--overlap-snapshots",
        action="store_true",
        help="do not wait for the daemon's state snapshot before each timed run (they then overlap)",
    )
    ap.add_argument("--data", type=Path, help="keep the generated Parquet files here and reuse them next time")
    args = ap.parse_args()
    work = args.data or Path(tempfile.mkdtemp(prefix="athena-vs-duckdb-"))
    try:
        t0 = time.perf_counter()
        if args.data and (work / "sales").exists():
            files = len(list(work.rglob("*.parquet")))
        else:
            files = generate(args.rows, work / "sales")
        size = sum(p.stat().st_size for p in work.rglob("*.parquet"))
        print(f"{args.rows:,} rows -> {files} Parquet files, {size / 1e6:.1f} MB ({time.perf_counter() - t0:.1f} s)")
        with private_localcloud() as lab_dir:
            import boto3

            from localcloud import config

            # Control calls need this install's token (without it: 403, the safety check).
            token = config.install_credentials(Path(lab_dir) / "localcloud", create=False).control_token

            def snapshots() -> dict:
                """The daemon's state snapshots so far (count, last size and time, one pending?):
                each one serialises every S3 body (the 132 MB here) on the daemon's CPU."""
                req = urllib.request.Request(
                    os.environ["AWS_ENDPOINT_URL"] + "/_localcloud/status", headers={config.TOKEN_HEADER: token}
                )
                with urllib.request.urlopen(req) as r:
                    return json.load(r)[labcontract.PERSISTENCE_STATUS_KEY]["snapshots"]

            def quiet() -> None:
                """Wait until the snapshot the last query made due is written (persistence saves
                shortly after changes and after reads): the timed query then runs alone."""
                if not args.overlap_snapshots:
                    while snapshots()["pending"]:
                        time.sleep(0.05)

            import duckdb

            s3, athena, glue = boto3.client("s3"), boto3.client("athena"), boto3.client("glue")
            s3.create_bucket(Bucket="bench")
            for p in sorted(work.rglob("*.parquet")):
                s3.upload_file(str(p), "bench", str(p.relative_to(work)))
            glue.create_database(DatabaseInput={"Name": "bench"})
            out = "s3://bench/output/"
            run(
                athena,
                "CREATE EXTERNAL TABLE sales (ordernumber bigint, quantityordered int, priceeach double, "
                "sales double, year_id int, productline string) PARTITIONED BY (country string) "
                "STORED AS PARQUET LOCATION 's3://bench/sales/'",
                "bench",
                out,
            )
            run(athena, "MSCK REPAIR TABLE sales", "bench", out)
            con = duckdb.connect()
            direct = f"read_parquet('{work}/sales/**/*.parquet', hive_partitioning=true)"
            print(f"median of {args.runs} runs after one warm-up (target engine/DuckDB <= {TARGET_RATIO}x)")
            for name, sql in QUERIES.items():
                first = time.perf_counter()
                ex = run(athena, sql.format(t="sales"), "bench", out)
                first = time.perf_counter() - first
                eng, eng_inner, stages, duck = [], [], [], []
                con.execute(sql.format(t=direct)).fetchall()
                saved = snapshots()["snapshots"]
                # Alternated, each side right after the same pause (the wait for the snapshot the
                # previous query made due): both start with the caches that snapshot left cold, and
                # a change of load hits both. (Run back to back, DuckDB alone stayed warm.)
                for _ in range(args.runs):
                    quiet()
                    t = time.perf_counter()
                    ex = run(athena, sql.format(t="sales"), "bench", out)
                    eng.append(time.perf_counter() - t)
                    st = ex["Statistics"]
                    eng_inner.append(st["EngineExecutionTimeInMillis"] / 1000)
                    stages.append((st["QueryPlanningTimeInMillis"], st["ServiceProcessingTimeInMillis"]))
                    quiet()
                    t = time.perf_counter()
                    con.execute(sql.format(t=direct)).fetchall()
                    duck.append(time.perf_counter() - t)
                snap = snapshots()
                saved = snap["snapshots"] - saved
                when = "during" if args.overlap_snapshots else "between"
                e, ei, d = statistics.median(eng), statistics.median(eng_inner), statistics.median(duck)
                plan = statistics.median(p for p, _ in stages)
                service = statistics.median(s for _, s in stages)
                print(
                    f"  {name:26} engine {e * 1000:7.1f} ms (engine-only {ei * 1000:6.1f} ms of which planning "
                    f"{plan:.0f} ms; then results {service:.0f} ms; first run "
                    f"{first * 1000:7.1f} ms) | DuckDB {d * 1000:7.1f} ms | ratio {e / d:4.2f}x "
                    f"{'ok' if e / d <= TARGET_RATIO else 'OVER TARGET'} | scanned "
                    f"{ex['Statistics']['DataScannedInBytes'] / 1e6:.1f} MB | state snapshots {when} the runs: {saved} "
                    f"(last {snap['last_bytes'] / 1e6:.0f} MB in {snap['last_ms']:.0f} ms)"
                )
    finally:
        if not args.data:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
