"""One AWS API call as the gateway sees it, and the response an engine may return."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

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
    protocol: str  # "query" | "json" | "rest-json" | "rest-xml"
    action: str | None  # Query Action / JSON X-Amz-Target operation; None for REST
    method: str
    path: str
    query: str
    headers: dict
    body: bytes = b""
    params: dict = field(default_factory=dict)  # parsed Query form or JSON document

    @classmethod
    def from_environ(cls, environ: dict, body: bytes | None) -> "Call":
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        query = environ.get("QUERY_STRING", "")
        m = _SCOPE.search(headers.get("authorization", "")) or _SCOPE.search(
            "Credential=" + dict(parse_qsl(query)).get("X-Amz-Credential", ""))
        region, service = (m.group(1), m.group(2)) if m else ("us-east-1", "")
        ctype = headers.get("content-type", "")
        target = headers.get("x-amz-target", "")
        action, params, protocol = None, {}, "rest-json"
        if target:
            protocol, action = "json", target.rsplit(".", 1)[-1]
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                params = {}
        elif ctype.startswith("application/x-www-form-urlencoded") and body is not None:
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            if "Action" in form:
                protocol, action, params = "query", form["Action"], form
        elif service == "s3":
            protocol = "rest-xml"
        return cls(service=service, region=region, protocol=protocol, action=action,
                   method=environ.get("REQUEST_METHOD", "GET"), path=environ.get("PATH_INFO", "/"),
                   query=query, headers=headers, body=body or b"", params=params)

    def param_list(self, prefix: str) -> list[str]:
        """Values of a Query-protocol list parameter, e.g. ``SecurityGroupId.N``."""
        pat = re.compile(re.escape(prefix) + r"\.(\d+)$")
        items = sorted((int(m.group(1)), v) for k, v in self.params.items() if (m := pat.match(k)))
        return [v for _, v in items]
