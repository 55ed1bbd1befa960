"""Run an Athena query, summarise the result, publish the summary to SNS (lab 07).

The course notes' handler, made production-shaped:

* configuration comes from environment variables, not constants in the code:
  ``ATHENA_DATABASE`` and ``ATHENA_OUTPUT`` (``s3://bucket/output_from_lambda/``) are required;
  ``ATHENA_WORKGROUP``, ``SNS_TOPIC_ARN`` and ``QUERY`` are optional;
* polling is bounded: short waits that grow (0.2 s, 0.4 s, ... at most 2 s), and it stops
  while the function still has time left (``context.get_remaining_time_in_millis()``),
  cancelling the query instead of being killed by the Lambda timeout mid-way;
* failures are exceptions with clear names (``QueryFailed``, ``QueryTimedOut``,
  ``ConfigurationError``): Lambda reports them as errors, counts them in the ``Errors``
  metric and retries asynchronous events, which a ``{"statusCode": 400}`` return would hide;
* the return value is plain JSON (strings and numbers, no datetimes);
* when an S3 upload triggered it, the summary names the uploaded object.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote_plus

import boto3

if TYPE_CHECKING:  # type stubs exist where mypy runs, not in the Lambda runtime
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_athena.type_defs import StartQueryExecutionInputTypeDef
    from mypy_boto3_sns import SNSClient

logger = logging.getLogger("athena_summary")  # its own logger: botocore's INFO lines stay out
logger.setLevel(logging.INFO)

DEFAULT_QUERY = "SELECT year_id, count(*) AS total_orders FROM sales_order_data GROUP BY year_id ORDER BY year_id"
FIRST_DELAY_S = 0.2
MAX_DELAY_S = 2.0
SAFETY_MARGIN_MS = 2000  # stop polling with this much of the function's time left
MAX_ROWS = 100  # a summary, not an export: large results stay in S3 (ATHENA_OUTPUT)


class ConfigurationError(RuntimeError):
    """A required environment variable is missing or malformed."""


class QueryFailed(RuntimeError):
    """Athena finished the query as FAILED or CANCELLED."""


class QueryTimedOut(RuntimeError):
    """The query was still running when the function's time was nearly up; it was cancelled."""


class LambdaContext(Protocol):
    """What the handler uses of the context object Lambda passes in."""

    def get_remaining_time_in_millis(self) -> int: ...


# Created once per execution environment: warm invocations reuse them (and their connections).
_clients: dict[str, Any] = {}


def _client(name: str) -> Any:
    if name not in _clients:
        _clients[name] = boto3.client(name)  # type: ignore[call-overload]  # name: "athena" or "sns"
    return _clients[name]


def load_config(env: Mapping[str, str] = os.environ) -> dict[str, Any]:
    missing = [k for k in ("ATHENA_DATABASE", "ATHENA_OUTPUT") if not env.get(k)]
    if missing:
        raise ConfigurationError(f"set the environment variable(s) {', '.join(missing)} on the function")
    output = env["ATHENA_OUTPUT"]
    if not output.startswith("s3://"):
        raise ConfigurationError(f"ATHENA_OUTPUT must be an s3:// location, not {output!r}")
    return {
        "database": env["ATHENA_DATABASE"],
        "output": output if output.endswith("/") else output + "/",
        "workgroup": env.get("ATHENA_WORKGROUP") or None,
        "topic_arn": env.get("SNS_TOPIC_ARN") or None,
        "query": env.get("QUERY") or DEFAULT_QUERY,
    }


def uploaded_objects(event: dict[str, Any] | None) -> list[str]:
    """``s3://bucket/key`` of every S3 record in the event (keys arrive URL-encoded)."""
    found = []
    for rec in (event or {}).get("Records", []):
        if rec.get("eventSource") == "aws:s3":
            found.append(f"s3://{rec['s3']['bucket']['name']}/{unquote_plus(rec['s3']['object']['key'])}")
    return found


