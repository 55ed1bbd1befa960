"""Lambda deployment packages, the role-propagation wait, log reading (introduced in 07_lambda_event_driven).

* ``build_zip("athena_summary")`` zips ``lambdas/athena_summary/`` in memory, the way
  ``cd lambdas/athena_summary && zip -r ../package.zip .`` would, but reproducibly: the same
  files always give the same bytes (fixed timestamps, sorted names), so ``CodeSha256``
  changes only when the code does.
* ``create_function_when_role_ready(lambda_client, **kwargs)``: a new IAM role takes a few
  seconds to reach every AWS region; until then ``create_function`` fails with *The role
  defined for the function cannot be assumed by Lambda*. This retries that one error a
  bounded number of times, and raises anything else at once.
* ``log_messages(logs, name)`` / ``wait_for_log(logs, name, text)``: the function's CloudWatch
  log, oldest first; the wait is bounded (logs arrive within seconds on AWS).
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from . import lab
from .paths import PROJECT_ROOT

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_lambda.type_defs import FunctionConfigurationResponseTypeDef
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import FilteredLogEventTypeDef

LAMBDAS = PROJECT_ROOT / "lambdas"
_FIXED_TIME = (2024, 1, 1, 0, 0, 0)  # zip entries carry a timestamp; a fixed one keeps bytes stable
_SKIP = {"__pycache__", ".pytest_cache"}


def source_dir(name: str) -> Path:
    d = LAMBDAS / name
    if not (d / "handler.py").is_file():
        raise lab.LabError(
            f"no handler at lambdas/{name}/handler.py; the handlers are: "
            f"{', '.join(sorted(p.parent.name for p in LAMBDAS.glob('*/handler.py')))}"
        )
    return d


def build_zip(name: str) -> bytes:
    """The deployment package of ``lambdas/<name>/`` (files at the zip's root), as bytes."""
    root = source_dir(name)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root)
            if _SKIP & set(rel.parts) or path.suffix == ".pyc":
                continue
            info = zipfile.ZipInfo(rel.as_posix(), _FIXED_TIME)
            info.external_attr = 0o644 << 16  # readable by the Lambda runtime user
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return buf.getvalue()


def listing(package: bytes) -> list[str]:
    """File names inside a deployment package."""
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        return zf.namelist()


def create_function_when_role_ready(
    lambda_client: LambdaClient, attempts: int = 10, **kwargs: Any
) -> FunctionConfigurationResponseTypeDef:
    """``lambda_client.create_function(**kwargs)``, retried while a new role propagates."""
    delay, _ = lab.poll_policy(3.0, attempts)
    for i in range(1, attempts + 1):
        try:
            return lambda_client.create_function(**kwargs)
        except ClientError as exc:
            err = exc.response["Error"]
            if (
                err["Code"] != "InvalidParameterValueException"
                or "cannot be assumed" not in err["Message"]
                or i == attempts
            ):
                raise
            print(f"role not usable by Lambda yet (attempt {i}/{attempts}); retrying in {delay:g} s")
            time.sleep(delay)
    raise AssertionError("unreachable")


def log_messages(logs_client: CloudWatchLogsClient, function_name: str) -> list[str]:
    """Every message in ``/aws/lambda/<function_name>``, oldest first (all log streams)."""
    group = f"/aws/lambda/{function_name}"
    events: list[FilteredLogEventTypeDef] = []
    for page in logs_client.get_paginator("filter_log_events").paginate(logGroupName=group):
        events += page["events"]
    return [e["message"] for e in sorted(events, key=lambda e: (e["timestamp"], e.get("ingestionTime", 0)))]


def wait_for_log(logs_client: CloudWatchLogsClient, function_name: str, text: str, count: int = 1) -> list[str]:
    """Wait (bounded) until ``count`` messages of the function's log contain ``text``.

    CloudWatch Logs receives a function's output within seconds on AWS, not instantly,
    and an asynchronous invocation may not even have started when ``invoke`` returns.
    """
    delay, attempts = lab.poll_policy(3.0, 40)
    for _ in range(attempts):
        try:
            messages = log_messages(logs_client, function_name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            messages = []
        if sum(text in m for m in messages) >= count:
            return messages
        time.sleep(delay)
    raise lab.LabError(
        f"the log of {function_name} still has fewer than {count} message(s) containing "
        f"{text!r} after {delay * attempts:.0f} s; check the function's configuration and retry"
    )
