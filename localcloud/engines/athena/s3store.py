"""moto's S3 as the Athena engine reads it, plus the on-disk cache of objects DuckDB reads by path.

Objects are read in-process through localcloud.seam (never over HTTP); Parquet objects are
written once to a cache folder keyed by ETag so DuckDB reads only the column chunks it needs.
The Glue crawler (``engines.glue``) lists and reads objects through the same store.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ... import seam
from .catalog import CatalogError


def split_s3(url: str) -> tuple[str, str]:
    if not url.lower().startswith("s3://"):
        raise CatalogError("", f"Invalid S3 location: {url}")
    rest = url[5:]
    bucket, _, key = rest.partition("/")
    return bucket, key


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    size: int
    etag: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class S3Store:
    """moto's S3 in this process, plus the on-disk cache of objects DuckDB reads by path."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._links: Path | None = None

    def bucket_exists(self, name: str) -> bool:
        return seam.s3_bucket_exists(name)

    def _check_bucket(self, name: str) -> None:
        if not seam.s3_bucket_exists(name):
            raise CatalogError("HIVE_FILESYSTEM_ERROR", f"The specified bucket does not exist: {name}")

    def list(self, location: str) -> list[S3Object]:
        """Objects under ``location`` (recursive, like Athena), hidden files and folder markers left out."""
        return self.list_many([location])[0]

    # `list` below is the method above: the builtin is spelled builtins.list in this class.
    def list_many(self, locations: builtins.list[str]) -> builtins.list[builtins.list[S3Object]]:
        """``list`` for many prefixes (a table's partitions) in one pass over each bucket's keys."""
        wanted = []
        for loc in locations:
            bucket, prefix = split_s3(loc)
            wanted.append((bucket, prefix if not prefix or prefix.endswith("/") else prefix + "/"))
        found: builtins.list[builtins.list[S3Object]] = [[] for _ in wanted]
        for bucket in {b for b, _ in wanted}:
            self._check_bucket(bucket)
            mine = [(i, p) for i, (b, p) in enumerate(wanted) if b == bucket]
            common = min((p for _, p in mine), key=len)
            common = common[: min(len(common), *(len(os.path.commonprefix([common, p])) for _, p in mine))]
            for key, size, etag in seam.s3_objects(bucket, common):
                if key.endswith("/") or key.endswith("_$folder$"):
                    continue
                for i, prefix in mine:
                    rel = key[len(prefix) :]
                    if not key.startswith(prefix) or any(part.startswith(("_", ".")) for part in rel.split("/")):
                        continue  # _SUCCESS, .crc, _temporary/ are not data for Hive/Athena
                    found[i].append(S3Object(bucket, key, size, etag))
        return [sorted(f, key=lambda o: o.key) for f in found]

    def read(self, obj: S3Object) -> bytes:
        return seam.s3_read(obj.bucket, obj.key)

    def path(self, obj: S3Object) -> str:
        """A local file with the object's bytes (written once per ETag)."""
        name = hashlib.sha1(f"{obj.bucket}/{obj.key}/{obj.etag}".encode()).hexdigest()
        p = self.cache_dir / name[:2] / name
        if not p.exists():
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.with_suffix(f".{threading.get_ident()}.tmp")
            tmp.write_bytes(self.read(obj))
            os.replace(tmp, p)
        return str(p)

    def hive_path(self, obj: S3Object, folders: builtins.list[tuple[str, str]]) -> str:
        """``path(obj)`` seen through a link ``.../k1=v1/k2=v2/data.parquet``.

        One ``read_parquet(..., hive_partitioning=true)`` over all of a query's files then gets
        the partition columns as per-file constants, as DuckDB reads a hive table.  The folder
        values come from the catalog (never from the object's own key).
        """
        target = self.path(obj)
        link = self.links_dir() / Path(target).name
        for k, v in folders:
            link = link / f"{k}={v}"
        link = link / "data.parquet"
        if not os.path.lexists(link):
            link.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.symlink(target, link)
            except FileExistsError:  # another query made it first
                pass
        return str(link)

    def links_dir(self) -> Path:
        # DuckDB reads every ``k=v`` folder of a path as a partition column: links must live
        # where no folder above them has an "=" (one in LAB_DIR would shadow a table column).
        if self._links is None:
            mine = self.cache_dir / "hive"
            self._links = mine if "=" not in str(mine) else Path(tempfile.mkdtemp(prefix="localcloud-athena-"))
            self._links.mkdir(parents=True, exist_ok=True)
        return self._links

    def clear(self) -> None:
        """Empty the links folder, keeping its path (DuckDB may read only there; the engine
        empties ``cache_dir`` on reset)."""
        if self._links is not None and not self._links.is_relative_to(self.cache_dir):
            shutil.rmtree(self._links, ignore_errors=True)
            self._links.mkdir(parents=True, exist_ok=True)

    def remove(self) -> None:
        """Remove a links folder outside ``cache_dir`` (the engine stops)."""
        if self._links is not None and not self._links.is_relative_to(self.cache_dir):
            shutil.rmtree(self._links, ignore_errors=True)

    def put(self, url: str, body: bytes) -> None:
        bucket, key = split_s3(url)
        self._check_bucket(bucket)
        seam.s3_put(bucket, key, body)

    def has_objects(self, location: str) -> bool:
        try:
            return bool(self.list(location))
        except CatalogError:
            return False
