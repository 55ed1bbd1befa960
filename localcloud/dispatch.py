"""Which AWS operation a request is, resolved once per request from botocore's service models.

Engines never parse paths or compare Action strings: the gateway gives every
:class:`~localcloud.calls.Call` its ``operation`` (``CreateDBInstance``, ``Invoke``,
``PutBucketNotificationConfiguration``) and, for REST operations, the ``uri_params`` the
request URI carried (``{"FunctionName": "my-fn"}``).  Per protocol:

* ``query``/``ec2``: the ``Action`` parameter, checked against the model's operations;
* ``json``: ``X-Amz-Target`` (``<targetPrefix>.<Operation>``), the model chosen by its prefix;
* ``smithy-rpc-v2-cbor``: the ``/service/<name>/operation/<Operation>`` path;
* ``rest-json``/``rest-xml``: the operation whose HTTP method and ``requestUri`` template match,
  the most specific one winning (literal path characters, then literal query keys such as
  S3's ``?notification``, then required query/header members such as ``uploadId`` or
  ``x-amz-copy-source``, then not deprecated).  Two operations AWS itself cannot tell apart on
  the wire (S3's deprecated ``GetBucketNotification`` and ``GetBucketNotificationConfiguration``)
  resolve to the current one.

Models are found by the request's SigV4 signing name: the model of that name, or (for the few
services whose signing name differs, e.g. CloudWatch's ``monitoring``) every model signing with
it, from an index built the first time one is needed.
"""

from __future__ import annotations

import gzip
import os
import re
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs

import botocore.session
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel

_lock = threading.Lock()
_session = None
_routes: dict[str, ServiceRoutes] = {}  # model name -> routes
_by_signing_name: dict[str, list[str]] | None = None  # built only when a signing name has no model of its own
_CBOR_PATH = re.compile(r"^/service/[^/]+/operation/([^/]+)/?$")
_SIGNING = re.compile(r'"signingName"\s*:\s*"([^"]+)"')
_PREFIX = re.compile(r'"endpointPrefix"\s*:\s*"([^"]+)"')


@dataclass(frozen=True)
class Route:
    operation: str
    pattern: re.Pattern
    labels: dict[str, str]  # regex group -> URI label
    query: tuple[tuple[str, str | None], ...]  # literal query keys of the requestUri (and values)
    required: tuple[tuple[str, str], ...]  # ("querystring" | "header", wire name) of required members
    literal: int  # literal characters of the path template
    deprecated: bool

    def match(self, path: str, query: dict, headers: dict) -> tuple[tuple, dict] | None:
        m = self.pattern.match(path)
        if m is None:
            return None
        for key, value in self.query:
            if key not in query or (value is not None and query[key][0] != value):
                return None
        for where, name in self.required:
            if (name not in query) if where == "querystring" else (name.lower() not in headers):
                return None
        score = (self.literal, len(self.query), len(self.required), not self.deprecated)
        return score, {self.labels[g]: v for g, v in m.groupdict().items()}


def _route(op: OperationModel) -> Route:
    uri = op.http["requestUri"]
    path, _, qs = uri.partition("?")
    labels, parts, literal = {}, [], 0
    for i, piece in enumerate(re.split(r"(\{[^}]+\})", path)):
        if piece.startswith("{"):
            name, greedy = piece[1:-1].rstrip("+"), piece.endswith("+}")
            labels[f"l{i}"] = name
            parts.append(f"(?P<l{i}>{'.+' if greedy else '[^/]+'})")
        else:
            literal += len(piece)
            parts.append(re.escape(piece))
    pattern = re.compile("^" + "".join(parts).rstrip("/") + "/?$")
    query = tuple((k, v if eq else None) for k, eq, v in (p.partition("=") for p in qs.split("&") if p))
    shape = op.input_shape
    required = ()
    if shape is not None:
        required = tuple(
            (m.serialization["location"], m.serialization.get("name", name))
            for name, m in shape.members.items()
            if name in shape.required_members and m.serialization.get("location") in ("querystring", "header")
        )
    return Route(op.name, pattern, labels, query, required, literal, bool(op.deprecated))


