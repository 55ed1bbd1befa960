"""The Glue job API of the Glue engine: job definitions checked, runs on the job runtime.

``_api_<Operation>`` methods of :class:`~.engine.GlueEngine` (mixed in), one per AWS operation;
the checks and error texts are in :mod:`.job_requests`, the runs in :mod:`.jobs`.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from ... import config, seam
from ...awserrors import error
from ...calls import Call, Response
from . import job_requests
from .jobs import DPU_PER_WORKER, ERROR_GROUP, OUTPUT_GROUP, JobRuntime, new_run_id, versions

if TYPE_CHECKING:
    from .. import EngineContext
    from ..athena.s3store import S3Store


def json_response(doc: dict[str, Any]) -> Response:
    return Response(200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(doc).encode())


def _fail(call: Call, problem: tuple[str, str]) -> Response:
    return error(call, *problem)


class JobOperations:
    """The job operations of :class:`~.engine.GlueEngine` (a mixin: its methods, in a file of their own)."""

    # The engine's (GlueEngine.start sets them), which these operations use.
    ctx: EngineContext
    name: str
    store: S3Store
    _runtime: JobRuntime | None
    _runtime_lock: threading.Lock
    _starts: threading.Lock
    _logs_lock: threading.Lock
    _run_regions: dict[str, str]
    _restored_runs: list[dict[str, Any]]

    # ---- the runtime ---------------------------------------------------------------------------

    def runtime(self) -> JobRuntime:
        with self._runtime_lock:
            if self._runtime is None:
                self._runtime = JobRuntime(
                    self.ctx.state_dir / "jobs",
                    spawn=lambda argv, name, **kw: self.ctx.processes.spawn(argv, name=name, owner=self.name, **kw),
                    env=config.client_env(self.ctx.port),
                    on_log=self._put_logs,
                    cds_dir=config.cache_dir() / "spark-cds",
                )
                self._runtime.adopt(self._restored_runs)
                self._restored_runs = []
            return self._runtime

    def _close_runtime(self) -> None:
        with self._runtime_lock:
            rt, self._runtime = self._runtime, None
        if rt is not None:
            rt.close()
        self._run_regions.clear()

    def _put_logs(self, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        """Run output -> CloudWatch Logs (group and stream created when missing, as Glue does)."""
        region = self._run_regions.get(stream, config.REGION)
        with self._logs_lock:
            seam.logs_put(region, group, stream, events)

    def _job_or_error(self, call: Call, name: str | None) -> tuple[dict[str, Any] | None, Response | None]:
        """(GetJob's Job, None), or (None, Glue's EntityNotFoundException)."""
        job = seam.glue_job(name or "", call.region)
        return (job, None) if job is not None else (None, _fail(call, job_requests.job_not_found(name)))

    def _prewarm(self, job: dict[str, Any]) -> None:
        """A glueetl job that can run here: start Spark now, so the lab's first run is quick."""
        command = (job.get("Command") or {}).get("Name")
        version = versions.effective(command, job.get("GlueVersion"))
        if command == "glueetl" and versions.refusal(command, version) is None:
            self.runtime().prewarm()

    # ---- job definitions (moto's) --------------------------------------------------------------

    def _api_CreateJob(self, call: Call) -> Response | None:
        problem = job_requests.check_job(call.params)
        return _fail(call, problem) if problem else None

    def _after_CreateJob(self, call: Call, response: Response) -> None:
        self._prewarm(call.params)

    def _after_GetJob(self, call: Call, response: Response) -> Response:
        """Fields AWS fills in that moto leaves empty: MaxCapacity of a WorkerType job (the DPUs
        it gets) and the default Timeout of its Glue version."""
        doc = json.loads(response.body)
        for job in doc.get("Jobs") or ([doc["Job"]] if doc.get("Job") else []):
            command = (job.get("Command") or {}).get("Name", "glueetl")
            if job.get("WorkerType") and job.get("NumberOfWorkers") and job.get("MaxCapacity") is None:
                job["MaxCapacity"] = DPU_PER_WORKER.get(job["WorkerType"], 1.0) * job["NumberOfWorkers"]
            if job.get("Timeout") is None:
                job["Timeout"] = versions.default_timeout(versions.effective(command, job.get("GlueVersion")))
        return Response(response.status, response.headers, json.dumps(doc).encode())

    _after_GetJobs = _after_BatchGetJobs = _after_GetJob

    def _api_UpdateJob(self, call: Call) -> Response | None:
        update = call.params.get("JobUpdate") or {}
        job, missing = self._job_or_error(call, call.params.get("JobName"))
        if job is None:
            return missing
        name: str = job["Name"]  # the one asked for
        problem = job_requests.check_job(update)
        if problem:
            return _fail(call, problem)
        seam.glue_update_job(name, update, call.region)
        self._prewarm(update)
        return json_response({"JobName": name})

    def _after_DeleteJob(self, call: Call, response: Response) -> None:
        rt = self._runtime
        if rt is not None:
            rt.forget_job(call.params.get("JobName") or "")
            if not seam.glue_job_names(call.region, command="glueetl"):
                rt.release_spark()  # its memory is not kept through the labs after the Glue one

    # ---- runs ----------------------------------------------------------------------------------

    def _api_StartJobRun(self, call: Call) -> Response | None:
        p = call.params
        job, missing = self._job_or_error(call, p.get("JobName"))
        if job is None:
            return missing
        name: str = job["Name"]  # the one asked for
        command = (job.get("Command") or {}).get("Name")
        problem = job_requests.check_capacity(p, command, job.get("GlueVersion"))
        if problem:
            return _fail(call, problem)
        rt = self.runtime()
        attempt, previous = 0, p.get("JobRunId")
        if previous:  # a retry of an earlier run
            if previous not in rt.runs(name):
                return _fail(call, job_requests.run_not_found(previous))
            attempt = rt.run_state(previous)["Attempt"] + 1
        location = (job.get("Command") or {}).get("ScriptLocation") or ""
        script, why = job_requests.fetch_script(self.store, location)
        fixed = job.get("NonOverridableArguments") or {}
        spec = dict(job, DefaultArguments={**(job.get("DefaultArguments") or {}), **fixed})
        arguments = {k: v for k, v in (p.get("Arguments") or {}).items() if k not in fixed}
        options = {
            k: p[k] for k in ("Timeout", "WorkerType", "NumberOfWorkers", "MaxCapacity", "ExecutionClass") if p.get(k)
        }
        limit = int((job.get("ExecutionProperty") or {}).get("MaxConcurrentRuns") or 1)
        with self._starts:
            if rt.active_runs(name) >= limit:
                if p.get("JobRunQueuingEnabled"):
                    return _fail(call, ("InvalidInputException", "not supported locally: JobRunQueuingEnabled"))
                return _fail(call, job_requests.concurrent_runs_exceeded(name))
            run_id = new_run_id()
            self._run_regions[run_id] = call.region
            for group in (OUTPUT_GROUP, ERROR_GROUP):  # Glue makes both streams for every run
                self._put_logs(group, run_id, [])
            rt.start_run(
                spec,
                run_id,
                arguments,
                run_options=options,
                script=script,
                attempt=attempt,
                previous_run_id=previous,
                error=why,
            )
        return json_response({"JobRunId": run_id})

    def _run_or_error(
        self, call: Call, name: str | None, run_id: str | None
    ) -> tuple[dict[str, Any], None] | tuple[None, Response | None]:
        _, missing = self._job_or_error(call, name)
        if missing:
            return None, missing
        rt = self.runtime()
        if run_id not in rt.runs(name):
            return None, _fail(call, job_requests.run_not_found(run_id))
        return rt.run_state(run_id), None

    def _api_GetJobRun(self, call: Call) -> Response | None:
        state, problem = self._run_or_error(call, call.params.get("JobName"), call.params.get("RunId"))
        return problem or json_response({"JobRun": state})

    def _api_GetJobRuns(self, call: Call) -> Response | None:
        name = call.params.get("JobName")
        _, missing = self._job_or_error(call, name)
        if missing:
            return missing
        rt = self.runtime()
        ids = rt.runs(name)  # newest first, as GetJobRuns returns them
        size = int(call.params.get("MaxResults") or 100)
        start = int(call.params.get("NextToken") or 0)
        page = ids[start : start + size]
        doc: dict[str, Any] = {"JobRuns": [rt.run_state(r) for r in page]}
        if start + size < len(ids):
            doc["NextToken"] = str(start + size)
        return json_response(doc)

    def _api_BatchStopJobRun(self, call: Call) -> Response | None:
        name = call.params.get("JobName")
        rt = self.runtime()
        known = set(rt.runs(name)) if seam.glue_job(name or "", call.region) is not None else set()
        done, errors = [], []
        for run_id in call.params.get("JobRunIds") or []:
            if run_id not in known:
                code, message = job_requests.run_not_found(run_id)
            elif rt.stop_run(run_id):
                done.append({"JobName": name, "JobRunId": run_id})
                continue
            else:  # localcloud's wording
                code = "InvalidInputException"
                message = f"Job run {run_id} has already ended ({rt.run_state(run_id)['JobRunState']})"
            errors.append(
                {"JobName": name, "JobRunId": run_id, "ErrorDetail": {"ErrorCode": code, "ErrorMessage": message}}
            )
        return json_response({"SuccessfulSubmissions": done, "Errors": errors})

    # ---- bookmarks -----------------------------------------------------------------------------

    def _api_GetJobBookmark(self, call: Call) -> Response | None:
        job, missing = self._job_or_error(call, call.params.get("JobName"))
        if job is None:
            return missing
        name: str = job["Name"]  # the one asked for
        entry = self.runtime().get_bookmark(name)
        if entry is None:
            return _fail(call, job_requests.no_bookmark(name))
        run_id = call.params.get("RunId")
        if run_id and run_id != entry.get("RunId"):
            return _fail(call, ("InvalidInputException", "not supported locally: GetJobBookmark of an earlier run"))
        return json_response({"JobBookmarkEntry": entry})

    def _api_ResetJobBookmark(self, call: Call) -> Response | None:
        job, missing = self._job_or_error(call, call.params.get("JobName"))
        if job is None:
            return missing
        name: str = job["Name"]  # the one asked for
        if call.params.get("RunId"):
            return _fail(call, ("InvalidInputException", "not supported locally: ResetJobBookmark with RunId"))
        rt = self.runtime()
        if rt.get_bookmark(name) is None:
            return _fail(call, job_requests.no_bookmark(name))
        return json_response({"JobBookmarkEntry": rt.reset_bookmark(name)})
