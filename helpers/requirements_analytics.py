"""Prerequisites the analytics labs build (introduced in 04; used by 05 to 08).

``sales-athena``: the bucket ``sales-data-analysis-<suffix>`` with the sales data as JSON lines
under ``input/``, the Glue database ``sales_db`` and its table ``sales_order_data`` over
those files — what lab 04 builds step by step, so labs 05 to 08 (Parquet and crawlers, Glue ETL,
Lambda + Athena, Redshift Spectrum) can run alone.

``athena-workgroup``: lab 04's Athena workgroup ``lab04-sales`` (results under ``output/`` in that
bucket, at most 1 GB scanned per query), which lab 05 queries through.

``sales-partitioned``: lab 04's Step 7 — one folder per country under ``partitioned_data/`` (the
rows without the country column) and the table ``sales_db.sales_partitioned`` over them,
partitioned by ``country``, with every folder registered as a partition. Needs ``sales-athena``
first (``lab.require("sales-athena", "sales-partitioned")``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from botocore.exceptions import ClientError

from . import clients, lab
from .athena import sales_bucket
from .paths import data_file

if TYPE_CHECKING:
    import pandas as pd
    from mypy_boto3_glue.type_defs import PartitionInputTypeDef, StorageDescriptorTypeDef, TableInputTypeDef
    from mypy_boto3_s3.literals import BucketLocationConstraintType
    from mypy_boto3_s3.type_defs import CreateBucketRequestTypeDef

DATABASE = "sales_db"
TABLE = "sales_order_data"
DATA_KEY = "input/sales_data.json"
OPENX_JSON = "org.openx.data.jsonserde.JsonSerDe"
WORKGROUP = "lab04-sales"
PARTITIONED_TABLE = "sales_partitioned"
PARTITIONED_PREFIX = "partitioned_data/"

# The columns of data/sales_data_sample.csv as lab 04's CREATE EXTERNAL TABLE declares them.
SALES_COLUMNS = [
    ("ordernumber", "int"),
    ("quantityordered", "int"),
    ("priceeach", "double"),
    ("orderlinenumber", "int"),
    ("sales", "double"),
    ("orderdate", "string"),
    ("status", "string"),
    ("qtr_id", "int"),
    ("month_id", "int"),
    ("year_id", "int"),
    ("productline", "string"),
    ("msrp", "int"),
    ("productcode", "string"),
    ("customername", "string"),
    ("phone", "string"),
    ("addressline1", "string"),
    ("addressline2", "string"),
    ("city", "string"),
    ("state", "string"),
    ("postalcode", "string"),
    ("country", "string"),
    ("territory", "string"),
    ("contactlastname", "string"),
    ("contactfirstname", "string"),
    ("dealsize", "string"),
]


# The columns lab 04's sales_partitioned declares; country is its partition column (from the folder name).
PARTITIONED_COLUMNS = [
    ("ordernumber", "int"),
    ("quantityordered", "int"),
    ("priceeach", "double"),
    ("orderlinenumber", "int"),
    ("sales", "double"),
    ("orderdate", "string"),
    ("status", "string"),
    ("year_id", "int"),
    ("productline", "string"),
    ("productcode", "string"),
    ("customername", "string"),
    ("city", "string"),
    ("dealsize", "string"),
]


def sales_frame() -> pd.DataFrame:
    """The course CSV as lab 04 reads it (``keep_default_na=False``: the territory NA stays 'NA')."""
    import pandas as pd

    return pd.read_csv(data_file("sales_data_sample.csv"), keep_default_na=False, dtype={"POSTALCODE": str})


def sales_json_lines() -> bytes:
    """The course CSV as JSON lines."""
    return sales_frame().to_json(orient="records", lines=True).encode()


def country_files() -> dict[str, bytes]:
    """One JSON-lines file per country, without the country column: the bytes lab 04 uploads."""
    return {
        str(country): rows.drop(columns="COUNTRY").to_json(orient="records", lines=True).encode()
        for country, rows in sales_frame().groupby("COUNTRY")
    }


def table_input(bucket: str) -> TableInputTypeDef:
    """The Glue table Athena's CREATE EXTERNAL TABLE of lab 04 records."""
    return {
        "Name": TABLE,
        "TableType": "EXTERNAL_TABLE",
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


@lab.requirement(
    "sales-athena",
    lab="04",
    description="bucket sales-data-analysis-… with the sales JSON, Glue sales_db.sales_order_data",
)
def ensure_sales_athena() -> bool:
    target = lab.current()
    s3, glue = clients.client("s3"), clients.client("glue")
    bucket = sales_bucket(target.account, target.region)
    created = False
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise
        args: CreateBucketRequestTypeDef = {"Bucket": bucket}
        if target.region != "us-east-1":
            region = cast("BucketLocationConstraintType", target.region)  # S3 itself rejects an unknown one
            args["CreateBucketConfiguration"] = {"LocationConstraint": region}
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
        glue.create_database(
            DatabaseInput={"Name": DATABASE, "Description": "Lab 04 sales data"}, Tags=lab.tag_dict(Lab="04")
        )
        created = True
    try:
        glue.get_table(DatabaseName=DATABASE, Name=TABLE)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "EntityNotFoundException":
            raise
        glue.create_table(DatabaseName=DATABASE, TableInput=table_input(bucket))
        created = True
    return created


def workgroup_names() -> list[str]:
    """Every Athena workgroup of this region (list_work_groups has no boto3 paginator)."""
    athena = clients.client("athena")
    names: list[str] = []
    token = None
    while True:
        page = athena.list_work_groups(NextToken=token) if token else athena.list_work_groups()
        names += [w["Name"] for w in page["WorkGroups"]]
        token = page.get("NextToken")
        if not token:
            return names


@lab.requirement(
    "athena-workgroup",
    lab="04",
    description="Athena workgroup lab04-sales, results in s3://sales-data-analysis-…/output/",
)
def ensure_athena_workgroup() -> bool:
    if WORKGROUP in workgroup_names():
        return False
    target = lab.current()
    bucket = sales_bucket(target.account, target.region)
    clients.client("athena").create_work_group(
        Name=WORKGROUP,
        Description="Lab 04: results in the lab bucket, at most 1 GB scanned per query",
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{bucket}/output/"},
            "EnforceWorkGroupConfiguration": True,
            "BytesScannedCutoffPerQuery": 1024**3,
            "PublishCloudWatchMetricsEnabled": False,
        },
        Tags=lab.tags(Lab="04"),  # type: ignore[arg-type]  # Athena's TagTypeDef has optional keys, lab.Tag required ones
    )
    return True


