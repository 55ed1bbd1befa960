"""Records of asynchronous invocations, sent where the function's event invoke configuration says.

On AWS, when an asynchronous event fails all its attempts (or grows older than
``MaximumEventAgeInSeconds``), Lambda sends an *invocation record* to the function's on-failure
destination, and after a success to its on-success destination; for SQS and SNS the record is the
message (developer guide, "Capturing records of Lambda asynchronous invocations", read
2026-11-30).  localcloud delivers to SQS queues and SNS topics.  The other destination types
(Lambda, EventBridge, S3) and dead-letter queues (``DeadLetterConfig``, which moto does not keep)
are refused when configured, with ``LocalCloudNotSupported``, instead of being accepted and never
used.  The execution role's ``sqs:SendMessage`` / ``sns:Publish`` is not evaluated (localcloud
does not evaluate IAM policies).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from ... import seam

log = logging.getLogger("localcloud.lambda")

DELIVERED = ("sqs", "sns")
RETRIES_EXHAUSTED = "RetriesExhausted"
EVENT_AGE_EXCEEDED = "EventAgeExceeded"
SUCCESS = "Success"


def refusal(destination_config: dict | None) -> str | None:
    """Why localcloud cannot honour a ``DestinationConfig`` (None: it can)."""
    for when in ("OnSuccess", "OnFailure"):
        arn = ((destination_config or {}).get(when) or {}).get("Destination")
        if arn and (arn.count(":") < 5 or arn.split(":")[2] not in DELIVERED):
            return (
                f"NOT_SUPPORTED: localcloud sends asynchronous invocation records to SQS queues and SNS "
                f"topics only, not to {arn} ({when})."
            )
    return None


DLQ_REFUSAL = (
    "NOT_SUPPORTED: localcloud does not keep a DeadLetterConfig; configure an on-failure destination "
    "instead (put_function_event_invoke_config with DestinationConfig={'OnFailure': {'Destination': ...}})."
)


def record(
    function_arn: str, event: object, condition: str, invoke_count: int, outcome: dict[str, Any] | None
) -> dict[str, Any]:
    """AWS's invocation record; ``outcome`` is the last attempt's {request_id, payload, function_error}."""
    outcome = outcome or {}
    try:
        response = json.loads(outcome.get("payload") or b"null")
    except ValueError:
        response = (outcome.get("payload") or b"").decode("utf-8", "replace")
    context = {"statusCode": 200, "executedVersion": "$LATEST"}
    if outcome.get("function_error"):
        context["functionError"] = outcome["function_error"]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {
        "version": "1.0",
        "timestamp": now,
        "requestContext": {
            "requestId": outcome.get("request_id", ""),
            "functionArn": f"{function_arn}:$LATEST" if function_arn.count(":") == 6 else function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": event,
        "responseContext": context,
        "responsePayload": response,
    }


def deliver(async_config: dict[str, Any], on: str, doc: dict[str, Any]) -> None:
    """Send ``doc`` to the ``OnFailure`` or ``OnSuccess`` destination, if the function has one."""
    arn = ((async_config.get("DestinationConfig") or {}).get(on) or {}).get("Destination")
    if not arn:
        return
    body = json.dumps(doc)
    try:
        if arn.split(":")[2] == "sqs":
            seam.sqs_send_to(arn, body)
        elif arn.split(":")[2] == "sns":
            seam.sns_publish_to(arn, body)
    except seam.NotFound:  # AWS counts a DestinationDeliveryFailures metric; here: the log
        log.warning("invocation record not delivered: %s does not exist", arn)
