"""S3 Object Ownership: ``BucketOwnerEnforced`` (ACLs disabled) for every new bucket, as on AWS.

AWS (S3 user guide, "Controlling ownership of objects and disabling ACLs for your bucket" and
its "Troubleshooting" page; default for new buckets since April 2023; read 2026-11-30):

* a new bucket's Object Ownership is ``BucketOwnerEnforced`` unless ``CreateBucket`` says
  otherwise (``ObjectOwnership=ObjectWriter`` / ``BucketOwnerPreferred``, which re-enable ACLs, as
  does ``PutBucketOwnershipControls`` later);
* with it, requests that set or update ACLs fail: 400 ``AccessControlListNotSupported``, "The
  bucket does not allow ACLs".  ``PUT`` requests (PutObject, CopyObject, CreateMultipartUpload)
  must name no ACL or the bucket owner's full control (``bucket-owner-full-control``, or a
  full-control grant to the owner); ``PutBucketAcl`` always fails;
* ``CreateBucket`` with an ACL that grants anyone but the owner (``public-read``, a log-delivery
  grant, ...) fails with 400 ``InvalidBucketAclWithObjectOwnership``, and so does
  ``PutBucketOwnershipControls`` to ``BucketOwnerEnforced`` while the bucket ACL grants others;
* reading ACLs still works and always shows the owner's full control only.
"""

from __future__ import annotations

import re

from ... import seam
from ...awserrors import error
from ...calls import Call, Response
from .. import Engine

ENFORCED = "BucketOwnerEnforced"
OWNER_FULL_CONTROL = "bucket-owner-full-control"
GRANT_HEADERS = (
    "x-amz-grant-full-control",
    "x-amz-grant-read",
    "x-amz-grant-read-acp",
    "x-amz-grant-write",
    "x-amz-grant-write-acp",
)
ACL_DISABLED = ("AccessControlListNotSupported", "The bucket does not allow ACLs")
ACL_WITH_ENFORCED = (
    "InvalidBucketAclWithObjectOwnership",
    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
)
_ACL_BLOCK = re.compile(rb"<AccessControlList>.*</AccessControlList>", re.S)
_OWNER_ID = re.compile(rb"<Owner>.*?<ID>([^<]*)</ID>.*?</Owner>", re.S)


def _grants(call: Call) -> dict[str, str]:
    return {h: v for h in GRANT_HEADERS if (v := call.headers.get(h))}


def _only_owner_grant(grants: dict[str, str]) -> bool:
    """No grant headers, or one full-control grant to the bucket owner (``id="<owner>"``)."""
    if not grants:
        return True
    value = grants.get("x-amz-grant-full-control", "")
    return list(grants) == ["x-amz-grant-full-control"] and value.replace('"', "") == f"id={seam.S3_OWNER_ID}"


def put_acl_allowed(call: Call) -> bool:
    """A PUT that names no ACL, or only the bucket owner's full control."""
    return call.headers.get("x-amz-acl") in (None, OWNER_FULL_CONTROL) and _only_owner_grant(_grants(call))


def bucket(call: Call) -> str:
    return call.uri_params.get("Bucket", "")


def enforced(name: str) -> bool:
    return bool(name) and seam.s3_bucket_exists(name) and seam.s3_object_ownership(name) == ENFORCED


class ObjectOwnership(Engine):
    """Mixed into the S3 engine: checks named ``_ownership_before_<Operation>`` run first."""

    def before(self, call: Call) -> Response | None:
        check = getattr(self, f"_ownership_before_{call.operation}", None) if call.operation else None
        return (check(call) if check else None) or super().before(call)

    # ---- creating a bucket ----------------------------------------------------------------

    def _ownership_before_CreateBucket(self, call: Call) -> Response | None:
        call.notes["new_bucket"] = not seam.s3_bucket_exists(bucket(call))
        if call.headers.get("x-amz-object-ownership", ENFORCED) != ENFORCED:
            return None
        if call.headers.get("x-amz-acl") not in (None, "private") or not _only_owner_grant(_grants(call)):
            return error(call, *ACL_WITH_ENFORCED)
        return None

    def ownership_defaults(self, call: Call) -> None:
        """After CreateBucket: no ObjectOwnership given means BucketOwnerEnforced."""
        if call.notes.get("new_bucket") and "x-amz-object-ownership" not in call.headers:
            seam.s3_set_object_ownership(bucket(call), ENFORCED)

    # ---- writes that carry an ACL ---------------------------------------------------------

    def _refuse_acl_unless_owner_full_control(self, call: Call) -> Response | None:
        if enforced(bucket(call)) and not put_acl_allowed(call):
            return error(call, *ACL_DISABLED)
        return None

    _ownership_before_PutObject = _refuse_acl_unless_owner_full_control
    _ownership_before_CopyObject = _refuse_acl_unless_owner_full_control
    _ownership_before_CreateMultipartUpload = _refuse_acl_unless_owner_full_control

    def _ownership_before_PutObjectAcl(self, call: Call) -> Response | None:
        # An ACL in the body (no x-amz-acl) is a full ACL document: setting ACLs is refused.
        if enforced(bucket(call)) and (call.headers.get("x-amz-acl") is None or not put_acl_allowed(call)):
            return error(call, *ACL_DISABLED)
        return None

    def _ownership_before_PutBucketAcl(self, call: Call) -> Response | None:
        return error(call, *ACL_DISABLED) if enforced(bucket(call)) else None

    # ---- changing the setting -------------------------------------------------------------

    def _ownership_before_PutBucketOwnershipControls(self, call: Call) -> Response | None:
        if seam.s3_bucket_exists(bucket(call)):
            call.notes["ownership_was"] = seam.s3_object_ownership(bucket(call))
        return None

    def _after_PutBucketOwnershipControls(self, call: Call, response: Response) -> Response | None:
        name = bucket(call)
        if seam.s3_object_ownership(name) == ENFORCED and seam.s3_bucket_acl_grants_others(name):
            seam.s3_set_object_ownership(name, call.notes.get("ownership_was"))
            return error(call, *ACL_WITH_ENFORCED)
        return None

    # ---- reading ACLs: the owner's full control, whatever an earlier setting stored ----------

    def _owner_only_acl(self, call: Call, response: Response) -> Response | None:
        if not enforced(bucket(call)):
            return None
        owner = _OWNER_ID.search(response.body)
        owner_id = owner.group(1).decode() if owner else seam.S3_OWNER_ID
        grant = (
            '<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:type="CanonicalUser"><ID>{owner_id}</ID></Grantee><Permission>FULL_CONTROL</Permission>'
            "</Grant></AccessControlList>"
        ).encode()
        response.body = _ACL_BLOCK.sub(lambda _: grant, response.body, count=1)
        return response

    _after_GetBucketAcl = _owner_only_acl
    _after_GetObjectAcl = _owner_only_acl
