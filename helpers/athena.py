"""Athena and Glue helpers: bounded waits, what a query costs, names (introduced in 04).

The learner's calls (``start_query_execution``, ``get_query_results``, pyathena cursors,
``create_crawler``) stay in the notebook; these only wait, price and name things.

* ``wait_for_query(athena, query_id)`` waits until a query is SUCCEEDED, FAILED or
  CANCELLED — bounded, with progress, AWS's pace on AWS — and returns its ``QueryExecution``.
* ``wait_for_crawler(glue, name)`` waits until a crawler is READY again after a run.
* ``cost(bytes_scanned)`` prices a query as Athena bills it: $5 per TB, at least 10 MB
  (``dollars(bytes_scanned)`` is the same as a number).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from botocore.exceptions import ClientError
from botocore.waiter import WaiterModel, create_waiter_with_client

from . import lab
from .wait import wait_for

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.waiter import Waiter
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_athena.type_defs import QueryExecutionTypeDef
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_glue.type_defs import CrawlerTypeDef

T = TypeVar("T")

# From the register (helpers/facts.toml).  AWS does not say whether its MB and TB are decimal or
# binary; these count them in binary units (MiB, TiB): $0.000048 for the 10 MB minimum.
PRICE_PER_TB = float(lab.fact("athena.price_per_tb"))
MIN_BILLED_BYTES = int(lab.fact("athena.min_billed_per_query")) * 1024**2  # Athena bills at least 10 MB a query
TB = 1024**4

# boto3 ships no Athena or Glue-crawler waiters; these are written the same way AWS writes its own.
_WAITERS = WaiterModel(
    {
        "version": 2,
        "waiters": {
            "QueryFinished": {
                "operation": "GetQueryExecution",
                "delay": 1,
                "maxAttempts": 300,
                "acceptors": [
                    {"matcher": "path", "argument": "QueryExecution.Status.State", "expected": s, "state": "success"}
                    for s in ("SUCCEEDED", "FAILED", "CANCELLED")
                ],
            },
            "CrawlerReady": {
                "operation": "GetCrawler",
                "delay": 15,
                "maxAttempts": 40,
                "acceptors": [
                    {"matcher": "path", "argument": "Crawler.State", "expected": "READY", "state": "success"}
                ],
            },
        },
    }
)


class _Waiters:
    """Looks like a client to ``helpers.wait.wait_for``, with the two waiters above."""

    def __init__(self, client: BaseClient) -> None:
        self.client = client

    def get_waiter(self, waiter_name: str) -> Waiter:
        return create_waiter_with_client(waiter_name, _WAITERS, self.client)


def wait_for_query(athena: AthenaClient, query_execution_id: str, what: str = "the query") -> QueryExecutionTypeDef:
    """Wait (bounded) until the query finished, whatever the outcome; return its QueryExecution."""
    wait_for(_Waiters(athena), "QueryFinished", what, QueryExecutionId=query_execution_id)
    return athena.get_query_execution(QueryExecutionId=query_execution_id)["QueryExecution"]


def wait_for_crawler(glue: GlueClient, name: str) -> CrawlerTypeDef:
    """Wait (bounded) until crawler ``name`` is READY again; return it (``LastCrawl`` says how it went)."""
    wait_for(_Waiters(glue), "CrawlerReady", f"crawler {name}", Name=name)
    return glue.get_crawler(Name=name)["Crawler"]


def billed_bytes(scanned: int) -> int:
    return max(int(scanned), MIN_BILLED_BYTES)


def dollars(scanned: int) -> float:
    """What a query that scanned ``scanned`` bytes costs in USD: $5 per TB, at least 10 MB."""
    return billed_bytes(scanned) / TB * PRICE_PER_TB


def cost(scanned: int) -> str:
    """'1,476,991 bytes scanned -> billed 10 MB minimum -> $0.000048' ($5 per TB)."""
    billed = billed_bytes(scanned)
    note = "10 MB minimum" if billed > scanned else f"{billed:,} bytes"
    return f"{int(scanned):,} bytes scanned -> billed {note} -> ${dollars(scanned):.6f}"


def sales_bucket(account: str, region: str) -> str:
    """``sales-data-analysis-<suffix>``: S3 names are global, so the suffix comes from your account.

    A hash, not the account id itself, so the name does not publish your account number;
    the same account and region always give the same name (lab 07 finds the bucket again).
    """
    suffix = hashlib.sha256(f"{account}/{region}".encode()).hexdigest()[:10]
    return f"sales-data-analysis-{suffix}"


def until_role_usable(create: Callable[[], T], attempts: int = 12) -> T:
    """Call ``create()`` until AWS accepts a just-created IAM role (new roles take seconds to spread).

    Glue answers ``InvalidInputException`` ("... unable to assume role") meanwhile; anything
    else is raised at once.  Locally the role is usable at the first try.
    """
    delay, _ = lab.poll_policy(5.0, attempts)
    for i in range(attempts):
        try:
            return create()
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code not in ("InvalidInputException", "AccessDeniedException") or i == attempts - 1:
                raise
            time.sleep(delay)
    raise AssertionError("unreachable")  # the last attempt returns or raises
