"""S3 engine: moto keeps the objects; this enforces what AWS checks and moto does not.

* :mod:`.ownership` — Object Ownership ``BucketOwnerEnforced`` by default: ACLs disabled;
* :mod:`.publicaccess` — Block Public Access on by default: public ACLs and policies refused;
* object keys longer than 1,024 bytes are refused (``KeyTooLongError``).

The access checks run on requests before moto stores them; an ACL or policy that comes in a
request body (which the gateway does not read for S3) is checked after moto stored it, and put
back as it was when AWS would have refused it.

S3 object keys are at most 1,024 bytes of UTF-8 (S3 user guide, "Naming Amazon S3 objects";
error ``KeyTooLongError``, "Your key is too long.", 400, in the S3 API's error code list; read
2026-11-30).  Every operation that creates an object names its key in the request URI.
"""

from __future__ import annotations

from ...awserrors import error
from ...calls import Call, Response
from .. import Engine
from .ownership import ObjectOwnership
from .publicaccess import BlockPublicAccess

MAX_KEY_BYTES = 1024


def key_bytes(key: str) -> int:
    """The key's length in UTF-8 bytes (WSGI hands the path over as latin-1 text of its bytes)."""
    try:
        return len(key.encode("latin-1"))
    except UnicodeEncodeError:
        return len(key.encode("utf-8"))


class S3Engine(ObjectOwnership, BlockPublicAccess, Engine):
    name = "s3"
    order = 10
    services = ("s3",)

    def _check_key(self, call: Call) -> Response | None:
        key = call.uri_params.get("Key", "")
        if key_bytes(key) > MAX_KEY_BYTES:
            return error(call, "KeyTooLongError", "Your key is too long.")
        return None

    _api_PutObject = _check_key
    _api_CopyObject = _check_key
    _api_CreateMultipartUpload = _check_key

    def _after_CreateBucket(self, call: Call, response: Response) -> None:
        self.ownership_defaults(call)
        self.public_access_defaults(call)
