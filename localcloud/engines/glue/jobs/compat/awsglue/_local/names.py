"""The object names Glue's DynamicFrame writers give the files they write to S3.

Spark names its files ``part-<task>-<uuid>-c000<ext>``; a DynamicFrame sink on AWS Glue names them
``run-<epoch ms>-part-r-<task, 5 digits>`` (JSON, CSV: no extension) and, with the Glue Parquet
writer (``glueparquet``), ``run-<epoch ms>-part-block-0-r-<task, 5 digits>-snappy.parquet``. One
write shares one millisecond stamp; ``key=value/`` partition folders are kept. Only names found in
public sources are used (the engine README lists them); for any other format or compression this
returns ``None`` and Spark's names stay, rather than a guessed name.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

_SPARK_PART = re.compile(r"^part-(\d+)-")


def glue_name(fmt: str, glue_parquet: bool, compression: str | None) -> str | None:
    """A template for ``str.format(ms=..., task=...)``, or None where Glue's name is not sourced."""
    codec = (compression or "").lower()
    if fmt in ("json", "csv") and codec in ("", "none", "uncompressed"):
        return "run-{ms}-part-r-{task:05d}"
    if fmt == "parquet" and glue_parquet and codec in ("", "snappy"):
        return "run-{ms}-part-block-0-r-{task:05d}-snappy.parquet"
    return None


def rename(rel_paths: list[str], template: str | None, ms: int) -> dict[str, str]:
    """Spark's relative paths -> Glue's; identity when there is no template or the names would clash
    (two files of one task in one folder, as ``maxRecordsPerFile`` makes), so nothing is lost."""
    same = {p: p for p in rel_paths}
    if template is None:
        return same
    out: dict[str, str] = {}
    for p in rel_paths:
        path = PurePosixPath(p)
        m = _SPARK_PART.match(path.name)
        if not m:
            return same
        out[p] = str(path.with_name(template.format(ms=ms, task=int(m.group(1)))))
    return out if len(set(out.values())) == len(out) else same