def start_query(athena: AthenaClient, cfg: dict[str, Any]) -> str:
    args: StartQueryExecutionInputTypeDef = {
        "QueryString": cfg["query"],
        "QueryExecutionContext": {"Database": cfg["database"]},
        "ResultConfiguration": {"OutputLocation": cfg["output"]},
    }
    if cfg["workgroup"]:
        args["WorkGroup"] = cfg["workgroup"]
    qid = athena.start_query_execution(**args)["QueryExecutionId"]
    logger.info("started Athena query %s", qid)
    return qid


def wait_for_query(athena, qid: str, context, sleep=time.sleep) -> dict:
    """Poll until the query finishes; bounded by the function's remaining time."""
    delay, checks = FIRST_DELAY_S, 0
    while True:
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        checks += 1
        state = execution["Status"]["State"]
        if state == "SUCCEEDED":
            logger.info("query %s SUCCEEDED", qid)
            return execution
        if state in ("FAILED", "CANCELLED"):
            reason = execution["Status"].get("StateChangeReason", "no reason given")
            raise QueryFailed(f"Athena query {qid} {state}: {reason}")
        if context.get_remaining_time_in_millis() < SAFETY_MARGIN_MS + delay * 1000:
            athena.stop_query_execution(QueryExecutionId=qid)
            raise QueryTimedOut(
                f"Athena query {qid} still {state} after {checks} check(s) with "
                f"{context.get_remaining_time_in_millis()} ms of the function left; cancelled it. "
                f"Raise the function timeout or make the query cheaper (partitions, Parquet)."
            )
        sleep(delay)
        delay = min(delay * 2, MAX_DELAY_S)


def fetch_rows(athena: AthenaClient, qid: str, limit: int = MAX_ROWS) -> tuple[list[str], list[dict[str, str | None]]]:
    """Column names and up to ``limit`` rows (as dicts of strings) of a finished query."""
    columns: list[str] = []
    rows: list[dict[str, str | None]] = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=qid):
        if not columns:
            columns = [c["Name"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
        for row in page["ResultSet"]["Rows"]:
            values = [d.get("VarCharValue") for d in row["Data"]]
            if values == columns and not rows:
                continue  # the first row of a SELECT repeats the column names
            rows.append(dict(zip(columns, values)))
            if len(rows) >= limit:
                return columns, rows
    return columns, rows


def summary_text(cfg: dict[str, Any], rows: list[dict[str, str | None]], objects: list[str]) -> str:
    head = f"Athena summary from {cfg['database']}"
    if objects:
        head += f" (triggered by {', '.join(objects)})"
    lines = [head + ":"] + [", ".join(f"{k}={v}" for k, v in r.items()) for r in rows]
    return "\n".join(lines)


def handle(
    event: dict[str, Any] | None,
    context: LambdaContext,
    athena: AthenaClient,
    sns: SNSClient | None,
    cfg: dict[str, Any],
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    objects = uploaded_objects(event)
    if objects:
        logger.info("triggered by %s", ", ".join(objects))
    qid = start_query(athena, cfg)
    execution = wait_for_query(athena, qid, context, sleep)
    columns, rows = fetch_rows(athena, qid)
    text = summary_text(cfg, rows, objects)
    published = None
    if cfg["topic_arn"]:
        assert sns is not None, "SNS_TOPIC_ARN is set: handle() needs an SNS client"
        published = sns.publish(TopicArn=cfg["topic_arn"], Subject="Sales summary", Message=text)["MessageId"]
        logger.info("published the summary to %s", cfg["topic_arn"])
    return {
        "status": "SUCCEEDED",
        "query_execution_id": qid,
        "database": cfg["database"],
        "columns": columns,
        "rows": rows,
        "row_count": len(rows),
        "data_scanned_bytes": int(execution.get("Statistics", {}).get("DataScannedInBytes", 0)),
        "triggered_by": objects,
        "summary": text,
        "sns_message_id": published,
    }


def lambda_handler(event: dict[str, Any] | None, context: LambdaContext) -> dict[str, Any]:
    cfg = load_config()
    return handle(event, context, _client("athena"), _client("sns") if cfg["topic_arn"] else None, cfg)
