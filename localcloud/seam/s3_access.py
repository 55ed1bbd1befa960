"""S3 buckets' access settings in moto's state: Object Ownership, Block Public Access, ACLs, policy.

moto stores all four but enforces none and sets no defaults; the S3 engine
(``engines/s3/``) does both, reading and setting them through these functions.
"""

from __future__ import annotations

from moto.s3.models import ALL_USERS_GRANTEE, AUTHENTICATED_USERS_GRANTEE, OWNER, PublicAccessBlock

from .backends import s3_bucket
from .models import S3Acl

PUBLIC_GRANTEES = (ALL_USERS_GRANTEE, AUTHENTICATED_USERS_GRANTEE)
BPA_FIELDS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
S3_OWNER_ID = OWNER  # the canonical user id moto gives the account (grants, Owner in answers)


def s3_object_ownership(bucket_name: str) -> str | None:
    """``BucketOwnerEnforced`` / ``BucketOwnerPreferred`` / ``ObjectWriter``; None when the bucket
    has no ownership controls (deleted: ACLs work as ``ObjectWriter``)."""
    rule = s3_bucket(bucket_name).ownership_rule
    return rule if isinstance(rule, str) or rule is None else rule.get("ObjectOwnership")


def s3_set_object_ownership(bucket_name: str, rule: str | None) -> None:
    """Set (or, with None, remove) the bucket's ObjectOwnership."""
    # moto annotates a dict but keeps the ObjectOwnership string (its own Create/PutBucket... do)
    s3_bucket(bucket_name).ownership_rule = rule  # type: ignore[assignment]


def s3_public_access_block(bucket_name: str) -> dict[str, bool]:
    """The bucket's Block Public Access settings (all False when it has none)."""
    pab = s3_bucket(bucket_name).public_access_block
    if pab is None:
        return dict.fromkeys(BPA_FIELDS, False)
    values = (pab.block_public_acls, pab.ignore_public_acls, pab.block_public_policy, pab.restrict_public_buckets)
    return dict(zip(BPA_FIELDS, (bool(v) for v in values)))


def s3_set_public_access_block(bucket_name: str, settings: dict[str, bool]) -> None:
    s3_bucket(bucket_name).public_access_block = PublicAccessBlock(*(settings.get(f, False) for f in BPA_FIELDS))


def _public(acl: S3Acl | None) -> bool:
    return acl is not None and any(g in PUBLIC_GRANTEES for grant in acl.grants for g in grant.grantees)


def _grants_others(acl: S3Acl | None) -> bool:
    return acl is not None and any(g.uri or g.id != OWNER for grant in acl.grants for g in grant.grantees)


def s3_bucket_acl(bucket_name: str) -> S3Acl | None:
    """The bucket's ACL as moto holds it (opaque: give it back to :func:`s3_set_bucket_acl`)."""
    return s3_bucket(bucket_name).acl


def s3_set_bucket_acl(bucket_name: str, acl: S3Acl | None) -> None:
    s3_bucket(bucket_name).acl = acl


def s3_bucket_acl_is_public(bucket_name: str) -> bool:
    return _public(s3_bucket(bucket_name).acl)


def s3_bucket_acl_grants_others(bucket_name: str) -> bool:
    """Does the bucket ACL grant anything to anyone but the bucket owner (a group, another account)?"""
    return _grants_others(s3_bucket(bucket_name).acl)


def s3_object_acl(bucket_name: str, key: str) -> S3Acl | None:
    """The current version's ACL (opaque), or None when there is no such object."""
    obj = s3_bucket(bucket_name).keys.get(key)
    return getattr(obj, "acl", None) if obj is not None else None


def s3_set_object_acl(bucket_name: str, key: str, acl: S3Acl | None) -> None:
    obj = s3_bucket(bucket_name).keys.get(key)
    if obj is not None:
        obj.acl = acl


def s3_object_acl_is_public(bucket_name: str, key: str) -> bool:
    return _public(s3_object_acl(bucket_name, key))


def s3_bucket_policy(bucket_name: str) -> bytes | None:
    return s3_bucket(bucket_name).policy


def s3_set_bucket_policy(bucket_name: str, policy: bytes | None) -> None:
    s3_bucket(bucket_name).policy = policy
