"""Prerequisites the analytics labs build (introduced in 04, used by 05).

``sales-athena``: the bucket ``sales-data-analysis-<suffix>`` with the sales data as JSON lines
under ``input/``, the Glue database ``sales_db`` and its table ``sales_order_data`` over
those files — what lab 04 builds step by step, so lab 05 (Lambda + Athena) can run alone.
"""

from __future__ import annotations

import boto3
from botocore.exceptions import ClientError

from . import lab
from .athena import sales_bucket
from .paths import data_file

DATABASE = "sales_db"
TABLE = "sales_order_data"
DATA_KEY = "input/sales_data.json"
OPENX_JSON = "org.openx.data.jsonserde.JsonSerDe"

# The columns of data/sales_data_sample.csv as lab 04's CREATE EXTERNAL TABLE declares them.
SALES_COLUMNS = [
    ("ordernumber", "int"), ("quantityordered", "int"), ("priceeach", "double"), ("orderlinenumber", "int"),
    ("sales", "double"), ("orderdate", "string"), ("status", "string"), ("qtr_id", "int"), ("month_id", "int"),
    ("year_id", "int"), ("productline", "string"), ("msrp", "int"), ("productcode", "string"),
    ("customername", "string"), ("phone", "string"), ("addressline1", "string"), ("addressline2", "string"),
    ("city", "string"), ("state", "string"), ("postalcode", "string"), ("country", "string"),
    ("territory", "string"), ("contactlastname", "string"), ("contactfirstname", "string"), ("dealsize", "string"),
]


def sales_json_lines() -> bytes:
    """The course CSV as JSON lines (``keep_default_na=False``: the territory NA stays 'NA')."""
    import pandas as pd

    df = pd.read_csv(data_file("sales_data_sample.csv"), keep_default_na=False, dtype={"POSTALCODE": str})
    return df.to_json(orient="records", lines=True).encode()


def table_input(bucket: str) -> dict:
    """The Glue table Athena's CREATE EXTERNAL TABLE of lab 04 records."""
    return {
        "Name": TABLE, "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", "classification": "json"},
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t} for n, t in SALES_COLUMNS],
            "Location": f"s3://{bucket}/input/",
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": {"SerializationLibrary": OPENX_JSON, "Parameters": {"ignore.malformed.json": "false"}},
        },
        "PartitionKeys": [],
    }


@lab.requirement("sales-athena", lab="04",
                 description="bucket sales-data-analysis-… with the sales JSON, Glue sales_db.sales_order_data")
def ensure_sales_athena() -> bool:
    target = lab.current()
    s3, glue = boto3.client("s3"), boto3.client("glue")
    bucket = sales_bucket(target.account, target.region)
    created = False
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise
        args = {"Bucket": bucket}
        if target.region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": target.region}
        s3.create_bucket(**args)
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": lab.tags(Lab="04")})
        created = True
    if s3.list_objects_v2(Bucket=bucket, Prefix=DATA_KEY).get("KeyCount", 0) == 0:
        s3.put_object(Bucket=bucket, Key=DATA_KEY, Body=sales_json_lines())
        created = True
    try:
        glue.get_database(Name=DATABASE)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "EntityNotFoundException":
            raise
        glue.create_database(DatabaseInput={"Name": DATABASE, "Description": "Lab 04 sales data"},
                             Tags=lab.tag_dict(Lab="04"))
        created = True
    try:
        glue.get_table(DatabaseName=DATABASE, Name=TABLE)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "EntityNotFoundException":
            raise
        glue.create_table(DatabaseName=DATABASE, TableInput=table_input(bucket))
        created = True
    return created