class ServiceRoutes:
    """One service model: its operation names, JSON target prefix and REST routes by method."""

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self.protocol = model.protocol
        self.operations = frozenset(model.operation_names)
        self.target_prefix = model.metadata.get("targetPrefix")
        self.by_method: dict[str, list[Route]] = {}
        if self.protocol in ("rest-json", "rest-xml"):
            for name in model.operation_names:
                op = model.operation_model(name)
                self.by_method.setdefault(op.http.get("method", "POST"), []).append(_route(op))

    def match_rest(self, method: str, path: str, query: dict, headers: dict) -> tuple[str, dict] | None:
        best = None
        for route in self.by_method.get(method, ()):
            found = route.match(path, query, headers)
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], route.operation, found[1])
        return (best[1], best[2]) if best else None


def _botocore() -> botocore.session.Session:
    global _session
    if _session is None:
        _session = botocore.session.get_session()
    return _session


def routes(model_name: str) -> ServiceRoutes:
    with _lock:
        if model_name not in _routes:
            _routes[model_name] = ServiceRoutes(_botocore().get_service_model(model_name))
        return _routes[model_name]


def _signing_name(loader: Loader, name: str) -> str:
    """A model's SigV4 signing name, read from the head of its file (the metadata comes first;
    parsing all ~400 models whole takes seconds, their heads a tenth of one)."""
    version = loader.determine_latest_version(name, "service-2")
    for base in loader.search_paths:
        for path, opener in (
            (f"{base}/{name}/{version}/service-2.json", open),
            (f"{base}/{name}/{version}/service-2.json.gz", gzip.open),
        ):
            if os.path.exists(path):
                with opener(path, "rt", encoding="utf-8") as fh:
                    head = fh.read(4096)
                m = _SIGNING.search(head) or _PREFIX.search(head)
                if m:
                    return m.group(1)
    meta = loader.load_service_model(name, "service-2")["metadata"]
    return meta.get("signingName") or meta.get("endpointPrefix") or name


def _models_for(signing_name: str) -> list[str]:
    global _by_signing_name
    loader = _botocore().get_component("data_loader")
    available = loader.list_available_services("service-2")
    if signing_name in available:
        return [signing_name]
    with _lock:
        if _by_signing_name is None:
            index: dict[str, list[str]] = {}
            for name in available:
                index.setdefault(_signing_name(loader, name), []).append(name)
            _by_signing_name = index
        return _by_signing_name.get(signing_name, [])


@dataclass(frozen=True)
class Resolved:
    operation: str | None
    uri_params: dict


NONE = Resolved(None, {})


def resolve(
    signing_name: str, protocol: str, method: str, path: str, query_string: str, headers: dict, wire_name: str | None
) -> Resolved:
    """The operation of one request (``wire_name``: its Action or X-Amz-Target, if any)."""
    if not signing_name:
        return NONE
    candidates = [routes(n) for n in _models_for(signing_name)]
    if protocol == "json" and wire_name:
        prefix, _, op = wire_name.rpartition(".")
        for r in candidates:
            if op in r.operations and (not prefix or not r.target_prefix or r.target_prefix == prefix):
                return Resolved(op, {})
        return NONE
    if protocol == "query":
        return next((Resolved(wire_name, {}) for r in candidates if wire_name in r.operations), NONE)
    if protocol == "smithy-rpc-v2-cbor":
        m = _CBOR_PATH.match(path)
        op = m.group(1) if m else None
        return next((Resolved(op, {}) for r in candidates if op in r.operations), NONE)
    query = parse_qs(query_string, keep_blank_values=True)
    for r in candidates:
        found = r.match_rest(method, path, query, headers)
        if found:
            return Resolved(*found)
    return NONE
