"""The lab 07 handler (lambdas/athena_summary/handler.py) on its own: botocore Stubber, fake context.

No localcloud and no network: every Athena and SNS call is answered by a Stubber, which
also checks the exact parameters the handler sends.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import ANY, Stubber

pytestmark = pytest.mark.no_localcloud  # lab 07 runs this file from the notebook: no localcloud to start

ROOT = Path(__file__).resolve().parent.parent
QID = "11111111-2222-3333-4444-555555555555"
TOPIC = "arn:aws:sns:us-east-1:123456789012:lab07-sales-summary"
ENV = {
    "ATHENA_DATABASE": "sales_db",
    "ATHENA_OUTPUT": "s3://sales-data-analysis-x/output_from_lambda/",
    "SNS_TOPIC_ARN": TOPIC,
}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"lambda_{name}", ROOT / "lambdas" / name / "handler.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


handler = _load("athena_summary")


class FakeContext:
    """What the tests need of Lambda's context: a clock that runs down as the handler sleeps."""

    function_name = "lab07-athena-summary"
    aws_request_id = "req-1"
    memory_limit_in_mb = "256"

    def __init__(self, remaining_ms: int = 15000) -> None:
        self.remaining_ms = remaining_ms
        self.slept: list[float] = []

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.remaining_ms -= int(seconds * 1000)


