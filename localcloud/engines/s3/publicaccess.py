"""S3 Block Public Access: on for every new bucket, as on AWS; public ACLs and policies refused.

AWS (S3 user guide, "Blocking public access to your Amazon S3 storage" and "The meaning of
'public'"; all four settings on for new buckets since April 2023; read 2026-11-30):

* ``BlockPublicAcls``: a request that sets a public ACL (``public-read``, ``public-read-write``,
  ``authenticated-read``, or a grant to the AllUsers/AuthenticatedUsers groups) fails with 403
  ``AccessDenied``;
* ``BlockPublicPolicy``: ``PutBucketPolicy`` with a public policy fails with 403
  ``AccessDenied`` ("... because public policies are blocked by the BlockPublicPolicy block
  public access setting").  A policy is public when an ``Allow`` statement names any principal
  (``"*"``, ``{"AWS": "*"}``, or uses ``NotPrincipal``) without a condition that pins the caller
  to fixed values (source IP range, VPC, endpoint, ARN, account, organization, principal).

``IgnorePublicAcls`` and ``RestrictPublicBuckets`` change how anonymous requests are judged;
localcloud has no anonymous access (every request is signed by the learner), so they are stored
and reported only.
"""

from __future__ import annotations

import json

from ... import config, seam
from ...awserrors import error
from ...calls import Call, Response
from .. import Engine
from .ownership import GRANT_HEADERS, bucket

NEW_BUCKET_SETTINGS = dict.fromkeys(seam.BPA_FIELDS, True)
PUBLIC_CANNED = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_GROUPS = ("acs.amazonaws.com/groups/global/AllUsers", "acs.amazonaws.com/groups/global/AuthenticatedUsers")
# Condition keys that pin a wildcard principal to fixed callers ("The meaning of 'public'").
FIXING_KEYS = {
    "aws:sourceip",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:userid",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
}
OPEN_RANGES = ("0.0.0.0/0", "::/0")


def header_acl_is_public(call: Call) -> bool:
    if call.headers.get("x-amz-acl") in PUBLIC_CANNED:
        return True
    return any(g in call.headers.get(h, "") for h in GRANT_HEADERS for g in PUBLIC_GROUPS)


def _values(v: object) -> list[object]:
    return v if isinstance(v, list) else [v]


def _pins_caller(condition: dict) -> bool:
    for operator, tests in (condition or {}).items():
        if operator.lower().startswith(("stringnot", "arnnot", "notip", "null")):
            continue
        for key, value in (tests or {}).items():
            values = [str(x) for x in _values(value)]
            if key.lower() in FIXING_KEYS and values and not any("*" in x or x in OPEN_RANGES for x in values):
                return True
    return False


def policy_is_public(document: bytes | str) -> bool:
    try:
        policy = json.loads(document)
    except ValueError:
        return False  # moto refuses a malformed policy itself
    for statement in _values(policy.get("Statement", [])):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        wildcard = principal == "*" or (
            isinstance(principal, dict) and any("*" in _values(v) for v in principal.values())
        )
        if (wildcard or "NotPrincipal" in statement) and not _pins_caller(statement.get("Condition", {})):
            return True
    return False


class BlockPublicAccess(Engine):
    """Mixed into the S3 engine: checks named ``_bpa_before_<Operation>`` run before moto."""

    def before(self, call: Call) -> Response | None:
        check = getattr(self, f"_bpa_before_{call.operation}", None) if call.operation else None
        return (check(call) if check else None) or super().before(call)

    def public_access_defaults(self, call: Call) -> None:
        """After CreateBucket: all four settings on (the bucket was new)."""
        if call.notes.get("new_bucket"):
            seam.s3_set_public_access_block(bucket(call), NEW_BUCKET_SETTINGS)

    def _blocks(self, call: Call, setting: str) -> bool:
        name = bucket(call)
        return bool(name) and seam.s3_bucket_exists(name) and seam.s3_public_access_block(name)[setting]

    # ---- ACLs named in headers ------------------------------------------------------------

    def _refuse_public_header_acl(self, call: Call) -> Response | None:
        if header_acl_is_public(call) and self._blocks(call, "BlockPublicAcls"):
            return error(call, "AccessDenied", "Access Denied", status=403)
        return None

    _bpa_before_PutObject = _refuse_public_header_acl
    _bpa_before_CopyObject = _refuse_public_header_acl
    _bpa_before_CreateMultipartUpload = _refuse_public_header_acl

    # ---- ACLs and policies in the body: checked once moto stored them, put back if refused --

    def _bpa_before_PutBucketAcl(self, call: Call) -> Response | None:
        refused = self._refuse_public_header_acl(call)
        if refused is None and seam.s3_bucket_exists(bucket(call)):
            call.notes["acl_was"] = seam.s3_bucket_acl(bucket(call))
        return refused

    def _after_PutBucketAcl(self, call: Call, response: Response) -> Response | None:
        name = bucket(call)
        if self._blocks(call, "BlockPublicAcls") and seam.s3_bucket_acl_is_public(name):
            seam.s3_set_bucket_acl(name, call.notes.get("acl_was"))
            return error(call, "AccessDenied", "Access Denied", status=403)
        return None

    def _bpa_before_PutObjectAcl(self, call: Call) -> Response | None:
        refused = self._refuse_public_header_acl(call)
        if refused is None and seam.s3_bucket_exists(bucket(call)):
            call.notes["acl_was"] = seam.s3_object_acl(bucket(call), call.uri_params.get("Key", ""))
        return refused

    def _after_PutObjectAcl(self, call: Call, response: Response) -> Response | None:
        name, key = bucket(call), call.uri_params.get("Key", "")
        if self._blocks(call, "BlockPublicAcls") and seam.s3_object_acl_is_public(name, key):
            seam.s3_set_object_acl(name, key, call.notes.get("acl_was"))
            return error(call, "AccessDenied", "Access Denied", status=403)
        return None

    def _bpa_before_PutBucketPolicy(self, call: Call) -> Response | None:
        if seam.s3_bucket_exists(bucket(call)):
            call.notes["policy_was"] = seam.s3_bucket_policy(bucket(call))
        return None

    def _after_PutBucketPolicy(self, call: Call, response: Response) -> Response | None:
        name = bucket(call)
        policy = seam.s3_bucket_policy(name)
        if policy and self._blocks(call, "BlockPublicPolicy") and policy_is_public(policy):
            seam.s3_set_bucket_policy(name, call.notes.get("policy_was"))
            caller = f"arn:aws:iam::{config.ACCOUNT_ID}:root"
            return error(
                call,
                "AccessDenied",
                f"User: {caller} is not authorized to perform: s3:PutBucketPolicy on resource: "
                f'"arn:aws:s3:::{name}" because public policies are blocked by the BlockPublicPolicy '
                "block public access setting.",
                status=403,
            )
        return None
