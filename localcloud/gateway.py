"""WSGI middleware in front of moto: who may call (``localcloud.auth``), engine hooks around every
AWS call, plus the control API."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import traceback
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from . import auth, persistence, tcpgate
from .awserrors import error
from .calls import Call, Response
from .config import InstallCredentials
from .engines import Engine
from .persistence import CallGuard

# callable(method, path, body) -> (status, JSON document): the daemon's control API
Control = Callable[[str, str, bytes], tuple[int, dict[str, Any]]]
_ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None] | None

log = logging.getLogger("localcloud.gateway")
# SigV4 scope, from the Authorization header or a presigned URL's X-Amz-Credential
_SCOPE_SERVICE = re.compile(r"Credential=[^/&]+(?:/|%2F)\d{8}(?:/|%2F)[^/&%]+(?:/|%2F)([^/&%]+)(?:/|%2F)")


# Services whose calls can change what a TCP gate lets in (rules, groups, instance state, PubliclyAccessible).
GATED_SERVICES = ("ec2", "rds", "redshift")
MAX_FORM_BYTES = 64 * 1024 * 1024  # an S3 POST upload form read whole to check its signed policy


class Gateway:
    def __init__(
        self,
        moto_app: WSGIApplication,
        engines: list[Engine],
        control: Control,
        credentials: InstallCredentials,
        port: int = 0,
        guard: CallGuard | None = None,
        touched: Callable[[bool], None] | None = None,
    ) -> None:
        self.moto_app = moto_app
        self.engines = engines
        self.control = control
        self.credentials = credentials  # config.InstallCredentials: the only key accepted
        self.port = port  # the only port a request's Host may name
        # persistence: every moto call runs inside guard.call() (a snapshot waits for those in
        # flight), and touched(mutating) tells the snapshotter a call happened
        self._guarded: Callable[[], contextlib.AbstractContextManager[None]] = (
            guard.call if guard is not None else contextlib.nullcontext
        )
        self._touched = touched or (lambda mutating: None)

    def _engines_for(self, service: str) -> list[Engine]:
        return [e for e in self.engines if "*" in e.services or service in e.services]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response = _without_cors(start_response)
        path = environ.get("PATH_INFO", "")
        refusal = auth.browser_refusal(environ, self.port)
        if refusal is not None:
            log.warning("refused a request: %s", refusal)
            return self._refuse(environ, start_response, "AccessDenied", f"localcloud: {refusal}.", 403)
        if path.startswith("/_localcloud/"):
            return self._control(environ, start_response)
        if path.startswith("/moto-api"):  # moto's own dashboard and state dump: never over HTTP
            return self._refuse(environ, start_response, "NotFound", "localcloud does not serve /moto-api/.", 404)
        m = _SCOPE_SERVICE.search(environ.get("HTTP_AUTHORIZATION", "")) or _SCOPE_SERVICE.search(
            environ.get("QUERY_STRING", "")
        )
        service = m.group(1) if m else ""
        body = None
        form_upload = environ.get("REQUEST_METHOD") == "POST" and environ.get("CONTENT_TYPE", "").startswith(
            "multipart/form-data"
        )
        # The SigV4 payload hash is over the body, except S3's (a header; S3 bodies can be large, and
        # SigV2 and unsigned requests are S3's or refused unread).
        query_form = environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
        if form_upload or query_form or service not in ("s3", ""):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if form_upload and length > MAX_FORM_BYTES:
                return self._refuse(
                    environ, start_response, "EntityTooLarge", "Your proposed upload is too large.", 400
                )
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
        failure = self._authenticate(environ, body, service, form_upload)
        if failure is not None:
            call = self._call_for_error(environ, body)
            log.warning("refused %s %s: %s (key %s)", call.service or "?", call.operation, failure.kind, failure.key_id)
            return self._send(auth.auth_error(call, failure), start_response)
        engines = self._engines_for(service)
        if not engines:
            try:
                with self._guarded():
                    return self.moto_app(environ, start_response)
            finally:
                self._touched(persistence.is_mutating(None, environ.get("REQUEST_METHOD", "")))
        call = Call.from_environ(environ, body)
        try:
            resp = None
            for eng in engines:
                resp = eng.before(call)
                if resp is not None:
                    break
            if resp is None:
                if body is not None and call.body != body:  # an engine normalised the request
                    environ["wsgi.input"] = io.BytesIO(call.body)
                    environ["CONTENT_LENGTH"] = str(len(call.body))
                resp = self._moto(environ)
            for eng in engines:
                resp = eng.after(call, resp) or resp
            if service in GATED_SERVICES:  # a rule, group or instance may have changed: gates follow now
                tcpgate.recheck_all()
        except Exception as exc:  # an engine bug must not look like a hung AWS
            log.error("engine failure on %s %s\n%s", service, call.operation, traceback.format_exc())
            resp = error(call, "InternalFailure", f"localcloud engine error: {exc}", status=500, sender=False)
        self._touched(persistence.is_mutating(call.operation, call.method))
        return self._send(resp, start_response, head=environ.get("REQUEST_METHOD") == "HEAD")

    def _authenticate(
        self, environ: WSGIEnvironment, body: bytes | None, service: str, form_upload: bool
    ) -> auth.Failure | None:
        creds = self.credentials
        failure = auth.check_signature(environ, body, creds.access_key_id, creds.secret_access_key)
        if failure is not None and failure.kind == "missing" and form_upload and not service:
            from werkzeug.formparser import parse_form_data

            copy = dict(environ, **{"wsgi.input": io.BytesIO(body or b"")})
            _, form, _ = parse_form_data(copy)
            failure = auth.check_post_form(dict(form.items()), creds.access_key_id, creds.secret_access_key)
            environ["wsgi.input"] = io.BytesIO(body or b"")
        return failure

    @staticmethod
    def _call_for_error(environ: WSGIEnvironment, body: bytes | None) -> Call:
        call = Call.from_environ(environ, body)
        if not call.service and call.protocol == "rest-json":  # unsigned REST: S3 is the one that takes it
            call.service, call.protocol = "s3", "rest-xml"
        return call

    def _refuse(
        self, environ: WSGIEnvironment, start_response: StartResponse, code: str, message: str, status: int
    ) -> list[bytes]:
        try:
            call = self._call_for_error(environ, b"")
        except Exception:  # whatever the request was, the refusal still goes out
            call = Call("", "us-east-1", "query", None, "GET", "/", "", {})
        if call.protocol in ("json", "rest-json") and not code.endswith("Exception"):
            code += "Exception"
        return self._send(error(call, code, message, status=status), start_response)

    def _moto(self, environ: WSGIEnvironment) -> Response:
        captured: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: _ExcInfo = None) -> Callable[[bytes], object]:
            captured["status"] = int(status.split()[0])
            captured["headers"] = headers
            return lambda data: None

        with self._guarded():
            chunks = self.moto_app(environ, start)
            try:
                body = b"".join(chunks)
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()
        return Response(captured["status"], dict(captured["headers"]), body)

    @staticmethod
    def _send(resp: Response, start_response: StartResponse, head: bool = False) -> list[bytes]:
        headers = {k: v for k, v in resp.headers.items() if k.lower() not in ("content-length", "transfer-encoding")}
        length = next((v for k, v in resp.headers.items() if k.lower() == "content-length"), None)
        # A HEAD answer carries the length a GET would return (S3 head_object sizes), and no body.
        headers["Content-Length"] = str(length) if head and length is not None else str(len(resp.body))
        start_response(f"{resp.status} {'OK' if resp.status < 400 else 'Error'}", list(headers.items()))
        return [b""] if head else [resp.body]

    def _control(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if not auth.control_allowed(environ, self.credentials.control_token):
            status, doc = (
                403,
                {
                    "localcloud": True,
                    "error": f"localcloud's control API needs this install's token ({auth.TOKEN_HEADER}); "
                    "use `python -m localcloud status|reset|stop`.",
                },
            )
        else:
            status, doc = self.control(environ["REQUEST_METHOD"], environ["PATH_INFO"], body)
        payload = json.dumps(doc, indent=1).encode()
        start_response(
            f"{status} {'OK' if status < 400 else 'Error'}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]


def _without_cors(start_response: StartResponse) -> StartResponse:
    """Drop any CORS header (moto's global CORS is off too): no web page may read an answer."""

    def start(status: str, headers: list[tuple[str, str]], exc_info: _ExcInfo = None) -> Callable[[bytes], object]:
        kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
        return start_response(status, kept, exc_info) if exc_info else start_response(status, kept)

    return start
