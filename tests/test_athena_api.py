"""Athena's management APIs on localcloud: work groups, prepared statements, named queries,
data catalogs (the conformance suite covers the documented answers; these cover the updates,
deletions and errors around them)."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.exceptions import ClientError

from helpers import lab

BUCKET = "athena-api-tests"


@pytest.fixture(scope="module")
def athena():
    lab.start("04")
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    return boto3.client("athena")


def _wait(athena, qid: str) -> dict:
    for _ in range(400):
        ex = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if ex["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return ex
        time.sleep(0.05)
    raise AssertionError(qid)


def test_update_work_group(athena):
    athena.create_work_group(Name="api_wg", Description="before")
    athena.update_work_group(
        WorkGroup="api_wg",
        Description="after",
        ConfigurationUpdates={
            "EnforceWorkGroupConfiguration": True,
            "ResultConfigurationUpdates": {"OutputLocation": f"s3://{BUCKET}/wg/"},
        },
    )
    wg = athena.get_work_group(WorkGroup="api_wg")["WorkGroup"]
    assert wg["Description"] == "after"
    assert wg["Configuration"]["ResultConfiguration"]["OutputLocation"] == f"s3://{BUCKET}/wg/"
    # the enforced location is where results go
    qid = athena.start_query_execution(QueryString="SELECT 1", WorkGroup="api_wg")["QueryExecutionId"]
    ex = _wait(athena, qid)
    assert ex["ResultConfiguration"]["OutputLocation"].startswith(f"s3://{BUCKET}/wg/")
    athena.update_work_group(WorkGroup="api_wg", State="DISABLED")
    with pytest.raises(ClientError, match="is disabled"):
        athena.start_query_execution(QueryString="SELECT 1", WorkGroup="api_wg")
    with pytest.raises(ClientError, match="not found"):
        athena.update_work_group(WorkGroup="no_such_wg", Description="x")


def test_prepared_statement_apis(athena):
    athena.create_prepared_statement(StatementName="ps_a", WorkGroup="primary", QueryStatement="SELECT ? + 1")
    athena.create_prepared_statement(StatementName="ps_b", WorkGroup="primary", QueryStatement="SELECT ?")
    with pytest.raises(ClientError, match="already exists"):
        athena.create_prepared_statement(StatementName="ps_a", WorkGroup="primary", QueryStatement="SELECT 1")
    with pytest.raises(ClientError, match="mismatched input 'SELEC'"):
        athena.create_prepared_statement(StatementName="ps_bad", WorkGroup="primary", QueryStatement="SELEC 1")
    names = {p["StatementName"] for p in athena.list_prepared_statements(WorkGroup="primary")["PreparedStatements"]}
    assert {"ps_a", "ps_b"} <= names
    athena.update_prepared_statement(StatementName="ps_a", WorkGroup="primary", QueryStatement="SELECT ? * 10")
    got = athena.batch_get_prepared_statement(PreparedStatementNames=["ps_a", "ps_zz"], WorkGroup="primary")
    assert [p["QueryStatement"] for p in got["PreparedStatements"]] == ["SELECT ? * 10"]
    assert [u["StatementName"] for u in got["UnprocessedPreparedStatementNames"]] == ["ps_zz"]
    qid = athena.start_query_execution(
        QueryString="EXECUTE ps_a USING 4", ResultConfiguration={"OutputLocation": f"s3://{BUCKET}/r/"}
    )["QueryExecutionId"]
    assert _wait(athena, qid)["Status"]["State"] == "SUCCEEDED"
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == "40"
    athena.delete_prepared_statement(StatementName="ps_a", WorkGroup="primary")
    with pytest.raises(athena.exceptions.ResourceNotFoundException):
        athena.get_prepared_statement(StatementName="ps_a", WorkGroup="primary")
    with pytest.raises(athena.exceptions.ResourceNotFoundException):
        athena.delete_prepared_statement(StatementName="ps_a", WorkGroup="primary")


def test_named_queries_unknown_ids(athena):
    got = athena.batch_get_named_query(NamedQueryIds=["00000000-0000-0000-0000-000000000000"])
    assert got["NamedQueries"] == [] and got["UnprocessedNamedQueryIds"][0]["ErrorCode"] == "INVALID_INPUT"
    with pytest.raises(ClientError, match="was not found"):
        athena.get_named_query(NamedQueryId="00000000-0000-0000-0000-000000000000")
    with pytest.raises(ClientError, match="was not found"):
        athena.delete_named_query(NamedQueryId="00000000-0000-0000-0000-000000000000")


def test_unknown_catalogs_and_databases(athena):
    with pytest.raises(ClientError, match="was not found"):
        athena.get_data_catalog(Name="no_such_catalog")
    with pytest.raises(athena.exceptions.MetadataException):
        athena.list_databases(CatalogName="no_such_catalog")
    with pytest.raises(athena.exceptions.MetadataException, match="EntityNotFoundException"):
        athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="no_such_database")


def test_prepared_statements_survive_stop_and_start(private_localcloud):
    from localcloud import testing

    cloud = private_localcloud
    athena = cloud.client("athena")
    athena.create_prepared_statement(StatementName="kept", WorkGroup="primary", QueryStatement="SELECT ?")
    assert cloud.run("stop").returncode == 0
    again = testing.start(cloud.lab_dir, env=cloud.env, fresh=False)
    try:
        got = again.client("athena").get_prepared_statement(StatementName="kept", WorkGroup="primary")
        assert got["PreparedStatement"]["QueryStatement"] == "SELECT ?"
    finally:
        again.run("stop")
