"""One AWS API call as the gateway sees it, and the response an engine may return."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from . import dispatch

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes = b""


@dataclass
class Call:
    service: str  # signing name: "ec2", "rds", "athena", "s3", "lambda", ...
    region: str
    protocol: str  # what the client sent: "query" | "json" | "rest-json" | "rest-xml" | "smithy-rpc-v2-cbor"
    operation: str | None  # the AWS operation (botocore's name), resolved once by localcloud.dispatch
    method: str
    path: str
    query: str
    headers: dict
    body: bytes = b""
    params: dict = field(default_factory=dict)  # parsed Query form or JSON document
    uri_params: dict = field(default_factory=dict)  # REST: the requestUri's labels ({"FunctionName": ...})
    notes: dict = field(default_factory=dict)  # what an engine's before() leaves for its after()

    @classmethod
    def from_environ(cls, environ: dict, body: bytes | None) -> Call:
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        query = environ.get("QUERY_STRING", "")
        m = _SCOPE.search(headers.get("authorization", "")) or _SCOPE.search(
            "Credential=" + dict(parse_qsl(query)).get("X-Amz-Credential", "")
        )
        region, service = (m.group(1), m.group(2)) if m else ("us-east-1", "")
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        protocol, wire_name, params = _wire(headers, query, body)
        if protocol == "rest" and service == "s3":
            protocol = "rest-xml"
        elif protocol == "rest":
            protocol = "rest-json"
        resolved = dispatch.resolve(service, protocol, method, path, query, headers, wire_name)
        return cls(
            service=service,
            region=region,
            protocol=protocol,
            operation=resolved.operation,
            method=method,
            path=path,
            query=query,
            headers=headers,
            body=body or b"",
            params=params,
            uri_params=resolved.uri_params,
        )

    def replace_params(self, **values: str) -> None:
        """Change Query-protocol parameters before moto sees the request: an engine normalising a
        request the way AWS does (``EngineVersion="8.4"`` -> the full version RDS picks)."""
        if self.protocol != "query":
            raise ValueError(f"replace_params works on Query-protocol requests, not {self.protocol}")
        self.params.update(values)
        self.body = urlencode(self.params).encode()

    def param_list(self, prefix: str) -> list[str]:
        """Values of a Query-protocol list parameter, e.g. ``SecurityGroupId.N``."""
        pat = re.compile(re.escape(prefix) + r"\.(\d+)$")
        items = sorted((int(m.group(1)), v) for k, v in self.params.items() if (m := pat.match(k)))
        return [v for _, v in items]


def _wire(headers: dict, query: str, body: bytes | None) -> tuple[str, str | None, dict]:
    """(protocol, operation name as sent, parameters) from what is on the wire; "rest" when
    neither an X-Amz-Target, an Action nor a Smithy RPC header names the operation."""
    target = headers.get("x-amz-target", "")
    if target:
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return "json", target, params if isinstance(params, dict) else {}
    if headers.get("smithy-protocol") == "rpc-v2-cbor":
        return "smithy-rpc-v2-cbor", None, {}
    form = {}
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded") and body is not None:
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    if "Action" not in form and "Action=" in query:
        form = dict(parse_qsl(query, keep_blank_values=True))
    if "Action" in form:
        return "query", form["Action"], form
    return "rest", None, {}
