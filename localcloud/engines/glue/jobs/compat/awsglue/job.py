"""``Job``: ``init`` names the run, ``commit`` saves the job bookmark (localcloud keeps it per job)."""

from __future__ import annotations

from ._local import run as _run


class Job:
    @classmethod
    def continuation_options(cls):
        return ["--continuation-option", "continuation-enabled", "continuation-readonly", "continuation-ignore"]

    @classmethod
    def job_bookmark_options(cls):
        return ["--job-bookmark-option", "job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable"]

    @classmethod
    def job_bookmark_range_options(cls):
        return ["--job-bookmark-from", "--job-bookmark-to"]

    @classmethod
    def id_params(cls):
        return ["--JOB_NAME", "--JOB_ID", "--JOB_RUN_ID", "--SECURITY_CONFIGURATION"]

    @classmethod
    def encryption_type_options(cls):
        return ["--encryption-type", "sse-s3"]

    @classmethod
    def data_lineage_options(cls):
        return ["--enable-data-lineage"]

    def __init__(self, glue_context_or_spark_session):
        self._context = glue_context_or_spark_session
        self._name = None

    def init(self, job_name, args={}):  # noqa: B006 (AWS's signature)
        self._name = job_name
        if (args or {}).get("job_bookmark_from") or (args or {}).get("job_bookmark_to"):
            raise _run.NotSupportedLocally("--job-bookmark-from/--job-bookmark-to (bookmark ranges)")

    def isInitialized(self):
        return self._name is not None

    def commit(self):
        """Save what this run's sources with a transformation_ctx read (job-bookmark-enable only)."""
        _run.current.commit()
