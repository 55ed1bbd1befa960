"""What the Glue job API checks before a job is stored or a run starts, with AWS's error codes.

Messages quoted from AWS where a public record of them was found (StartJobRun/CreateJob error
texts seen in AWS users' reports and SDK docs); the rest are localcloud's wording of the rule
AWS documents (each says which in a comment). Nothing here knows about runs or Spark.
"""

from __future__ import annotations

from typing import Any

from ... import seam
from ..athena.s3store import S3Object, S3Store
from .jobs import versions

COMMANDS = ("glueetl", "pythonshell", "gluestreaming", "glueray")
# WorkerType values of the Glue API model, and which job types may use them (CreateJob docs:
# G.025X only for Glue 3.0+ streaming jobs, Z.2X only for Ray jobs).
WORKER_TYPES = (
    "Standard",
    "G.1X",
    "G.2X",
    "G.4X",
    "G.8X",
    "G.12X",
    "G.16X",
    "G.025X",
    "R.1X",
    "R.2X",
    "R.4X",
    "R.8X",
    "Z.2X",
)
ONLY_FOR = {"G.025X": ("gluestreaming",), "Z.2X": ("glueray",)}

# Quoted: InvalidInputException texts AWS returns (seen in AWS users' error reports).
MAX_CAPACITY_WITH_WORKERS = "Please do not set Max Capacity if using Worker Type and Number of Workers."
ALLOCATED_AND_MAX = "Please set only Allocated Capacity or Max Capacity"


def _invalid(message: str) -> tuple[str, str]:
    return "InvalidInputException", message


def check_capacity(params: dict[str, Any], command: str | None, version: str | None) -> tuple[str, str] | None:
    """WorkerType / NumberOfWorkers / MaxCapacity / AllocatedCapacity / Timeout of a job or a run."""
    worker_type = params.get("WorkerType")
    if params.get("MaxCapacity") is not None and (worker_type or params.get("NumberOfWorkers")):
        return _invalid(MAX_CAPACITY_WITH_WORKERS)
    if params.get("MaxCapacity") is not None and params.get("AllocatedCapacity"):
        return _invalid(ALLOCATED_AND_MAX)
    if worker_type and (worker_type not in WORKER_TYPES or command not in ONLY_FOR.get(worker_type, COMMANDS)):
        # Shape of AWS's message for a worker type a version does not offer.
        return _invalid(f"Worker type {worker_type} is not supported for Glue Version {version or versions.DEFAULT}")
    timeout = params.get("Timeout")
    if timeout is not None and not 1 <= int(timeout) <= versions.MAX_TIMEOUT_MIN:
        # localcloud's wording of the documented limit (1 minute to 7 days).
        return _invalid(f"Timeout must be between 1 and {versions.MAX_TIMEOUT_MIN} minutes (7 days), not {timeout}")
    return None


def check_job(job: dict[str, Any]) -> tuple[str, str] | None:
    """CreateJob's parameters or UpdateJob's JobUpdate: (error code, message), or None."""
    command = (job.get("Command") or {}).get("Name")
    if command not in COMMANDS:
        # localcloud's wording: the API documents these four names only.
        return _invalid(f"Command.Name {command!r} is not valid: use one of {', '.join(COMMANDS)}")
    version = job.get("GlueVersion")
    if not versions.valid(version):
        return _invalid(f"Given GlueVersion [{version}] is not valid.")  # AWS's text
    limit = (job.get("ExecutionProperty") or {}).get("MaxConcurrentRuns")
    if limit is not None and int(limit) < 1:
        return _invalid(f"MaxConcurrentRuns must be at least 1, not {limit}")  # localcloud's wording
    return check_capacity(job, command, version)


def job_not_found(name: str | None) -> tuple[str, str]:  # None: the request named no job
    return "EntityNotFoundException", f"Job {name} not found."


def run_not_found(run_id: str | None) -> tuple[str, str]:  # None: the request named no run
    return "EntityNotFoundException", f"Job run {run_id} not found."


def no_bookmark(name: str) -> tuple[str, str]:
    return "EntityNotFoundException", f"Continuation for job {name} not found"


def concurrent_runs_exceeded(name: str) -> tuple[str, str]:
    return "ConcurrentRunsExceededException", f"Concurrent runs exceeded for {name}"  # AWS's text


_DOWNLOAD_404 = "Error downloading script: fatal error: An error occurred (404) when calling the HeadObject operation"


def fetch_script(store: S3Store, location: str) -> tuple[str | None, str | None]:
    """(script text, None), or (None, the run's ErrorMessage) when Glue could not download it.

    Glue copies the script from S3 before the run starts; a missing object fails the run with
    the AWS CLI's HeadObject error (AWS users' reports of failed runs). ``store`` is the S3 the
    crawler reads too (moto's, in this process).
    """
    if not location.startswith("s3://"):
        return None, f"not supported locally: ScriptLocation {location!r} (Glue reads job scripts from s3://)"
    bucket, _, key = location[5:].partition("/")
    try:
        body = store.read(S3Object(bucket, key, 0, ""))
    except seam.NotFound:
        return None, f"{_DOWNLOAD_404}: Not Found"
    except KeyError:
        return None, f'{_DOWNLOAD_404}: Key "{key}" does not exist'
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"SyntaxError: the script is not UTF-8 text ({exc})"