@pytest.fixture
def clients():
    athena = boto3.client("athena", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    sns = boto3.client("sns", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(athena) as a, Stubber(sns) as s:
        yield athena, sns, a, s
        a.assert_no_pending_responses()
        s.assert_no_pending_responses()


def _execution(state: str, reason: str | None = None, scanned: int = 1234) -> dict:
    status = {"State": state}
    if reason:
        status["StateChangeReason"] = reason
    return {
        "QueryExecution": {"QueryExecutionId": QID, "Status": status, "Statistics": {"DataScannedInBytes": scanned}}
    }


def _results() -> dict:
    def row(*vals):
        return {"Data": [{"VarCharValue": v} for v in vals]}

    return {
        "ResultSet": {
            "Rows": [row("year_id", "total_orders"), row("2003", "1000"), row("2004", "1345")],
            "ResultSetMetadata": {
                "ColumnInfo": [{"Name": "year_id", "Type": "integer"}, {"Name": "total_orders", "Type": "bigint"}]
            },
        }
    }


def _start_expected(cfg):
    return {
        "QueryString": cfg["query"],
        "QueryExecutionContext": {"Database": "sales_db"},
        "ResultConfiguration": {"OutputLocation": ENV["ATHENA_OUTPUT"]},
    }


S3_EVENT = {
    "Records": [
        {
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "s3": {
                "bucket": {"name": "sales-data-analysis-x"},
                "object": {"key": "input/new+orders%282%29.csv", "size": 10},
            },
        }
    ]
}


def test_success_polls_with_backoff_publishes_and_returns_json(clients):
    athena, sns, a, s = clients
    cfg = handler.load_config(ENV)
    a.add_response("start_query_execution", {"QueryExecutionId": QID}, _start_expected(cfg))
    for state in ("QUEUED", "RUNNING", "RUNNING"):
        a.add_response("get_query_execution", _execution(state), {"QueryExecutionId": QID})
    a.add_response("get_query_execution", _execution("SUCCEEDED"), {"QueryExecutionId": QID})
    a.add_response("get_query_results", _results(), {"QueryExecutionId": QID})
    s.add_response("publish", {"MessageId": "m-1"}, {"TopicArn": TOPIC, "Subject": "Sales summary", "Message": ANY})
    ctx = FakeContext()

    out = handler.handle(S3_EVENT, ctx, athena, sns, cfg, sleep=ctx.sleep)

    assert ctx.slept == [0.2, 0.4, 0.8]  # grows, never a flat 5 s
    assert out["rows"] == [{"year_id": "2003", "total_orders": "1000"}, {"year_id": "2004", "total_orders": "1345"}]
    assert out["triggered_by"] == ["s3://sales-data-analysis-x/input/new orders(2).csv"]
    assert "triggered by s3://sales-data-analysis-x/input/new orders(2).csv" in out["summary"]
    assert "year_id=2004, total_orders=1345" in out["summary"]
    assert out["sns_message_id"] == "m-1" and out["data_scanned_bytes"] == 1234
    assert json.loads(json.dumps(out)) == out  # plain JSON: what Lambda can return


def test_backoff_is_capped(clients):
    athena, sns, a, s = clients
    cfg = handler.load_config({**ENV, "SNS_TOPIC_ARN": ""})
    a.add_response("start_query_execution", {"QueryExecutionId": QID}, _start_expected(cfg))
    for _ in range(6):
        a.add_response("get_query_execution", _execution("RUNNING"), {"QueryExecutionId": QID})
    a.add_response("get_query_execution", _execution("SUCCEEDED"), {"QueryExecutionId": QID})
    a.add_response("get_query_results", _results(), {"QueryExecutionId": QID})
    ctx = FakeContext(remaining_ms=60000)
    out = handler.handle({}, ctx, athena, None, cfg, sleep=ctx.sleep)
    assert ctx.slept == [0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    assert out["sns_message_id"] is None and out["triggered_by"] == []


@pytest.mark.parametrize("state", ["FAILED", "CANCELLED"])
def test_failed_query_raises_with_the_reason(clients, state):
    athena, sns, a, s = clients
    cfg = handler.load_config(ENV)
    a.add_response("start_query_execution", {"QueryExecutionId": QID}, _start_expected(cfg))
    a.add_response(
        "get_query_execution",
        _execution(state, "TABLE_NOT_FOUND: line 1:15: Table 'x' does not exist"),
        {"QueryExecutionId": QID},
    )
    with pytest.raises(handler.QueryFailed, match=f"{QID} {state}: TABLE_NOT_FOUND"):
        handler.handle({}, FakeContext(), athena, sns, cfg, sleep=lambda s: None)


def test_stops_and_cancels_before_the_lambda_timeout(clients):
    athena, sns, a, s = clients
    cfg = handler.load_config(ENV)
    a.add_response("start_query_execution", {"QueryExecutionId": QID}, _start_expected(cfg))
    for _ in range(4):
        a.add_response("get_query_execution", _execution("RUNNING"), {"QueryExecutionId": QID})
    a.add_response("stop_query_execution", {}, {"QueryExecutionId": QID})
    ctx = FakeContext(remaining_ms=3500)
    with pytest.raises(handler.QueryTimedOut, match="still RUNNING after 4 check"):
        handler.handle({}, ctx, athena, sns, cfg, sleep=ctx.sleep)
    assert ctx.remaining_ms >= handler.SAFETY_MARGIN_MS  # gave up with time to report it


def test_workgroup_is_passed_when_set(clients):
    athena, sns, a, s = clients
    cfg = handler.load_config({**ENV, "ATHENA_WORKGROUP": "lab07", "QUERY": "SELECT 1"})
    a.add_response("start_query_execution", {"QueryExecutionId": QID}, {**_start_expected(cfg), "WorkGroup": "lab07"})
    assert handler.start_query(athena, cfg) == QID


@pytest.mark.parametrize(
    "env, message",
    [
        ({}, "ATHENA_DATABASE, ATHENA_OUTPUT"),
        ({"ATHENA_DATABASE": "sales_db", "ATHENA_OUTPUT": "bucket/out"}, "must be an s3:// location"),
    ],
)
def test_configuration_errors_are_clear(env, message):
    with pytest.raises(handler.ConfigurationError, match=message):
        handler.load_config(env)


def test_config_defaults():
    cfg = handler.load_config({"ATHENA_DATABASE": "sales_db", "ATHENA_OUTPUT": "s3://b/out"})
    assert cfg == {
        "database": "sales_db",
        "output": "s3://b/out/",
        "workgroup": None,
        "topic_arn": None,
        "query": handler.DEFAULT_QUERY,
    }


def test_lambda_handler_reads_the_environment(monkeypatch):
    for k in ENV:
        monkeypatch.delenv(k, raising=False)
    with pytest.raises(handler.ConfigurationError):
        handler.lambda_handler({}, FakeContext())


def test_slow_handler_sleeps_what_it_is_told(monkeypatch):
    slow = _load("slow")
    monkeypatch.setattr(slow.time, "sleep", lambda s: None)
    assert slow.lambda_handler({"seconds": 4}, FakeContext()) == {"slept_seconds": 4.0}
