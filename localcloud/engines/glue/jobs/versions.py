"""Glue versions: which exist, which run here (and on what), and the defaults that depend on them.

AWS's side of the table is from the AWS Glue Developer Guide, "AWS Glue versions"
(release-notes.html) and "Migrating AWS Glue for Spark jobs to AWS Glue version 6.0"
(migrating-version-60.html), and the CreateJob API reference (botocore's Glue model), checked
2026-11-30:

* Glue 3.0: Spark 3.1.1, Python 3.7 - 4.0: Spark 3.3.0, Python 3.10 - 5.0: Spark 3.5.4,
  Python 3.11 - 5.1: Spark 3.5.6, Python 3.11 - 6.0: Spark 4.1.1, Python 3.13 (Java 17 for 5.x/6.0).
* "Jobs that are created without specifying a Glue version default to Glue 6.0"; ``auto`` turns on
  automatic upgrades (the newest version).
* Glue 0.9, 1.0 and 2.0 reached end of life on 2026-04-01 ("glue-version-support-policy"):
  no new jobs, no runs.
* Timeout left blank: 2,880 minutes for Glue 4.0 and earlier, 480 minutes for 5.0 and later;
  at most 10,080 minutes (7 days).

Here every ``glueetl`` run uses one PySpark 3.5 (Glue 5.0's Spark minor version) on the course's
Python. Scripts written for Glue 3.0/4.0 (Spark 3.1/3.3) run on it too, and the run's first log
line says so; Glue 6.0 is Spark 4 (ANSI SQL on by default, Scala 2.13): its runs fail with "not
supported locally" instead of giving Spark 3.5's answers.
"""

from __future__ import annotations

import functools
import platform
import re
import shutil
import subprocess
from importlib import metadata

# GlueVersion -> (Spark, Python) on AWS, for Spark (glueetl) jobs.
SPARK_JOBS = {
    "3.0": ("3.1.1", "3.7"),
    "4.0": ("3.3.0", "3.10"),
    "5.0": ("3.5.4", "3.11"),
    "5.1": ("3.5.6", "3.11"),
    "6.0": ("4.1.1", "3.13"),
}
DEFAULT = "6.0"  # AWS's default for a job created without GlueVersion
LATEST = "6.0"  # what "auto" resolves to
END_OF_LIFE = ("0.9", "1.0", "2.0")
SPARK_HERE = "3.5"  # the PySpark minor version pinned in pyproject.toml
RUN_HERE = ("3.0", "4.0", "5.0", "5.1")  # Spark 3.x: run on Spark 3.5, the log says so
SAME_AS_HERE = ("5.0", "5.1")  # Spark 3.5 on AWS too
# Python shell jobs: GlueVersion 3.0 runs Python 3.9 (Python shell job docs; 1.0 is past end of life).
PYTHON_SHELL = {"3.0": "3.9"}
MAX_TIMEOUT_MIN = 10080


def valid(version: str | None) -> bool:
    """Does CreateJob accept this GlueVersion (None: AWS's default)?"""
    return version is None or version == "auto" or (version in SPARK_JOBS and version not in END_OF_LIFE)


def effective(command: str | None, version: str | None) -> str:
    """The GlueVersion a run uses: AWS's default when the job has none, the newest for ``auto``."""
    if command == "pythonshell":
        return version or "3.0"
    if version is None:
        return DEFAULT
    return LATEST if version == "auto" else version


def default_timeout(version: str) -> int:
    """Minutes a run may take when neither the job nor the run sets Timeout."""
    try:
        major = float(version)
    except ValueError:
        major = float(LATEST)
    return 2880 if major < 5.0 else 480


def refusal(command: str, version: str) -> str | None:
    """Why a run of this version cannot run here ("not supported locally: ..."), or None."""
    if command == "pythonshell" and version not in PYTHON_SHELL:
        return (
            f"not supported locally: a Python shell job with GlueVersion {version} (AWS runs them on GlueVersion 3.0)"
        )
    if command == "glueetl" and version not in RUN_HERE:
        spark, python = SPARK_JOBS.get(version, ("?", "?"))
        return (
            f"not supported locally: GlueVersion {version} (AWS runs it on Spark {spark}, Python {python}); "
            f"localcloud runs Spark {SPARK_HERE}: create the job with GlueVersion='5.0'"
        )
    return None


@functools.cache
def _here() -> tuple[str, str, str]:
    try:
        pyspark = metadata.version("pyspark")
    except metadata.PackageNotFoundError:
        pyspark = "not installed"
    java = ""
    if shutil.which("java"):
        try:
            out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30).stderr
            m = re.search(r'version "([^"]+)"', out)
            java = m.group(1) if m else ""
        except (OSError, subprocess.TimeoutExpired):
            pass
    return pyspark, platform.python_version(), java


def banner(command: str, version: str, python_version: str | None = None) -> str:
    """The run's first log line: which versions AWS would use, and what runs the script here."""
    pyspark, python, java = _here()
    python = python_version or python
    if command == "pythonshell":
        aws = PYTHON_SHELL.get(version, "3.9")
        return f"localcloud: Python shell job, GlueVersion {version} (AWS: Python {aws}) runs here on Python {python}"
    spark, aws_python = SPARK_JOBS[version]
    here = f"PySpark {pyspark}, Python {python}" + (f", Java {java}" if java else "")
    if version in SAME_AS_HERE:
        note = f"the same Spark {SPARK_HERE} line"
    else:
        note = f"Glue 5.0's Spark {SPARK_HERE}, not Spark {spark}: behaviour Spark changed since may differ"
    return f"localcloud: GlueVersion {version} (AWS: Spark {spark}, Python {aws_python}) runs here on {here} - {note}"
