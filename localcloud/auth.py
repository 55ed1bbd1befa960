"""Who may talk to localcloud: the learner's own programs, never a web page or another local user.

The gateway asks, for every request:

1. :func:`browser_refusal` — a request that names a web origin (``Origin``, ``Sec-Fetch-Site``
   cross-site) or a ``Host`` other than the loopback names on localcloud's own port (DNS
   rebinding) is refused before anything else runs.
2. :func:`check_signature` — the request is signed (SigV4 header or presigned query, S3's
   SigV2 too) with this install's access key (``config.install_credentials``), and the signature
   is the one the stored secret gives.  The failures are AWS's, per protocol (:func:`auth_error`):
   an unknown key is ``InvalidClientTokenId`` (Query/XML services), ``AuthFailure`` (EC2),
   ``UnrecognizedClientException`` (JSON services) or ``InvalidAccessKeyId`` (S3); a wrong
   signature ``SignatureDoesNotMatch``/``InvalidSignatureException``; none at all
   ``MissingAuthenticationToken``/``AccessDenied``.  Codes and messages as AWS's error
   references list them (EC2 API "Error codes", S3 "Error responses", the Common Errors page of
   the Query/JSON services), read 2026-12-01.

Control calls (``/_localcloud/*``) carry the install's control token in :data:`TOKEN_HEADER`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from botocore.auth import HmacV1Auth
from botocore.compat import HTTPHeaders
from botocore.credentials import ReadOnlyCredentials
from botocore.utils import normalize_url_path

from .awserrors import error
from .calls import Call, Response
from .config import TOKEN_HEADER  # the CLI reads it from config, without botocore

LOOPBACK_NAMES = ("127.0.0.1", "localhost")
_AUTH_V4 = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<sig>[0-9a-f]+)"
)
_AUTH_V2 = re.compile(r"AWS\s+(?P<key>[^:\s]+):(?P<sig>\S+)")
_SCOPE = re.compile(r"(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request$")


@dataclass(frozen=True)
class Failure:
    kind: str  # "missing" | "unknown_key" | "signature" | "expired"
    key_id: str = ""


def browser_refusal(environ: dict, port: int) -> str | None:
    """Why a request looks like it comes from a web page (or a rebound DNS name); None when not."""
    if environ.get("HTTP_ORIGIN") is not None:
        origin = environ["HTTP_ORIGIN"][:100]
        return f"a web page ({origin}) may not call localcloud (the request carries an Origin header)"
    if environ.get("HTTP_SEC_FETCH_SITE", "none") not in ("none", "same-origin"):
        return "a web page may not call localcloud (Sec-Fetch-Site: " + environ["HTTP_SEC_FETCH_SITE"][:30] + ")"
    host = environ.get("HTTP_HOST", "")
    if host not in {f"{name}:{port}" for name in LOOPBACK_NAMES}:
        return (
            f"localcloud answers only requests addressed to 127.0.0.1:{port} or localhost:{port}, "
            f"not to Host {host[:100]!r} (a DNS name pointing at this machine is how web pages reach it)"
        )
    return None


def control_allowed(environ: dict, token: str) -> bool:
    sent = environ.get("HTTP_" + TOKEN_HEADER.upper().replace("-", "_"), "")
    return hmac.compare_digest(sent.encode(), token.encode())


# ---- SigV4 -------------------------------------------------------------------------------------


def _canonical_query(raw: str, drop: str | None = None) -> str:
    pairs = []
    for part in raw.split("&") if raw else []:
        if not part:
            continue
        key, _, value = part.partition("=")
        key, value = unquote(key), unquote(value)
        if key == drop:
            continue
        pairs.append((quote(key, safe="-_.~"), quote(value, safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _header(environ: dict, name: str) -> str | None:
    if name == "content-type":
        return environ.get("CONTENT_TYPE")
    if name == "content-length":
        return environ.get("CONTENT_LENGTH")
    return environ.get("HTTP_" + name.upper().replace("-", "_"))


def _raw_path_and_query(environ: dict) -> tuple[str, str]:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:  # a WSGI server that keeps no raw URI: rebuild it
        return quote(environ.get("PATH_INFO", "/"), safe="/~!$&'()*+,;=:@%"), environ.get("QUERY_STRING", "")
    if "://" in raw:  # absolute-form request target
        raw = "/" + raw.split("://", 1)[1].partition("/")[2]
    path, _, query = raw.partition("?")
    return path or "/", query


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _v4_signature(
    environ: dict[str, Any],
    secret: str,
    scope: re.Match[str],
    signed_headers: str,
    payload_hash: str,
    amz_date: str,
    query: str,
    path: str,
) -> str:
    service = scope["service"]
    canonical_uri = path if service == "s3" else quote(normalize_url_path(path), safe="/~")
    headers = []
    for name in signed_headers.split(";"):
        value = _header(environ, name)
        headers.append(f"{name}:{' '.join((value or '').split())}")
    canonical = "\n".join(
        [
            environ.get("REQUEST_METHOD", "GET").upper(),
            canonical_uri,
            query,
            "\n".join(headers) + "\n",
            signed_headers,
            payload_hash,
        ]
    )
    credential_scope = f"{scope['date']}/{scope['region']}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, credential_scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _signing_key(secret, scope["date"], scope["region"], service)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _query_params(raw_query: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in raw_query.split("&") if raw_query else []:
        key, _, value = part.partition("=")
        out.setdefault(unquote(key), unquote(value))
    return out


def check_signature(environ: dict, body: bytes | None, access_key_id: str, secret: str) -> Failure | None:
    """None when the request is signed by this install's key; else what is wrong with it.

    ``body`` is the request body for services whose SigV4 payload hash is computed over it
    (everything but S3, which sends the hash in ``x-amz-content-sha256``)."""
    path, raw_query = _raw_path_and_query(environ)
    auth = environ.get("HTTP_AUTHORIZATION", "")
    params = _query_params(raw_query) if ("X-Amz-" in raw_query or "Signature=" in raw_query) else {}
    if auth.startswith("AWS4-HMAC-SHA256"):
        m = _AUTH_V4.match(auth)
        scope = _SCOPE.match(m.group("cred")) if m else None
        if m is None or scope is None:
            return Failure("signature")
        if scope["key"] != access_key_id:
            return Failure("unknown_key", scope["key"])
        payload = _header(environ, "x-amz-content-sha256") or hashlib.sha256(body or b"").hexdigest()
        amz_date = _header(environ, "x-amz-date") or ""
        want = _v4_signature(
            environ, secret, scope, m.group("signed"), payload, amz_date, _canonical_query(raw_query), path
        )
        return None if hmac.compare_digest(want, m.group("sig")) else Failure("signature", scope["key"])
    if params.get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256":  # a presigned URL
        scope = _SCOPE.match(params.get("X-Amz-Credential", ""))
        if not scope:
            return Failure("signature")
        if scope["key"] != access_key_id:
            return Failure("unknown_key", scope["key"])
        want = _v4_signature(
            environ,
            secret,
            scope,
            params.get("X-Amz-SignedHeaders", "host"),
            "UNSIGNED-PAYLOAD" if scope["service"] == "s3" else hashlib.sha256(body or b"").hexdigest(),
            params.get("X-Amz-Date", ""),
            _canonical_query(raw_query, drop="X-Amz-Signature"),
            path,
        )
        if not hmac.compare_digest(want, params.get("X-Amz-Signature", "")):
            return Failure("signature", scope["key"])
        try:
            signed_at = dt.datetime.strptime(params.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
            expires = int(params.get("X-Amz-Expires", "604800"))
        except ValueError:
            return Failure("signature", scope["key"])
        if dt.datetime.now(dt.UTC) > signed_at + dt.timedelta(seconds=expires):
            return Failure("expired", scope["key"])
        return None
    if auth.startswith("AWS ") or "AWSAccessKeyId" in params:  # S3's SigV2 (header or query)
        return _check_v2(environ, auth, params, path, raw_query, access_key_id, secret)
    return Failure("missing")


def _check_v2(
    environ: dict[str, Any],
    auth: str,
    params: dict[str, str],
    path: str,
    raw_query: str,
    access_key_id: str,
    secret: str,
) -> Failure | None:
    """S3's older signature (what boto3's generate_presigned_url still makes for us-east-1)."""
    if auth.startswith("AWS "):
        m = _AUTH_V2.match(auth)
        key, sig, date = (m.group("key"), m.group("sig"), _header(environ, "date") or "") if m else ("", "", "")
        expires = None
    else:
        key, sig, expires = params.get("AWSAccessKeyId", ""), params.get("Signature", ""), params.get("Expires", "")
        date = expires
    if key != access_key_id:
        return Failure("unknown_key", key)
    headers = HTTPHeaders()
    for k, v in environ.items():
        if k.startswith("HTTP_"):
            headers[k[5:].replace("_", "-").lower()] = v
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    rest = []
    for part in raw_query.split("&") if raw_query else []:
        name = unquote(part.partition("=")[0])
        if name in ("AWSAccessKeyId", "Signature", "Expires"):
            continue
        if name.lower().startswith("x-amz-") and expires is not None:  # presigned: x-amz-* moved to the query
            headers[name.lower()] = unquote(part.partition("=")[2])
            continue
        rest.append(part)
    signer = HmacV1Auth(ReadOnlyCredentials(access_key_id, secret, None))
    standard = "\n".join([headers.get("content-md5") or "", headers.get("content-type") or "", date])
    # the stubs say Mapping; botocore passes its HTTPHeaders here itself (AWSRequest.headers)
    custom = signer.canonical_custom_headers(headers)  # type: ignore[arg-type]
    resource = signer.canonical_resource(urlsplit(f"http://h{path}" + (f"?{'&'.join(rest)}" if rest else "")))
    want = signer.sign_string(
        f"{environ.get('REQUEST_METHOD', 'GET').upper()}\n{standard}\n" + (custom + "\n" if custom else "") + resource
    )
    if not hmac.compare_digest(want, sig):
        return Failure("signature", key)
    if expires is not None:
        try:
            if dt.datetime.now(dt.UTC).timestamp() > int(expires):
                return Failure("expired", key)
        except ValueError:
            return Failure("signature", key)
    return None


def check_post_form(fields: dict[str, str], access_key_id: str, secret: str) -> Failure | None:
    """An S3 POST upload form (generate_presigned_post): the policy must be signed by this install."""
    low = {k.lower(): v for k, v in fields.items()}
    policy = low.get("policy", "")
    if "x-amz-credential" in low:
        scope = _SCOPE.match(low["x-amz-credential"])
        if not scope:
            return Failure("signature")
        if scope["key"] != access_key_id:
            return Failure("unknown_key", scope["key"])
        key = _signing_key(secret, scope["date"], scope["region"], scope["service"])
        want = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
        return None if hmac.compare_digest(want, low.get("x-amz-signature", "")) else Failure("signature", scope["key"])
    if "awsaccesskeyid" in low:
        if low["awsaccesskeyid"] != access_key_id:
            return Failure("unknown_key", low["awsaccesskeyid"])
        signer = HmacV1Auth(ReadOnlyCredentials(access_key_id, secret, None))
        ok = hmac.compare_digest(signer.sign_string(policy), low.get("signature", ""))
        return None if ok else Failure("signature", access_key_id)
    return Failure("missing")


# ---- AWS's answers -----------------------------------------------------------------------------

_INVALID_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


def auth_error(call: Call, failure: Failure) -> Response:
    """The answer AWS gives ``call``'s service for ``failure``, plus a line on localcloud's keys."""
    hint = (
        " (localcloud accepts only its own per-install key: "
        '`eval "$(python -m localcloud env)"` or lab.start() sets it up.)'
    )
    json_protocol = call.protocol in ("json", "rest-json", "smithy-rpc-v2-cbor")
    if call.service == "s3":
        if failure.kind == "missing":
            return error(call, "AccessDenied", "Access Denied", status=403)
        if failure.kind == "expired":
            return error(call, "AccessDenied", "Request has expired", status=403)
        if failure.kind == "unknown_key":
            return error(
                call,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records." + hint,
                403,
            )
        return error(
            call,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            status=403,
        )
    if call.service == "ec2" and failure.kind != "missing":
        return error(call, "AuthFailure", "AWS was not able to validate the provided access credentials" + hint, 401)
    if failure.kind == "missing":
        code = "MissingAuthenticationTokenException" if json_protocol else "MissingAuthenticationToken"
        return error(call, code, "Request is missing Authentication Token", status=403)
    if failure.kind == "unknown_key":
        code = "UnrecognizedClientException" if json_protocol else "InvalidClientTokenId"
        return error(call, code, "The security token included in the request is invalid." + hint, status=403)
    if failure.kind == "expired":
        return error(call, "ExpiredTokenException" if json_protocol else "RequestExpired", "Request has expired.", 403)
    code = "InvalidSignatureException" if json_protocol else "SignatureDoesNotMatch"
    return error(call, code, _INVALID_SIGNATURE, status=403)