def partitioned_storage(location: str) -> StorageDescriptorTypeDef:
    """What lab 04's CREATE EXTERNAL TABLE sales_partitioned records (for the table and each partition)."""
    return {
        "Columns": [{"Name": n, "Type": t} for n, t in PARTITIONED_COLUMNS],
        "Location": location,
        "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "SerdeInfo": {"SerializationLibrary": OPENX_JSON, "Parameters": {}},
    }


@lab.requirement(
    "sales-partitioned",
    lab="04",
    description="Glue table sales_db.sales_partitioned over partitioned_data/, one partition per country",
)
def ensure_sales_partitioned() -> bool:
    target = lab.current()
    s3, glue = clients.client("s3"), clients.client("glue")
    bucket = sales_bucket(target.account, target.region)
    base = f"s3://{bucket}/{PARTITIONED_PREFIX}"
    created = False
    files = country_files()
    present = {
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PARTITIONED_PREFIX)
        for o in page.get("Contents", [])
    }
    for country, body in files.items():
        key = f"{PARTITIONED_PREFIX}country={country}/sales.json"
        if key not in present:
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            created = True
    try:
        glue.get_table(DatabaseName=DATABASE, Name=PARTITIONED_TABLE)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "EntityNotFoundException":
            raise
        glue.create_table(
            DatabaseName=DATABASE,
            TableInput={
                "Name": PARTITIONED_TABLE,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"EXTERNAL": "TRUE"},
                "StorageDescriptor": partitioned_storage(base),
                "PartitionKeys": [{"Name": "country", "Type": "string"}],
            },
        )
        created = True
    registered = {
        tuple(p["Values"])
        for page in glue.get_paginator("get_partitions").paginate(DatabaseName=DATABASE, TableName=PARTITIONED_TABLE)
        for p in page["Partitions"]
    }
    missing: list[PartitionInputTypeDef] = [
        {"Values": [country], "StorageDescriptor": partitioned_storage(f"{base}country={country}/")}
        for country in sorted(files)
        if (country,) not in registered
    ]
    for i in range(0, len(missing), 100):  # batch_create_partition takes at most 100 at a time
        answer = glue.batch_create_partition(
            DatabaseName=DATABASE, TableName=PARTITIONED_TABLE, PartitionInputList=missing[i : i + 100]
        )
        if answer.get("Errors"):
            raise lab.LabError(f"Glue did not register every partition of {PARTITIONED_TABLE}: {answer['Errors']}")
        created = True
    return created
