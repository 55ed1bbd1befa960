"""Rows per second of lab 03's batched ``executemany`` load into a localcloud RDS MySQL.

    .venv/bin/python benchmarks/mysql_load.py                      # data/sales_data_sample.csv
    .venv/bin/python benchmarks/mysql_load.py --rows 100000        # a larger file from data/generate_sales.py
    .venv/bin/python benchmarks/mysql_load.py --batch 1000

A private localcloud (temporary LAB_DIR, free port) runs one instance; the load is lab 03's:
pandas reads the CSV (keep_default_na=False), then order lines go in with executemany in
batches, one transaction, committed once. Printed: read time, load time, rows/s (load only).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from _localcloud import private_localcloud

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = (
    "order_number INT NOT NULL, order_line_number SMALLINT UNSIGNED NOT NULL, order_date DATE NOT NULL, "
    "status VARCHAR(20) NOT NULL, customer_name VARCHAR(100) NOT NULL, product_code VARCHAR(15) NOT NULL, "
    "product_line VARCHAR(30) NOT NULL, quantity_ordered SMALLINT UNSIGNED NOT NULL, "
    "price_each DECIMAL(10,2) NOT NULL, sales DECIMAL(12,2) NOT NULL, msrp SMALLINT UNSIGNED NOT NULL, "
    "deal_size ENUM('Small','Medium','Large') NOT NULL, PRIMARY KEY (order_number, order_line_number)"
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=0, help="generate this many rows (0: the committed CSV)")
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    with private_localcloud("bench-mysql-") as started:
        lab_dir = started["lab_dir"]
        csv_path = ROOT / "data" / "sales_data_sample.csv"
        if args.rows:
            csv_path = Path(lab_dir) / "sales.csv"
            subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "data" / "generate_sales.py"),
                    "--rows",
                    str(args.rows),
                    "--out",
                    str(csv_path),
                ],
                check=True,
            )
        import boto3
        import mysql.connector
        import pandas as pd

        rds, ec2, sm = (boto3.client(s) for s in ("rds", "ec2", "secretsmanager"))
        gid = ec2.create_security_group(GroupName="bench", Description="bench")["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=gid,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 3306,
                    "ToPort": 3306,
                    "IpRanges": [{"CidrIp": started["learner_ip"] + "/32"}],
                }
            ],
        )
        rds.create_db_instance(
            DBInstanceIdentifier="bench",
            Engine="mysql",
            DBInstanceClass="db.t3.micro",
            MasterUsername="admin",
            ManageMasterUserPassword=True,
            VpcSecurityGroupIds=[gid],
            PubliclyAccessible=True,
            AllocatedStorage=20,
        )
        rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier="bench", WaiterConfig={"Delay": 0.1, "MaxAttempts": 600}
        )
        db = rds.describe_db_instances(DBInstanceIdentifier="bench")["DBInstances"][0]
        secret = json.loads(sm.get_secret_value(SecretId=db["MasterUserSecret"]["SecretArn"])["SecretString"])

        t0 = time.monotonic()
        sales = pd.read_csv(csv_path, keep_default_na=False, dtype={"POSTALCODE": str})
        sales["ORDERDATE"] = pd.to_datetime(sales["ORDERDATE"], format="%m/%d/%Y %H:%M").dt.date
        rows = [
            (
                r.ORDERNUMBER,
                r.ORDERLINENUMBER,
                r.ORDERDATE,
                r.STATUS,
                r.CUSTOMERNAME,
                r.PRODUCTCODE,
                r.PRODUCTLINE,
                r.QUANTITYORDERED,
                r.PRICEEACH,
                r.SALES,
                r.MSRP,
                r.DEALSIZE,
            )
            for r in sales.itertuples()
        ]
        t_read = time.monotonic() - t0
        with (
            mysql.connector.connect(
                host=db["Endpoint"]["Address"],
                port=db["Endpoint"]["Port"],
                user=secret["username"],
                password=secret["password"],
            ) as conn,
            conn.cursor() as cur,
        ):
            cur.execute("CREATE DATABASE bench")
            cur.execute(f"CREATE TABLE bench.order_lines ({COLUMNS})")
            sql = "INSERT INTO bench.order_lines VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            t1 = time.monotonic()
            for start in range(0, len(rows), args.batch):
                cur.executemany(sql, rows[start : start + args.batch])
            conn.commit()
            t_load = time.monotonic() - t1
            cur.execute("SELECT COUNT(*) FROM bench.order_lines")
            count = cur.fetchone()[0]
        print(f"file: {csv_path.name}, {len(rows)} rows; batch {args.batch}")
        print(f"read + convert (pandas): {t_read:.2f} s")
        print(f"load (executemany, one commit): {t_load:.2f} s -> {count / t_load:,.0f} rows/s ({count} rows stored)")


if __name__ == "__main__":
    main()
