"""helpers.athena (waits, cost), the sales-athena requirement and the analytics collectors."""

import boto3
import pytest

from helpers import athena as ath_help
from helpers import lab, requirements_analytics, resources


@pytest.fixture(scope="module")
def started():
    return lab.start("04")


def test_cost_has_the_10_mb_minimum():
    assert ath_help.billed_bytes(1) == 10 * 1024 * 1024
    assert ath_help.cost(1_476_991) == "1,476,991 bytes scanned -> billed 10 MB minimum -> $0.000048"
    assert ath_help.cost(1024**4).endswith("-> $5.000000")


def test_sales_bucket_is_deterministic_and_valid():
    name = ath_help.sales_bucket("123456789012", "us-east-1")
    assert (
        name == ath_help.sales_bucket("123456789012", "us-east-1") != ath_help.sales_bucket("210987654321", "us-east-1")
    )
    assert name.startswith("sales-data-analysis-") and len(name) <= 63 and name.islower()


def test_wait_for_query_returns_failed_executions(started, capsys):
    athena, s3 = boto3.client("athena"), boto3.client("s3")
    s3.create_bucket(Bucket="helpers-athena-out")
    qid = athena.start_query_execution(
        QueryString="SELECT * FROM nowhere", ResultConfiguration={"OutputLocation": "s3://helpers-athena-out/"}
    )["QueryExecutionId"]
    ex = ath_help.wait_for_query(athena, qid)
    assert ex["Status"]["State"] == "FAILED" and "does not exist" in ex["Status"]["StateChangeReason"]
    assert "✓ the query" in capsys.readouterr().out


def test_requirement_is_idempotent_and_collectors_clean_up(started):
    lab._load_requirements()
    req = lab.REQUIREMENTS["sales-athena"]
    assert req.ensure() is True
    assert req.ensure() is False
    athena, glue, iam = boto3.client("athena"), boto3.client("glue"), boto3.client("iam")
    s3 = boto3.client("s3")
    bucket = ath_help.sales_bucket(started.account, started.region)
    athena.create_work_group(
        Name="wg-test",
        Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{bucket}/output/"}},
        Tags=lab.tags(),
    )
    qid = athena.start_query_execution(
        QueryString="SELECT count(*) FROM sales_order_data",
        QueryExecutionContext={"Database": "sales_db"},
        WorkGroup="wg-test",
    )["QueryExecutionId"]
    ex = ath_help.wait_for_query(athena, qid)
    assert ex["Status"]["State"] == "SUCCEEDED"
    assert athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"][1]["Data"][0]["VarCharValue"] == "2823"
    iam.create_role(
        RoleName="crawler-test",
        AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": '
        '"Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]}',
        Tags=lab.tags(),
    )
    glue.create_crawler(
        Name="crawler-test",
        Role="arn:aws:iam::123456789012:role/crawler-test",
        DatabaseName="sales_db",
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/input/"}]},
        Tags=lab.tag_dict(),
    )
    kinds = {(r.kind, r.name) for r in resources.find_all("04")}
    assert {
        ("glue crawler", "crawler-test"),
        ("athena workgroup", "wg-test"),
        ("glue database", "sales_db"),
        ("s3 bucket", bucket),
    } <= kinds
    assert any(name == "crawler-test" and kind.startswith("iam role") for kind, name in kinds)
    lab.teardown(lab="04")
    assert resources.find_all("04") == []
    assert "wg-test" not in [w["Name"] for w in athena.list_work_groups()["WorkGroups"]]
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def _run(athena, sql, database="sales_db", workgroup="lab04-sales"):
    qid = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": database}, WorkGroup=workgroup
    )["QueryExecutionId"]
    ex = ath_help.wait_for_query(athena, qid)
    assert ex["Status"]["State"] == "SUCCEEDED", ex["Status"]
    return qid, ex


def test_lab_05_prerequisites_rebuild_what_lab_04_builds(started):
    """athena-workgroup and sales-partitioned give lab 05 the table lab 04's DDL + MSCK REPAIR make."""
    lab._load_requirements()
    names = ("sales-athena", "athena-workgroup", "sales-partitioned")
    assert [lab.REQUIREMENTS[n].ensure() for n in names] == [True, True, True]
    assert [lab.REQUIREMENTS[n].ensure() for n in names] == [False, False, False]
    athena, glue = boto3.client("athena"), boto3.client("glue")
    bucket = ath_help.sales_bucket(started.account, started.region)
    wg = athena.get_work_group(WorkGroup="lab04-sales")["WorkGroup"]
    assert wg["Configuration"]["ResultConfiguration"]["OutputLocation"] == f"s3://{bucket}/output/"

    # lab 04's Step 7, by Athena DDL, over the same files, in a database of its own
    glue.create_database(DatabaseInput={"Name": "ddl_check"}, Tags=lab.tag_dict())
    columns = ", ".join(f"{n} {t}" for n, t in requirements_analytics.PARTITIONED_COLUMNS)
    _run(
        athena,
        f"CREATE EXTERNAL TABLE sales_partitioned ({columns}) PARTITIONED BY (country string) "
        f"ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://{bucket}/partitioned_data/'",
        database="ddl_check",
    )
    _run(athena, "MSCK REPAIR TABLE sales_partitioned", database="ddl_check")

    def described(database):
        t = glue.get_table(DatabaseName=database, Name="sales_partitioned")["Table"]
        sd = t["StorageDescriptor"]
        parts = [
            (tuple(p["Values"]), p["StorageDescriptor"]["Location"])
            for page in glue.get_paginator("get_partitions").paginate(
                DatabaseName=database, TableName="sales_partitioned"
            )
            for p in page["Partitions"]
        ]
        return (
            [(c["Name"], c["Type"]) for c in sd["Columns"]],
            [(k["Name"], k["Type"]) for k in t["PartitionKeys"]],
            sd["Location"],
            sd["SerdeInfo"]["SerializationLibrary"],
            sd["SerdeInfo"].get("Parameters") or {},
            sd["InputFormat"],
            t.get("TableType"),
            sorted(parts),
        )

    by_requirement, by_ddl = described("sales_db"), described("ddl_check")
    assert by_requirement == by_ddl
    assert (
        len(by_requirement[-1]) == 19 and (("Japan",), f"s3://{bucket}/partitioned_data/country=Japan/") in by_ddl[-1]
    )
    qid, _ = _run(athena, "SELECT count(*) FROM sales_partitioned")
    assert athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"][1]["Data"][0]["VarCharValue"] == "2823"
    _, usa = _run(athena, "SELECT sum(sales) FROM sales_partitioned WHERE country = 'USA'")
    _, whole = _run(athena, "SELECT sum(sales) FROM sales_order_data WHERE country = 'USA'")
    assert 0 < usa["Statistics"]["DataScannedInBytes"] < whole["Statistics"]["DataScannedInBytes"] / 2
    lab.teardown(lab="04")
    assert resources.find_all("04") == []
