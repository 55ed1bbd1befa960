"""Class data sharing (Java 17 AppCDS) for the Spark worker's JVM: Spark's classes from an archive.

A Spark start loads about 18,000 classes from ~230 jars, parsing and verifying each one, and the
first queries load thousands more. Java can archive the classes a JVM loaded when it exits
(``-XX:ArchiveClassesAtExit``) and map that archive into the next JVM (``-XX:SharedArchiveFile``),
which then skips the parsing and verification: the Spark start and the first queries of the next
worker take about half the time (measured: ``benchmarks/README.md``).

* The archive is a cache shared by every localcloud of this checkout (any ``LAB_DIR``, fresh or
  restored state): ``<cache>/spark-<key>.<size>.jsa``. ``key`` fingerprints what the archive is
  only valid for: the Java runtime (its binary and class library files), Spark's jars (names, sizes,
  times) and the JVM options; a new PySpark or Java gets a new key, and older archives are deleted.
* With no archive for the key, the worker's JVM writes one when it exits (``JobRuntime.close()``,
  ``release_spark()``), to a temporary name, renamed to the archive's name only when the JVM
  exited cleanly after the warm-up ran; ``<size>`` in the name is checked before use (a truncated
  archive would crash the JVM that maps it).
* Anything wrong gives a worker without the archive, never a failed run: no Java or PySpark found,
  a cache folder that cannot be written, a path Spark's option parser would split; a JVM that does
  not start with the archive is started again without it (and the archive deleted).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

STALE_TMP_S = 3600.0  # a temporary archive this old belongs to a JVM that died while writing it


def spark_home() -> Path | None:
    """PySpark's folder (what ``pyspark.find_spark_home`` gives), without importing pyspark."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(os.path.realpath(list(spec.submodule_search_locations)[0]))


def java_binary() -> Path | None:
    """The ``java`` Spark's launcher runs: ``$JAVA_HOME/bin/java``, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    return Path(os.path.realpath(found)) if found and os.path.exists(found) else None


def fingerprint(java_options: str) -> str | None:
    """What an archive is valid for, as a short hash; None when Java or PySpark is not found."""
    home, java = spark_home(), java_binary()
    if home is None or java is None or not (home / "jars").is_dir():
        return None
    h = hashlib.sha256()
    h.update(f"{java}\0{home}\0{java_options}\0".encode())
    jre = java.parent.parent
    for f in (jre / "lib" / "modules", jre / "lib" / "server" / "libjvm.so"):
        try:
            st = f.stat()
            h.update(f"{f}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        except OSError:
            h.update(f"{f}\0-\0".encode())
    for entry in sorted(os.scandir(home / "jars"), key=lambda e: e.name):
        st = entry.stat()
        h.update(f"{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()[:20]


@dataclass(frozen=True)
class Plan:
    """What the next worker's JVM does: map ``archive``, or write one at exit (``dump``, kept as
    ``keep_as.<size>.jsa``), or neither."""

    archive: str | None = None
    dump: str | None = None
    keep_as: str | None = None

    def java_options(self) -> str:
        if self.archive:
            return f"-XX:SharedArchiveFile={self.archive}"
        if self.dump:  # its hundreds of "Skipping <class>: Signed JAR" warnings stay out of the log
            return f"-XX:ArchiveClassesAtExit={self.dump} -Xlog:cds=error -Xlog:cds+dynamic=error"
        return ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("archive", self.archive), ("dump", self.dump), ("keep_as", self.keep_as)) if v}


def _usable(path: str) -> bool:
    # Spark splits extraJavaOptions at white space and strips quotes: such a path would break the JVM's options
    return not any(c.isspace() or c in "\"'\\" for c in path)


def plan(folder: Path | None, java_options: str) -> Plan:
    """The archive to use for these JVM options, or where to write one; ``Plan()`` when neither."""
    if folder is None or not _usable(str(folder)):
        return Plan()
    key = fingerprint(java_options)
    if key is None:
        return Plan()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        found = None
        for p in folder.glob("spark-*.jsa"):
            if p.name.endswith(".tmp.jsa"):  # being written by a JVM, or left by one that died writing it
                if time.time() - p.stat().st_mtime > STALE_TMP_S:
                    p.unlink(missing_ok=True)
                continue
            stem, _, size = p.name.removesuffix(".jsa").rpartition(".")
            if stem == f"spark-{key}" and size.isdigit() and p.stat().st_size == int(size):
                found = p
            else:
                p.unlink(missing_ok=True)  # another Java's or Spark's, or truncated
        if found is not None:
            return Plan(archive=str(found))
        if not os.access(folder, os.W_OK | os.X_OK):
            return Plan()
    except OSError:
        return Plan()
    return Plan(dump=str(folder / f"spark-{key}-{uuid.uuid4().hex[:8]}.tmp.jsa"), keep_as=str(folder / f"spark-{key}"))


def discard(archive: str) -> None:
    """An archive the JVM could not start with: never used again."""
    try:
        os.unlink(archive)
    except OSError:
        pass


def keep(dump: str, keep_as: str) -> str | None:
    """The JVM exited cleanly having written ``dump``: rename it to the archive's name (with its size)."""
    try:
        size = os.stat(dump).st_size
        if size == 0:
            raise OSError("empty archive")
        final = f"{keep_as}.{size}.jsa"
        os.replace(dump, final)
        return final
    except OSError:
        discard(dump)
        return None
