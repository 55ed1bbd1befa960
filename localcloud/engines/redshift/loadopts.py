"""Options shared by COPY and UNLOAD: authorization (IAM_ROLE) and S3 locations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import SqlError, not_supported
from .sqltext import Cursor

if TYPE_CHECKING:
    from .session import Session


def split_s3(url: str) -> tuple[str, str]:
    if not url.lower().startswith("s3://"):
        raise SqlError(f"Invalid S3 location '{url}': it must start with s3://", "XX000")
    bucket, _, key = url[5:].partition("/")
    if not bucket:
        raise SqlError(f"Invalid S3 location '{url}'", "XX000")
    return bucket, key


def parse_authorization(c: Cursor, opts: dict) -> bool:
    """Consume one authorization clause into ``opts['iam_role']``; False when there is none here."""
    if c.accept("iam_role"):
        if c.accept("default"):
            opts["iam_role"] = "default"
        else:
            opts["iam_role"] = c.string()
        return True
    if c.accept("credentials"):
        c.accept("as")
        cred = c.string()
        parts = dict(p.split("=", 1) for p in cred.split(";") if "=" in p)
        if "aws_iam_role" not in parts:
            raise not_supported("CREDENTIALS with access keys (use IAM_ROLE)")
        opts["iam_role"] = parts["aws_iam_role"]
        return True
    if c.word() in ("access_key_id", "secret_access_key", "session_token"):
        raise not_supported("ACCESS_KEY_ID/SECRET_ACCESS_KEY authorization (use IAM_ROLE)")
    return False


def resolve_role(session: Session, opts: dict) -> str:
    """The role COPY/UNLOAD acts as, checked against the roles attached to the warehouse."""
    cfg = session.warehouse.config
    role = opts.get("iam_role")
    if role is None:
        raise SqlError(
            "Missing authorization: specify IAM_ROLE 'arn:aws:iam::<account>:role/<name>' or IAM_ROLE default", "XX000"
        )
    if role == "default":
        if not cfg.default_iam_role:
            raise SqlError("Default IAM role is not set. Attach a default IAM role to the warehouse first.", "XX000")
        return cfg.default_iam_role
    for r in [x.strip() for x in role.split(",")]:
        if r not in cfg.iam_roles:
            raise SqlError(f"User {session.user} is not authorized to assume IAM Role {r}", "XX000")
    return role
