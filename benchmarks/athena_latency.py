"""pyathena round-trip latency on the course data (lab 04's table), against a private localcloud.

The clock covers ``cursor.execute(...)`` + ``fetchall()``: StartQueryExecution, the polls,
GetQueryResults.  The first query of each shape (parsing the JSON into the engine's cache) is
reported apart from the steady state.

    .venv/bin/python benchmarks/athena_latency.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _athena_bench import REPO, private_localcloud, run  # noqa: E402

TARGET_MS = 100
QUERIES = {
    "group by year": "SELECT year_id, count(*) AS total_orders FROM sales_order_data GROUP BY year_id",
    "filter + aggregate": "SELECT productline, round(sum(sales), 2) FROM sales_order_data "
    "WHERE country = 'USA' GROUP BY productline ORDER BY 2 DESC",
    "100 rows": "SELECT ordernumber, customername, sales FROM sales_order_data LIMIT 100",
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    with private_localcloud():
        import boto3
        import pandas as pd
        from pyathena import connect

        s3, athena, glue = boto3.client("s3"), boto3.client("athena"), boto3.client("glue")
        s3.create_bucket(Bucket="bench")
        sales = pd.read_csv(REPO / "data" / "sales_data_sample.csv", keep_default_na=False, dtype={"POSTALCODE": str})
        s3.put_object(Bucket="bench", Key="input/sales.json", Body=sales.to_json(orient="records", lines=True).encode())
        sys.path.insert(0, str(REPO))
        from helpers.requirements_analytics import table_input

        glue.create_database(DatabaseInput={"Name": "sales_db"})
        glue.create_table(DatabaseName="sales_db", TableInput=table_input("bench"))
        run(athena, "SELECT 1", "sales_db", "s3://bench/output/")
        cur = connect(s3_staging_dir="s3://bench/output/", schema_name="sales_db", region_name="us-east-1").cursor()
        print(
            f"pyathena latency, {len(sales)} rows of JSON lines, {args.runs} runs per query "
            f"(target p50 <= {TARGET_MS} ms)"
        )
        for name, sql in QUERIES.items():
            times = []
            for _ in range(args.runs + 1):
                t0 = time.perf_counter()
                cur.execute(sql)
                cur.fetchall()
                times.append((time.perf_counter() - t0) * 1000)
            first, rest = times[0], sorted(times[1:])
            p50, p90 = statistics.median(rest), rest[int(0.9 * (len(rest) - 1))]
            print(
                f"  {name:20} first {first:6.1f} ms | p50 {p50:6.1f} ms | p90 {p90:6.1f} ms | max {rest[-1]:6.1f} ms "
                f"{'ok' if p50 <= TARGET_MS else 'OVER TARGET'}"
            )


if __name__ == "__main__":
    main()
