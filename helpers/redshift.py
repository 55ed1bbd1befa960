"""Bounded waits for Redshift Serverless and the Redshift Data API (introduced in 08).

boto3 ships no waiters for ``redshift-serverless`` or ``redshift-data``; these are written the
way AWS writes its own (a botocore ``WaiterModel``), so ``helpers.wait.wait_for`` paces and
bounds them like every other wait in the labs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.waiter import WaiterModel, create_waiter_with_client

from . import lab
from .wait import wait_for

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.waiter import Waiter

_WAITERS = WaiterModel(
    {
        "version": 2,
        "waiters": {
            "WorkgroupAvailable": {
                "operation": "GetWorkgroup",
                "delay": 15,
                "maxAttempts": 60,
                "acceptors": [
                    {"matcher": "path", "argument": "workgroup.status", "expected": "AVAILABLE", "state": "success"}
                ],
            },
            "NamespaceAvailable": {
                "operation": "GetNamespace",
                "delay": 10,
                "maxAttempts": 60,
                "acceptors": [
                    {"matcher": "path", "argument": "namespace.status", "expected": "AVAILABLE", "state": "success"}
                ],
            },
            "WorkgroupDeleted": {
                "operation": "GetWorkgroup",
                "delay": 15,
                "maxAttempts": 60,
                "acceptors": [{"matcher": "error", "expected": "ResourceNotFoundException", "state": "success"}],
            },
            "NamespaceDeleted": {
                "operation": "GetNamespace",
                "delay": 10,
                "maxAttempts": 60,
                "acceptors": [{"matcher": "error", "expected": "ResourceNotFoundException", "state": "success"}],
            },
            "StatementFinished": {
                "operation": "DescribeStatement",
                "delay": 1,
                "maxAttempts": 300,
                "acceptors": [
                    {"matcher": "path", "argument": "Status", "expected": s, "state": "success"}
                    for s in ("FINISHED", "FAILED", "ABORTED")
                ],
            },
        },
    }
)


class _Waiters:
    """Looks like a client to ``helpers.wait.wait_for``, with the waiters above."""

    def __init__(self, client: BaseClient) -> None:
        self.client = client

    def get_waiter(self, waiter_name: str) -> Waiter:
        return create_waiter_with_client(waiter_name, _WAITERS, self.client)


def wait_for_workgroup(serverless: BaseClient, name: str) -> dict[str, Any]:
    """Wait (bounded) until workgroup ``name`` is AVAILABLE; return it (its ``endpoint`` is set then)."""
    wait_for(_Waiters(serverless), "WorkgroupAvailable", f"workgroup {name} available", workgroupName=name)
    return serverless.get_workgroup(workgroupName=name)["workgroup"]  # type: ignore[attr-defined]


def wait_for_namespace(serverless: BaseClient, name: str) -> None:
    """Wait (bounded) until namespace ``name`` is AVAILABLE (after a create or a change of roles)."""
    wait_for(_Waiters(serverless), "NamespaceAvailable", f"namespace {name} available", namespaceName=name)


def wait_for_workgroup_deleted(serverless: BaseClient, name: str) -> None:
    """Wait (bounded) until workgroup ``name`` is gone (AWS refuses to delete its namespace before)."""
    wait_for(_Waiters(serverless), "WorkgroupDeleted", f"workgroup {name} deleted", workgroupName=name)


def wait_for_namespace_deleted(serverless: BaseClient, name: str) -> None:
    """Wait (bounded) until namespace ``name`` is gone (its admin secret goes with it)."""
    wait_for(_Waiters(serverless), "NamespaceDeleted", f"namespace {name} deleted", namespaceName=name)


def wait_for_statement(data: BaseClient, statement_id: str) -> dict[str, Any]:
    """Poll a Data API statement (bounded, quietly) until it finished, whatever the outcome; its description."""
    waiter = _Waiters(data).get_waiter("StatementFinished")
    delay, attempts = lab.poll_policy(0.25, 1200)
    if lab.current().name == "local":
        delay = 0.02  # localcloud answers in milliseconds
    waiter.wait(Id=statement_id, WaiterConfig={"Delay": delay, "MaxAttempts": attempts})
    return data.describe_statement(Id=statement_id)  # type: ignore[attr-defined]
