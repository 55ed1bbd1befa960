"""WSGI middleware in front of moto: engine hooks around every AWS call, plus the control API."""

from __future__ import annotations

import io
import json
import logging
import re
import traceback

from .awserrors import error
from .calls import Call, Response

log = logging.getLogger("localcloud.gateway")
# SigV4 scope, from the Authorization header or a presigned URL's X-Amz-Credential
_SCOPE_SERVICE = re.compile(r"Credential=[^/&]+(?:/|%2F)\d{8}(?:/|%2F)[^/&%]+(?:/|%2F)([^/&%]+)(?:/|%2F)")


class Gateway:
    def __init__(self, moto_app, engines, control) -> None:
        self.moto_app = moto_app
        self.engines = engines
        self.control = control  # callable(method, path, body) -> (status, dict)

    def _engines_for(self, service: str):
        return [e for e in self.engines if "*" in e.services or service in e.services]

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_localcloud/"):
            return self._control(environ, start_response)
        m = (_SCOPE_SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
             or _SCOPE_SERVICE.search(environ.get("QUERY_STRING", "")))
        service = m.group(1) if m else ""
        engines = self._engines_for(service)
        if not engines:
            return self.moto_app(environ, start_response)
        body = None
        if service != "s3":  # S3 bodies can be large; S3 engines read objects from moto directly
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
        call = Call.from_environ(environ, body)
        try:
            resp = None
            for eng in engines:
                resp = eng.before(call)
                if resp is not None:
                    break
            if resp is None:
                resp = self._moto(environ)
            for eng in engines:
                resp = eng.after(call, resp) or resp
        except Exception as exc:  # an engine bug must not look like a hung AWS
            log.error("engine failure on %s %s\n%s", service, call.action, traceback.format_exc())
            resp = error(call, "InternalFailure", f"localcloud engine error: {exc}", status=500, sender=False)
        return self._send(resp, start_response, head=environ.get("REQUEST_METHOD") == "HEAD")

    def _moto(self, environ) -> Response:
        captured = {}

        def start(status, headers, exc_info=None):
            captured["status"] = int(status.split()[0])
            captured["headers"] = headers
            return lambda data: None

        chunks = self.moto_app(environ, start)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return Response(captured["status"], dict(captured["headers"]), body)

    @staticmethod
    def _send(resp: Response, start_response, head: bool = False):
        headers = {k: v for k, v in resp.headers.items() if k.lower() not in ("content-length", "transfer-encoding")}
        length = next((v for k, v in resp.headers.items() if k.lower() == "content-length"), None)
        # A HEAD answer carries the length a GET would return (S3 head_object sizes), and no body.
        headers["Content-Length"] = str(length) if head and length is not None else str(len(resp.body))
        start_response(f"{resp.status} {'OK' if resp.status < 400 else 'Error'}", list(headers.items()))
        return [b""] if head else [resp.body]

    def _control(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        status, doc = self.control(environ["REQUEST_METHOD"], environ["PATH_INFO"], body)
        payload = json.dumps(doc, indent=1).encode()
        start_response(f"{status} {'OK' if status < 400 else 'Error'}", [("Content-Type", "application/json"),
                                        ("Content-Length", str(len(payload)))])
        return [payload]
