"""The helpers' own boto3 clients, made once per kernel and reused (learners' cells make their own).

``lab.inventory()``, ``lab.teardown()``, the dashboard, ``lab.diagram()`` and the prerequisites
look at some twenty kinds of resources, often several times a lab. Building a boto3 client costs
5-30 ms of CPU (EC2's has ~600 methods), more than the call it makes, so every look built twenty
clients again. Here a client is kept per default session, service, arguments and ``AWS_*``
environment: ``lab.start()`` (a new default session) or a changed variable (another endpoint,
profile or key) gives new clients, never a stale one. boto3 clients are thread-safe, sessions are
not: clients are made under a lock, so the collectors can list side by side.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import boto3

_lock = threading.Lock()
_ATTR = "_aws_de_labs_clients"  # the cache lives on the session: a new session starts empty


def _env_key() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))


def _cached_client(service: str, **kwargs: Any) -> Any:
    """``boto3.client(service, **kwargs)``, reused while the session and the environment stay."""
    key = (service, tuple(sorted(kwargs.items())), _env_key())
    with _lock:
        session = boto3.DEFAULT_SESSION or boto3._get_default_session()
        cache: dict[tuple[Any, ...], Any] = session.__dict__.setdefault(_ATTR, {})
        made = cache.get(key)
        if made is None:
            made = cache[key] = session.client(service, **kwargs)  # type: ignore[call-overload]
        return made


if TYPE_CHECKING:
    from boto3 import client as client  # boto3-stubs' overloads: each service's client type
else:
    client = _cached_client


def account() -> str:
    """The account id (STS), asked once per session and environment."""
    key = ("sts:account", (), _env_key())
    session = boto3.DEFAULT_SESSION or boto3._get_default_session()
    cache: dict[tuple[Any, ...], Any] = session.__dict__.setdefault(_ATTR, {})
    if key not in cache:
        cache[key] = client("sts").get_caller_identity()["Account"]
    return str(cache[key])


def region() -> str:
    """The default session's region (what the helpers' clients use)."""
    return str(client("sts").meta.region_name)
