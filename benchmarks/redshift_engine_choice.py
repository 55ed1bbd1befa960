"""Why the Redshift warehouse runs on PostgreSQL and not DuckDB: the same work on both.

PostgreSQL: a server started the way the runtime starts one (template copy + postgres on a
private Unix socket), reached with psycopg (libpq).  DuckDB: in-process, an on-disk database.
Measured: engine start, a trivial query round trip, loading 1M CSV rows, an aggregate and a
fact-dimension join over them.  No localcloud needed.

    .venv/bin/python benchmarks/redshift_engine_choice.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AGG = "SELECT cust_id % 10 AS k, count(*), sum(amount) FROM sales GROUP BY 1 ORDER BY 1"
JOIN = "SELECT d.region, sum(s.amount) FROM sales s JOIN customers d ON s.cust_id = d.cust_id GROUP BY 1 ORDER BY 1"


def timed(fn, runs=1):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="engine-choice-"))
    csv_path = tmp / "sales.csv"
    with open(csv_path, "w") as f:
        for i in range(args.rows):
            f.write(f"{i},{i % 500},2024-{i % 12 + 1:02d}-{i % 28 + 1:02d},{i % 1000 * 1.25:.2f}\n")
    results = {}

    # -- PostgreSQL, as the runtime runs it ---------------------------------------------------------
    import psycopg

    from localcloud.engines.redshift.runtime import Runtime
    from localcloud.engines.redshift.warehouse import WarehouseConfig

    t = time.perf_counter()
    rt = Runtime(tmp / "pg-state")
    template = time.perf_counter() - t
    try:
        wh = rt.create_warehouse("cluster:b", WarehouseConfig(name="b", admin_user="bench", admin_password="Bench-Pw1"))
        t = time.perf_counter()
        wh.start()
        start = time.perf_counter() - t
        sock_dir = str(Path(wh.server.socket_path).parent)
        conn = psycopg.connect(host=sock_dir, port=5439, user="lc_internal", dbname="dev", autocommit=True)
        trivial = timed(lambda: conn.execute("SELECT 1").fetchall(), 200)
        conn.execute("CREATE TABLE sales (id bigint, cust_id int, sale_date date, amount numeric(12,2))")
        conn.execute(
            "CREATE TABLE customers AS SELECT g AS cust_id, 'r' || (g % 7) AS region FROM generate_series(0, 499) g"
        )

        def load_pg():
            with conn.cursor().copy("COPY sales FROM STDIN (FORMAT csv)") as cp, open(csv_path, "rb") as f:
                while chunk := f.read(1 << 20):
                    cp.write(chunk)

        load = timed(load_pg)
        conn.execute("ANALYZE sales")
        agg = timed(lambda: conn.execute(AGG).fetchall(), 3)
        join = timed(lambda: conn.execute(JOIN).fetchall(), 3)
        results["PostgreSQL 15"] = (template + start, trivial, load, agg, join)
        conn.close()
    finally:
        rt.close()

    # -- DuckDB -----------------------------------------------------------------------------------
    import duckdb

    t = time.perf_counter()
    db = duckdb.connect(str(tmp / "duck.db"))
    start = time.perf_counter() - t
    trivial = timed(lambda: db.execute("SELECT 1").fetchall(), 200)
    db.execute("CREATE TABLE sales (id bigint, cust_id int, sale_date date, amount decimal(12,2))")
    db.execute("CREATE TABLE customers AS SELECT g AS cust_id, 'r' || (g % 7) AS region FROM range(0, 500) t(g)")
    load = timed(lambda: db.execute(f"COPY sales FROM '{csv_path}' (FORMAT csv)"))
    agg = timed(lambda: db.execute(AGG).fetchall(), 3)
    join = timed(lambda: db.execute(JOIN).fetchall(), 3)
    results[f"DuckDB {duckdb.__version__}"] = (start, trivial, load, agg, join)
    db.close()

    print(f"{args.rows:,} rows; median of 200 trivial queries, 3 aggregate/join runs")
    print(f"{'engine':16s} {'start':>9s} {'SELECT 1':>10s} {'load CSV':>10s} {'aggregate':>10s} {'join':>10s}")
    for name, (s, q, ld, a, j) in results.items():
        print(f"{name:16s} {s:8.2f}s {q * 1000:8.2f}ms {ld:9.2f}s {a * 1000:8.0f}ms {j * 1000:8.0f}ms")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
