"""Operation resolution (localcloud/dispatch.py): every operation of every service the course uses,
serialized by botocore exactly as a client sends it, resolves to its own name.

The only exceptions allowed are operations AWS itself cannot tell apart on the wire (same HTTP
method, same requestUri, same required query/header members): e.g. S3's deprecated
``GetBucketNotification`` and ``GetBucketNotificationConfiguration``.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote, urlencode

import botocore.session
import pytest
from botocore.serialize import create_serializer

from localcloud.calls import Call

SERVICES = [
    "ec2",
    "rds",
    "s3",
    "athena",
    "glue",
    "lambda",
    "iam",
    "sts",
    "logs",
    "sns",
    "sqs",
    "secretsmanager",
    "budgets",
    "ssm",
    "cloudwatch",
]
SESSION = botocore.session.get_session()


def _value(shape, depth=0):
    """A minimal valid-looking value for a shape (required members only)."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 6:
            return {}
        return {n: _value(shape.members[n], depth + 1) for n in shape.required_members}
    if kind == "list":
        return [_value(shape.member, depth + 1)]
    if kind == "map":
        return {}
    if kind == "string":
        return (shape.enum or ["x"])[0]
    if kind in ("integer", "long"):
        return 1
    if kind in ("float", "double"):
        return 1.0
    if kind == "boolean":
        return True
    if kind == "blob":
        return b"x"
    if kind == "timestamp":
        return dt.datetime(2026, 1, 1)
    return "x"


def _environ(model, op, signing_name: str) -> dict:
    params = _value(op.input_shape) if op.input_shape is not None else {}
    req = create_serializer(model.protocol, include_validation=False).serialize_to_request(params, op)
    path, _, qs = req["url_path"].partition("?")
    query = urlencode(req["query_string"], doseq=True) if isinstance(req["query_string"], dict) else req["query_string"]
    environ = {
        "REQUEST_METHOD": req["method"],
        "PATH_INFO": unquote(path),
        "QUERY_STRING": "&".join(p for p in (qs, query) if p),
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{signing_name}/aws4_request",
    }
    for k, v in req["headers"].items():
        v = v.decode() if isinstance(v, bytes) else str(v)
        if k.lower() == "content-type":
            environ["CONTENT_TYPE"] = v
        else:
            environ["HTTP_" + k.upper().replace("-", "_")] = v
    body = req["body"]
    if isinstance(body, dict):  # the Query protocol leaves the form to be encoded when sent
        body = urlencode(body, doseq=True)
    environ["_body"] = body if isinstance(body, bytes) else str(body or "").encode()
    return environ


def _wire_twins(model, op) -> set[str]:
    """Operations indistinguishable from ``op`` on the wire (including itself)."""

    def key(o):
        shape = o.input_shape
        req = set()
        if shape is not None:
            req = {
                (m.serialization.get("location"), m.serialization.get("name", n))
                for n, m in shape.members.items()
                if n in shape.required_members and m.serialization.get("location") in ("querystring", "header")
            }
        return (o.http.get("method"), o.http.get("requestUri"), frozenset(req))

    mine = key(op)
    return {n for n in model.operation_names if key(model.operation_model(n)) == mine}


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_resolves_to_itself(service):
    model = SESSION.get_service_model(service)
    wrong = []
    for name in model.operation_names:
        op = model.operation_model(name)
        environ = _environ(model, op, model.signing_name)
        call = Call.from_environ(environ, environ.pop("_body"))
        if call.operation == name:
            continue
        if model.protocol.startswith("rest") and call.operation in _wire_twins(model, op):
            continue
        wrong.append(f"{name} -> {call.operation}")
    assert not wrong, f"{service}: {len(wrong)} operations resolved wrongly: {wrong[:20]}"


def test_uri_parameters_come_with_the_operation():
    model = SESSION.get_service_model("lambda")
    op = model.operation_model("Invoke")
    req = create_serializer("rest-json", include_validation=False).serialize_to_request(
        {"FunctionName": "my-fn", "Qualifier": "2"}, op
    )
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": unquote(req["url_path"]),
        "QUERY_STRING": urlencode(req["query_string"]),
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/lambda/aws4_request",
    }
    call = Call.from_environ(environ, b"{}")
    assert (call.operation, call.uri_params) == ("Invoke", {"FunctionName": "my-fn"})


def test_s3_operations_told_apart_by_query_and_headers():
    def resolve(method, path, query="", **headers):
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request",
        }
        environ.update({"HTTP_" + k.upper(): v for k, v in headers.items()})
        return Call.from_environ(environ, None).operation

    assert resolve("PUT", "/b/k") == "PutObject"
    assert resolve("PUT", "/b/k", X_AMZ_COPY_SOURCE="/a/k") == "CopyObject"
    assert resolve("PUT", "/b/k", "partNumber=1&uploadId=u") == "UploadPart"
    assert resolve("PUT", "/b", "notification") == "PutBucketNotificationConfiguration"
    assert resolve("PUT", "/b") == "CreateBucket"
    assert resolve("GET", "/b", "list-type=2") == "ListObjectsV2"
    assert resolve("GET", "/b") == "ListObjects"
    assert resolve("HEAD", "/b/dir/k.json") == "HeadObject"
    assert resolve("GET", "/") == "ListBuckets"


def test_unknown_service_or_operation_resolves_to_none():
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/rds/aws4_request",
    }
    assert Call.from_environ(environ, b"Action=NoSuchThing&Version=2014-10-31").operation is None
    environ["HTTP_AUTHORIZATION"] = environ["HTTP_AUTHORIZATION"].replace("/rds/", "/nosuchservice/")
    assert Call.from_environ(environ, b"Action=DescribeDBInstances").operation is None
