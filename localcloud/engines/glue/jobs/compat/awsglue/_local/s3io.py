"""S3 through boto3 (localcloud's endpoint): list and stage objects for Spark, upload what it wrote.

There is no Hadoop S3 connector offline, so Spark never sees an ``s3://`` path: sources are
downloaded into the run's staging folder first, and sinks are written locally then uploaded as
objects (``key=value/`` partition prefixes kept; file names as ``upload_dir``'s caller names them:
Glue's ``run-*`` names for DynamicFrame sinks, see ``names.py``).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .run import client


@dataclass
class Obj:
    url: str  # s3://bucket/key
    bucket: str
    key: str
    size: int
    modified: str  # ISO 8601 UTC, as S3 reports LastModified
    partition: dict = field(default_factory=dict)  # catalog partition values (name -> text)
    local: Path | None = None

    @property
    def staged(self) -> Path:
        """``local``, once :func:`download` fetched the object."""
        if self.local is None:
            raise RuntimeError(f"{self.url} was not downloaded")
        return self.local


def split_s3(url: str) -> tuple[str, str]:
    if not url.startswith(("s3://", "s3a://", "s3n://")):
        raise ValueError(f"not an S3 path: {url!r} (expected s3://bucket/prefix)")
    rest = url.split("://", 1)[1]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ValueError(f"no bucket in S3 path {url!r}")
    return bucket, prefix


def _hidden(key: str, prefix: str) -> bool:
    # Hadoop's input formats skip _SUCCESS, _temporary/, .crc files and folder markers; so does Glue.
    rel = key[len(prefix) :].lstrip("/")
    return key.endswith("/") or any(part.startswith(("_", ".")) for part in rel.split("/") if part)


def list_objects(url: str, recurse: bool = True, exclusions: list[str] | None = None) -> list[Obj]:
    """Objects at ``url``: the object itself if the key names one, else everything under the prefix."""
    bucket, prefix = split_s3(url)
    s3 = client("s3")
    out: list[Obj] = []
    folder = prefix if (prefix.endswith("/") or not prefix) else prefix + "/"
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for o in page.get("Contents", []):
            key = o["Key"]
            if key != prefix and not key.startswith(folder):
                continue  # prefix "in/a" must not match "in/ab/..."
            if key != prefix and _hidden(key, folder):
                continue
            if key != prefix and not recurse and "/" in key[len(folder) :]:
                continue
            full = f"s3://{bucket}/{key}"
            if exclusions and any(fnmatch.fnmatchcase(full, pat) for pat in exclusions):
                continue
            modified = o["LastModified"].astimezone(dt.UTC).isoformat()
            out.append(Obj(full, bucket, key, o["Size"], modified))
    return sorted(out, key=lambda x: x.key)


def download(objs: list[Obj], into: Path) -> None:
    """Fetch objects into ``into`` (one file each, names kept unique), setting ``obj.local``."""
    s3 = client("s3")

    def fetch(pair):
        i, o = pair
        o.local = into / f"{i:06d}-{os.path.basename(o.key) or 'object'}"
        s3.download_file(o.bucket, o.key, str(o.local))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(fetch, enumerate(objs)))


def upload_dir(local: Path, url: str, rename: Callable[[list[str]], dict[str, str]] | None = None) -> list[str]:
    """Upload every data file Spark wrote under ``local`` to ``url``: same relative keys, or the
    names ``rename`` maps them to (it gets every relative path at once and returns old -> new)."""
    bucket, prefix = split_s3(url)
    prefix = prefix if (prefix.endswith("/") or not prefix) else prefix + "/"
    s3 = client("s3")
    files = [
        p
        for p in sorted(local.rglob("*"))
        if p.is_file() and not any(part.startswith(("_", ".")) for part in p.relative_to(local).parts)
    ]
    rel = [p.relative_to(local).as_posix() for p in files]
    names = rename(rel) if rename else {r: r for r in rel}
    keys = [prefix + names[r] for r in rel]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda pk: s3.upload_file(str(pk[0]), bucket, pk[1]), zip(files, keys)))
    return [f"s3://{bucket}/{k}" for k in keys]
