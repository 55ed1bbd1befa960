"""JobRuntime: Glue job runs on real engines, with Glue's run states, errors, timeouts and logs.

* ``glueetl`` runs queue on one warm Spark worker (``spark_worker.py``), started on first use
  and stopped by ``close()``; a worker that dies is started again for the next run.
* ``pythonshell`` runs are plain Python processes (``shell_runner.py``), one per run.
* Bookmarks (``bookmarks.py``) are read at run start and saved when the script's
  ``job.commit()`` ran in a ``job-bookmark-enable`` run.

The API layer (localcloud's Glue engine) validates requests, enforces ``MaxConcurrentRuns``
with :meth:`JobRuntime.active_runs`, and answers ``GetJobRun`` from :meth:`JobRuntime.run_state`.
Processes are started through the injected ``spawn`` so the daemon's supervisor owns them.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from ....processes import Child
from . import cds, versions
from .bookmarks import BookmarkStore
from .spark_worker import CDS_EXIT_TIMEOUT_S, SPARK_CONF

log = logging.getLogger("localcloud.glue.jobs")

HERE = Path(__file__).resolve().parent
COMPAT = HERE / "compat"
WORKER = HERE / "spark_worker.py"
# Markers in the Spark queue besides run ids: start Spark now (prewarm), stop it (release_spark).
PREWARM, RELEASE = "", "\x00release"
SHELL_RUNNER = HERE / "shell_runner.py"
# Job scripts are learner code: their runners start through this launcher, so whatever a script
# starts (even a setsid daemon) dies with its runner, as Lambda code's children die with their worker.
CONFINE = HERE.parents[2] / "childns.py"

OUTPUT_GROUP = "/aws-glue/jobs/output"
ERROR_GROUP = "/aws-glue/jobs/error"
ACTIVE = ("STARTING", "RUNNING", "STOPPING", "WAITING")
FINAL = ("SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR")
CANCEL_GRACE_S = 20.0  # a cancelled run must end within this, or its worker is killed
SPARK_START_TIMEOUT_S = 300.0
# DPUs per worker (AWS Glue WorkerType documentation); Standard counted as 1 DPU per worker.
DPU_PER_WORKER = {
    "Standard": 1.0,
    "G.025X": 0.25,
    "G.1X": 1.0,
    "G.2X": 2.0,
    "G.4X": 4.0,
    "G.8X": 8.0,
    "G.12X": 12.0,
    "G.16X": 16.0,
    "R.1X": 1.0,
    "R.2X": 2.0,
    "R.4X": 4.0,
    "R.8X": 8.0,
    "Z.2X": 2.0,
}
# Job arguments a local run cannot honour: the run fails naming them instead of ignoring them.
UNSUPPORTED_ARGS = (
    "--additional-python-modules",
    "--extra-py-files",
    "--extra-jars",
    "--extra-files",
    "--python-modules-installer-option",
    "--conf",
    "--user-jars-first",
    "--job-bookmark-from",
    "--job-bookmark-to",
)
# Variables of the daemon's own environment a job process keeps (the client env is added to them).
PASS_ENV = ("PATH", "LANG", "LC_ALL", "HOME", "JAVA_HOME", "TZ")


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _java() -> bool:
    return bool(shutil.which("java") or os.environ.get("JAVA_HOME"))


# A started process: a Popen, or the daemon Supervisor's Child holding one.
Process = subprocess.Popen[bytes] | Child
# spawn(argv, name=..., env=..., **popen_kwargs) -> the started process
Spawn = Callable[..., Process]
# on_log(group, stream, events): events are {"timestamp": ms, "message": text}
OnLog = Callable[[str, str, list[dict[str, Any]]], None]


def default_spawn(
    argv: list[str], name: str = "", env: dict[str, str] | None = None, **popen_kwargs: Any
) -> subprocess.Popen[bytes]:
    """Start a process that dies with this one (what the daemon's Supervisor does, for tests)."""
    popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen(argv, env=env, preexec_fn=_die_with_parent, **popen_kwargs)


def _popen(child: Process) -> subprocess.Popen[bytes]:
    """``spawn`` may return a Popen or something holding one (the Supervisor's ``Child``)."""
    return child.popen if isinstance(child, Child) else child


class RunRefused(Exception):
    """The run cannot execute locally at all; it ends FAILED with this message."""


@dataclass
class Run:
    id: str
    job_name: str
    command: str  # glueetl | pythonshell
    arguments: dict[str, str]  # the run's own Arguments (JobRun.Arguments)
    argv: list[str]
    script_location: str
    script: str | None
    bookmark_option: str
    timeout_min: int
    glue_version: str
    worker_type: str | None
    number_of_workers: int | None
    dpus: float
    attempt: int = 0
    previous_run_id: str | None = None
    execution_class: str = "STANDARD"
    state: str = "STARTING"
    error: str | None = None
    started_on: float = field(default_factory=time.time)
    last_modified: float = field(default_factory=time.time)
    running_since: float | None = None  # monotonic
    completed_on: float | None = None
    execution_s: float = 0.0
    cancel_reason: str | None = None  # STOPPED | TIMEOUT
    cancel_at: float = 0.0  # monotonic
    run_dir: Path | None = None
    offsets: dict[str, int] = field(default_factory=lambda: {"stdout.log": 0, "stderr.log": 0})
    logs: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {OUTPUT_GROUP: [], ERROR_GROUP: []})
    done: threading.Event = field(default_factory=threading.Event)
    process: Process | None = None  # pythonshell: its process

    @property
    def folder(self) -> Path:
        """The run's folder; only runs adopted from an earlier localcloud (never run here) have none."""
        if self.run_dir is None:
            raise RuntimeError(f"run {self.id} was not started by this runtime")
        return self.run_dir


class RuntimeStats(TypedDict):
    spark_starts: int
    last_spark_start_s: float | None
    spark_class_archive: str | None  # the last worker's JVM: "used", "writing" (at exit) or None


class SparkWorker:
    """The runtime's end of one ``spark_worker.py`` process."""

    def __init__(self, runtime: JobRuntime, use_cds: bool = True) -> None:
        parent, child = socket.socketpair()
        self.sock = parent
        log_file = open(runtime.state_dir / "spark-worker.log", "ab")  # noqa: SIM115 (handed to the child)
        conf = {"spark.local.dir": str(runtime.state_dir / "spark-tmp"), **runtime.spark_conf}
        options = {**SPARK_CONF, **conf}.get("spark.driver.extraJavaOptions", "")
        self.cds = cds.plan(runtime.cds_dir, options) if use_cds else cds.Plan()
        argv = [runtime.python, "-P", "-u", str(CONFINE), str(WORKER), str(child.fileno()), json.dumps(conf)]
        argv.append(json.dumps(self.cds.as_dict()))
        try:
            self.child = runtime.spawn(
                argv,
                name="glue-spark-worker",
                env=runtime.job_env(),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                pass_fds=(child.fileno(),),
                cwd=str(runtime.state_dir),
            )
        finally:
            child.close()
            log_file.close()
        self._buf = b""
        self.spark_s: float | None = None

    @property
    def popen(self) -> subprocess.Popen:
        return _popen(self.child)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def send(self, doc: dict[str, Any]) -> None:
        self.sock.sendall((json.dumps(doc) + "\n").encode())

    def recv(self, timeout: float | None) -> dict[str, Any] | None:
        """The next message; None when the worker is gone or nothing came within ``timeout``.

        A line buffer of our own: a socket file object cannot be read again after a timeout.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return None
            if not select.select([self.sock], [], [], left)[0]:
                return None
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return None
            if not chunk:
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        doc: dict[str, Any] = json.loads(line)
        return doc

    def kill(self, grace: float = 0.0, archive_grace: bool = False) -> None:
        """End the worker: closing the channel asks it to stop Spark and exit; after ``grace``
        seconds it is terminated (then killed). ``archive_grace``: a JVM writing its class
        archive at exit (``cds.py``; ~20 s of CPU on a busy machine) gets the time it needs."""
        try:
            self.sock.close()
        except OSError:
            pass
        if archive_grace and self.cds.dump:
            grace = max(grace, CDS_EXIT_TIMEOUT_S + 5.0)
        p = self.popen
        if grace and p.poll() is None:
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


class JobRuntime:
    """Runs Glue jobs. Thread-safe; every method returns at once except ``wait`` and ``close``.

    ``state_dir``: this runtime's folder (bookmarks, run logs, Spark scratch).
    ``spawn(argv, name=..., env=..., **popen_kwargs)``: starts a process, returns a Popen (or the
    daemon Supervisor's ``Child``); default: a subprocess that dies with this process.
    ``env``: the AWS client environment job processes get (localcloud's endpoint, fake keys).
    ``on_log(group, stream, events)``: CloudWatch Logs lines as they appear, ``events`` a list of
    ``{"timestamp": ms, "message": text}``; also kept per run (:meth:`logs`).
    ``minute_s``: seconds in a ``Timeout`` minute (60; tests shorten it).
    ``cds_dir``: where the Spark JVM's class archive is kept (``cds.py``); None: no archive.
    """

    def __init__(
        self,
        state_dir: Path | str,
        spawn: Spawn | None = None,
        env: dict[str, str] | None = None,
        on_log: OnLog | None = None,
        python: str = sys.executable,
        spark_conf: dict[str, str] | None = None,
        minute_s: float = 60.0,
        cds_dir: Path | None = None,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.cds_dir = cds_dir
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.spawn: Spawn = spawn or default_spawn
        self.env = dict(env or {})
        self.on_log = on_log
        self.python = python
        self.spark_conf = dict(spark_conf or {})
        self.minute_s = minute_s
        self.bookmarks = BookmarkStore(self.state_dir / "bookmarks")
        self._runs: dict[str, Run] = {}
        self._lock = threading.RLock()
        self._spark_queue: deque[str] = deque()
        self._wake = threading.Condition(self._lock)
        self._worker: SparkWorker | None = None
        self._spark_current: str | None = None
        self._closed = False
        self._worker_ended = threading.Event()  # close() has ended the Spark worker
        self.stats: RuntimeStats = {"spark_starts": 0, "last_spark_start_s": None, "spark_class_archive": None}
        self._scheduler = threading.Thread(target=self._spark_loop, name="glue-spark-scheduler", daemon=True)
        self._scheduler.start()
        self._monitor = threading.Thread(target=self._monitor_loop, name="glue-monitor", daemon=True)
        self._monitor.start()

    # ---- the interface the Glue API engine uses ---------------------------------------------------

    def start_run(
        self,
        job_spec: dict,
        run_id: str,
        arguments: dict | None = None,
        *,
        run_options: dict | None = None,
        script: str | None = None,
        attempt: int = 0,
        previous_run_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """Start run ``run_id`` of the job described by ``job_spec`` (Glue's ``Job`` fields).

        ``arguments``: StartJobRun's Arguments (they override the job's DefaultArguments).
        ``run_options``: StartJobRun's Timeout / WorkerType / NumberOfWorkers / MaxCapacity.
        ``script``: the script text, if the caller has it; else it is read from ScriptLocation.
        ``error``: the run cannot start (e.g. its script could not be fetched): it ends FAILED
        with this message, which the error log shows too.
        The run is STARTING at return; anything that keeps it from running makes it FAILED.
        """
        if self._closed:
            raise RuntimeError("the Glue job runtime is closed")
        run = self._new_run(job_spec, run_id, dict(arguments or {}), dict(run_options or {}), script, attempt)
        run.previous_run_id = previous_run_id
        with self._lock:
            if run_id in self._runs:
                raise ValueError(f"run {run_id} exists already")
            self._runs[run_id] = run
        refusal = self._refusal(job_spec, run)
        why = error or refusal
        if why:
            self._write_log(run, "stderr.log", why)
            self._finish(run, "FAILED", why)
            return
        self._write_log(run, "stdout.log", versions.banner(run.command, run.glue_version))
        if run.command == "glueetl":
            with self._wake:
                self._spark_queue.append(run_id)
                self._wake.notify_all()
        else:
            threading.Thread(target=self._shell_run, args=(run,), name=f"glue-shell-{run_id}", daemon=True).start()

    def run_state(self, run_id: str) -> dict:
        """Glue's ``JobRun`` for this run (timestamps in epoch seconds, as on the wire)."""
        with self._lock:
            run = self._runs[run_id]
            execution = run.execution_s + (
                time.monotonic() - run.running_since if run.running_since and run.state in ACTIVE else 0.0
            )
            doc = {
                "Id": run.id,
                "Attempt": run.attempt,
                "JobName": run.job_name,
                "JobMode": "SCRIPT",
                "StartedOn": run.started_on,
                "LastModifiedOn": run.last_modified,
                "JobRunState": run.state,
                "Arguments": dict(run.arguments),
                "PredecessorRuns": [],
                "ExecutionTime": int(round(execution)),
                "Timeout": run.timeout_min,
                "MaxCapacity": run.dpus,
                "LogGroupName": "/aws-glue/jobs",
                "GlueVersion": run.glue_version,
                "ExecutionClass": run.execution_class,
                # Glue fills DPUSeconds for auto-scaling/Flex runs; here it is always DPUs x time.
                "DPUSeconds": round(run.dpus * int(round(execution)), 4),
            }
            if run.command == "glueetl":
                doc["AllocatedCapacity"] = int(run.dpus)
            if run.worker_type:
                doc["WorkerType"] = run.worker_type
                doc["NumberOfWorkers"] = run.number_of_workers
            if run.completed_on is not None:
                doc["CompletedOn"] = run.completed_on
            if run.previous_run_id:
                doc["PreviousRunId"] = run.previous_run_id
            if run.error:
                doc["ErrorMessage"] = run.error
            return doc

    def runs(self, job_name: str | None = None) -> list[str]:
        """Run ids, newest first (GetJobRuns order), of one job or all."""
        with self._lock:
            runs = [r for r in self._runs.values() if job_name is None or r.job_name == job_name]
        return [r.id for r in sorted(runs, key=lambda r: r.started_on, reverse=True)]

    def active_runs(self, job_name: str) -> int:
        """How many runs of ``job_name`` are not finished (for MaxConcurrentRuns)."""
        with self._lock:
            return sum(1 for r in self._runs.values() if r.job_name == job_name and r.state in ACTIVE)

    def stop_run(self, run_id: str) -> bool:
        """BatchStopJobRun for one run: False if it is already finished (Glue reports an error)."""
        with self._lock:
            run = self._runs[run_id]
            if run.state not in ACTIVE:
                return False
            if run.id in self._spark_queue:  # never started: stopped at once
                self._spark_queue.remove(run.id)
                self._finish(run, "STOPPED", None)
                return True
            self._set_state(run, "STOPPING")
        self._cancel(run, "STOPPED")
        return True

    def records(self) -> list[dict]:
        """Every run as its JobRun (plus ``Command``): what survives a localcloud restart."""
        with self._lock:
            ids = list(self._runs)
            return [dict(self.run_state(r), Command=self._runs[r].command) for r in ids]

    def adopt(self, records: list[dict]) -> None:
        """Runs of an earlier localcloud (``records()``), finished: listed and shown, never run."""
        with self._lock:
            for rec in records:
                run = Run(
                    id=rec["Id"],
                    job_name=rec["JobName"],
                    command=rec.get("Command", "glueetl"),
                    arguments=dict(rec.get("Arguments") or {}),
                    argv=[],
                    script_location="",
                    script=None,
                    bookmark_option="",
                    timeout_min=int(rec.get("Timeout") or 0),
                    glue_version=rec.get("GlueVersion", ""),
                    worker_type=rec.get("WorkerType"),
                    number_of_workers=rec.get("NumberOfWorkers"),
                    dpus=float(rec.get("MaxCapacity") or 0.0),
                    attempt=int(rec.get("Attempt") or 0),
                    previous_run_id=rec.get("PreviousRunId"),
                    execution_class=rec.get("ExecutionClass", "STANDARD"),
                    state=rec["JobRunState"],
                    error=rec.get("ErrorMessage"),
                    started_on=rec["StartedOn"],
                    last_modified=rec.get("LastModifiedOn", rec["StartedOn"]),
                    completed_on=rec.get("CompletedOn"),
                    execution_s=float(rec.get("ExecutionTime") or 0),
                )
                run.done.set()
                self._runs.setdefault(run.id, run)

    def forget_job(self, job_name: str) -> None:
        """DeleteJob: its runs are stopped and forgotten (a run being stopped ends on its own
        thread, unlisted), and its bookmark deleted."""
        for run_id in self.runs(job_name):
            self.stop_run(run_id)
        with self._lock:
            for run_id in self.runs(job_name):
                del self._runs[run_id]
        self.bookmarks.delete(job_name)

    def reset_bookmark(self, job_name: str, run_id: str | None = None) -> dict:
        """ResetJobBookmark: the JobBookmarkEntry after reset."""
        if run_id:
            raise NotImplementedError("not supported locally: ResetJobBookmark with RunId")
        return self.bookmarks.reset(job_name)

    def get_bookmark(self, job_name: str) -> dict | None:
        """GetJobBookmark: the JobBookmarkEntry, or None (Glue: EntityNotFoundException)."""
        return self.bookmarks.entry(job_name)

    def logs(self, run_id: str) -> dict:
        """The run's log events so far: {"/aws-glue/jobs/output": [...], "/aws-glue/jobs/error": [...]}."""
        with self._lock:
            run = self._runs[run_id]
            self._tail(run)
            return {g: list(evs) for g, evs in run.logs.items()}

    def wait(self, run_id: str, timeout: float | None = None) -> dict:
        """Block until the run is finished (or ``timeout``); its JobRun."""
        with self._lock:
            run = self._runs[run_id]
        run.done.wait(timeout)
        return self.run_state(run_id)

    def prewarm(self) -> None:
        """Start the Spark worker now (e.g. on CreateJob of a glueetl job) instead of on first run.

        A no-op without Java (the first run then fails saying so) or when the worker is up."""
        if not _java() or (self._worker is not None and self._worker.alive()):
            return
        with self._wake:
            self._spark_queue.append(PREWARM)  # the scheduler starts Spark and moves on
            self._wake.notify_all()

    def release_spark(self) -> None:
        """No glueetl job is left (DeleteJob of the last one): stop the Spark worker and its JVM
        (several hundred MB) once the runs queued before have ended; a new job starts it again."""
        with self._wake:
            if self._worker is None and not self._spark_queue:
                return
            self._spark_queue.append(RELEASE)
            self._wake.notify_all()

    def status(self) -> dict:
        with self._lock:
            return {
                "spark_worker": bool(self._worker and self._worker.alive()),
                "spark_queue": len([r for r in self._spark_queue if r not in (PREWARM, RELEASE)]),
                "runs": {s: sum(1 for r in self._runs.values() if r.state == s) for s in ACTIVE + FINAL},
                **self.stats,
            }

    def close(self) -> None:
        """Stop every run (STOPPED) and the Spark worker."""
        with self._wake:
            self._closed = True
            queued = [self._runs[r] for r in self._spark_queue if r not in (PREWARM, RELEASE)]
            self._spark_queue.clear()
            self._wake.notify_all()
        for run in queued:
            self._finish(run, "STOPPED", None)
        with self._lock:
            running = [r for r in self._runs.values() if r.state in ACTIVE]
        for run in running:
            self._kill_run_process(run)
            self._finish(run, "STOPPED", None)
        worker = self._worker
        try:
            if worker is not None:
                worker.kill(grace=5.0)
        finally:
            self._worker_ended.set()
        self._scheduler.join(5)
        shutil.rmtree(self.state_dir / "spark-tmp", ignore_errors=True)

    # ---- run records ----------------------------------------------------------------------------

    def job_env(self) -> dict[str, str]:
        env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
        env.update(self.env)
        env.update(
            PYTHONPATH=str(COMPAT),
            PYSPARK_PYTHON=self.python,
            PYSPARK_DRIVER_PYTHON=self.python,
            SPARK_LOCAL_IP="127.0.0.1",
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        return env

    def _new_run(
        self,
        spec: dict[str, Any],
        run_id: str,
        arguments: dict[str, str],
        options: dict[str, Any],
        script: str | None,
        attempt: int,
    ) -> Run:
        command = (spec.get("Command") or {}).get("Name", "glueetl")
        merged = {**(spec.get("DefaultArguments") or {}), **arguments}
        bookmark_option = merged.get("--job-bookmark-option", "job-bookmark-disable")
        location = (spec.get("Command") or {}).get("ScriptLocation", "")
        name = spec["Name"]
        job_id = "j_" + hashlib.sha256(name.encode()).hexdigest()[:56]
        argv = ["/tmp/" + (location.rsplit("/", 1)[-1] or "script.py")]
        if command == "glueetl":
            argv += ["--JOB_ID", job_id, "--JOB_RUN_ID", run_id, "--job-bookmark-option", bookmark_option]
        argv += ["--JOB_NAME", name]
        for k, v in merged.items():
            if k not in ("--job-bookmark-option", "--JOB_NAME"):
                argv += [k, str(v)]
        glue_version = versions.effective(command, spec.get("GlueVersion"))
        worker_type = options.get("WorkerType") or spec.get("WorkerType")
        workers = options.get("NumberOfWorkers") or spec.get("NumberOfWorkers")
        if worker_type:
            dpus = DPU_PER_WORKER.get(worker_type, 1.0) * int(workers or 1)
        else:
            dpus = float(
                options.get("MaxCapacity") or spec.get("MaxCapacity") or (10.0 if command == "glueetl" else 0.0625)
            )
        return Run(
            id=run_id,
            job_name=name,
            command=command,
            arguments=arguments,
            argv=argv,
            script_location=location,
            script=script,
            bookmark_option=bookmark_option,
            timeout_min=int(options.get("Timeout") or spec.get("Timeout") or versions.default_timeout(glue_version)),
            glue_version=glue_version,
            worker_type=worker_type,
            number_of_workers=int(workers) if workers else None,
            dpus=dpus,
            attempt=attempt,
            execution_class=options.get("ExecutionClass") or spec.get("ExecutionClass") or "STANDARD",
            run_dir=self.state_dir / "runs" / run_id,
        )

    def _refusal(self, spec: dict, run: Run) -> str | None:
        """Why this run cannot execute here ("not supported locally: ..."), or None."""
        if run.command not in ("glueetl", "pythonshell"):
            return f"not supported locally: Command.Name {run.command!r} (glueetl and pythonshell run locally)"
        why = versions.refusal(run.command, run.glue_version)
        if why:
            return why
        lang = {**(spec.get("DefaultArguments") or {}), **run.arguments}.get("--job-language", "python")
        if lang != "python":
            return f"not supported locally: --job-language {lang}"
        for arg in UNSUPPORTED_ARGS:
            if arg in run.arguments or arg in (spec.get("DefaultArguments") or {}):
                return f"not supported locally: job argument {arg}"
        if run.bookmark_option not in ("job-bookmark-enable", "job-bookmark-disable", "job-bookmark-pause"):
            return f"Invalid job bookmark option: {run.bookmark_option}"
        if run.command == "glueetl" and not _java():
            return "localcloud: glueetl jobs need Java 17 (Debian: apt-get install openjdk-17-jre-headless; make setup)"
        return None

    @staticmethod
    def _write_log(run: Run, fname: str, line: str) -> None:
        """A line of localcloud's own in the run's log, before anything the script writes."""
        run.folder.mkdir(parents=True, exist_ok=True)
        with open(run.folder / fname, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def _set_state(self, run: Run, state: str) -> None:
        with self._lock:
            run.state = state
            run.last_modified = time.time()

    def _finish(self, run: Run, state: str, error: str | None) -> None:
        with self._lock:
            if run.state in FINAL:
                return
            if run.running_since is not None:
                run.execution_s += time.monotonic() - run.running_since
                run.running_since = None
            run.error = error
            run.completed_on = time.time()
            self._tail(run)
            self._set_state(run, state)
        run.done.set()

    # ---- Spark runs -----------------------------------------------------------------------------

    def _spark_loop(self) -> None:
        try:
            self._schedule()
        finally:
            # The worker was forked on this thread: with the default spawn (PR_SET_PDEATHSIG) it is
            # killed when this thread ends, so this thread outlives close()'s ending of it (a JVM
            # may be writing its class archive).
            self._worker_ended.wait(CDS_EXIT_TIMEOUT_S + 30.0)

    def _schedule(self) -> None:
        while True:
            with self._wake:
                while not self._spark_queue and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                run_id = self._spark_queue.popleft()
                if run_id == RELEASE:
                    released, self._worker = self._worker, None
                else:
                    released = None
                run = self._runs.get(run_id)
                if run is not None and run.state not in ACTIVE:
                    continue
                self._spark_current = run_id or None
            if run_id == RELEASE:
                if released is not None:
                    # closing its channel stops Spark first; no run waits: the JVM may write its class archive
                    released.kill(grace=5.0, archive_grace=True)
                self._spark_current = None
                continue
            try:
                worker, why = self._ensure_worker()
                if run is None:
                    continue  # prewarm marker
                if worker is None:
                    self._finish(run, "FAILED", why)
                    continue
                self._run_on_worker(worker, run)
            except Exception as exc:  # a runtime bug must not kill the scheduler
                log.exception("glue spark run")
                if run is not None:
                    self._finish(run, "FAILED", f"localcloud: {exc}")
            finally:
                with self._lock:
                    self._spark_current = None

    def _ensure_worker(self) -> tuple[SparkWorker | None, str | None]:
        if self._worker is not None and self._worker.alive():
            return self._worker, None
        if self._worker is not None:
            self._worker.kill()
        t0 = time.monotonic()
        worker = SparkWorker(self)
        msg = worker.recv(SPARK_START_TIMEOUT_S)
        if (not msg or msg.get("op") != "ready") and worker.cds.archive:
            worker.kill()  # e.g. a damaged class archive: never again, and Spark starts without one
            log.warning("the Spark worker did not start with class archive %s: starting it without", worker.cds.archive)
            cds.discard(worker.cds.archive)
            worker = SparkWorker(self, use_cds=False)
            msg = worker.recv(SPARK_START_TIMEOUT_S)
        if not msg or msg.get("op") != "ready":
            worker.kill()
            why = (msg or {}).get("error") or "the Spark worker did not start (see spark-worker.log)"
            return None, f"localcloud: Spark could not start: {why}"
        worker.spark_s = msg.get("spark_s")
        self.stats["spark_starts"] += 1
        self.stats["spark_class_archive"] = "used" if worker.cds.archive else "writing" if worker.cds.dump else None
        self.stats["last_spark_start_s"] = round(time.monotonic() - t0, 3)
        self._worker = worker
        return worker, None

    def _run_on_worker(self, worker: SparkWorker, run: Run) -> None:
        if run.cancel_reason:  # stopped while Spark was starting
            self._finish(run, run.cancel_reason, self._cancel_message(run))
            return
        run.folder.mkdir(parents=True, exist_ok=True)
        worker.send(
            {
                "op": "run",
                "run_id": run.id,
                "job_name": run.job_name,
                "script_location": run.script_location,
                "script": run.script,
                "argv": run.argv,
                "bookmark_option": run.bookmark_option,
                "bookmark": self.bookmarks.state(run.job_name) if run.bookmark_option != "job-bookmark-disable" else {},
                "run_dir": str(run.folder),
            }
        )
        done = None
        while True:
            msg = worker.recv(1.0)
            if msg is None and not worker.alive():
                break
            if msg is None:
                if run.cancel_reason and time.monotonic() - run.cancel_at > CANCEL_GRACE_S:
                    worker.kill()  # the script ignored the cancel: the next run gets a new worker
                    break
                continue
            if msg["op"] == "started":
                with self._lock:
                    run.running_since = time.monotonic()
                    if run.state == "STARTING":
                        self._set_state(run, "RUNNING")
            elif msg["op"] == "done":
                done = msg
                break
        if done is None:
            if run.cancel_reason:
                self._finish(run, run.cancel_reason, self._cancel_message(run))
            else:
                code = worker.popen.poll()
                self._finish(run, "FAILED", f"localcloud: the Spark worker exited unexpectedly (exit code {code})")
            return
        if done.get("bookmark") is not None:
            self.bookmarks.commit(run.job_name, run.id, run.attempt, done["bookmark"])
        if done["status"] == "CANCELLED" or run.cancel_reason:
            self._finish(run, run.cancel_reason or "STOPPED", self._cancel_message(run))
        else:
            self._finish(run, done["status"], done.get("error"))

    def _cancel_message(self, run: Run) -> str | None:
        if run.cancel_reason == "TIMEOUT":
            unit = "minute" if run.timeout_min == 1 else "minutes"
            return f"Job run timed out after {run.timeout_min} {unit} (Timeout)"
        return None

    def _cancel(self, run: Run, reason: str) -> None:
        with self._lock:
            if run.cancel_reason:
                return
            run.cancel_reason = reason
            run.cancel_at = time.monotonic()
        if run.command == "glueetl":
            worker = self._worker
            if worker is not None and self._spark_current == run.id:
                try:
                    worker.send({"op": "cancel", "run_id": run.id})
                except OSError:
                    pass
        else:
            self._kill_run_process(run)

    # ---- Python shell runs ----------------------------------------------------------------------

    def _shell_run(self, run: Run) -> None:
        run_dir = run.folder
        run_dir.mkdir(parents=True, exist_ok=True)
        result = run_dir / "result.json"
        location = run.script_location
        if run.script is not None:
            location = str(run_dir / (location.rsplit("/", 1)[-1] or "script.py"))
            Path(location).write_text(run.script)
        argv = [self.python, "-P", "-u", str(CONFINE), str(SHELL_RUNNER), str(result), location, *run.argv[1:]]
        with open(run_dir / "stdout.log", "ab") as out, open(run_dir / "stderr.log", "ab") as err:
            try:
                child = self.spawn(
                    argv,
                    name=f"glue-pythonshell-{run.id}",
                    env=self.job_env(),
                    stdout=out,
                    stderr=err,
                    cwd=str(run_dir),
                )
            except Exception as exc:
                self._finish(run, "FAILED", f"localcloud: could not start the Python shell: {exc}")
                return
        with self._lock:
            run.process = child
            run.running_since = time.monotonic()
            if run.state == "STARTING":
                self._set_state(run, "RUNNING")
            elif run.cancel_reason:
                self._kill_run_process(run)
        code = _popen(child).wait()
        if run.cancel_reason:
            self._finish(run, run.cancel_reason, self._cancel_message(run))
        elif code == 0:
            self._finish(run, "SUCCEEDED", None)
        else:
            try:
                error = json.loads(result.read_text())["error"]
            except (OSError, ValueError, KeyError):
                error = f"Command failed with exit code {code}"
            self._finish(run, "FAILED", error)

    def _kill_run_process(self, run: Run) -> None:
        if run.process is None:
            return
        p = _popen(run.process)
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()

    # ---- timeouts and logs ----------------------------------------------------------------------

    def _monitor_loop(self) -> None:
        while not self._closed:
            time.sleep(0.5)
            with self._lock:
                running = [r for r in self._runs.values() if r.state in ("RUNNING", "STOPPING")]
            for run in running:
                if (
                    run.running_since is not None
                    and not run.cancel_reason
                    and time.monotonic() - run.running_since >= run.timeout_min * self.minute_s
                ):
                    self._cancel(run, "TIMEOUT")
                with self._lock:
                    self._tail(run)

    def _tail(self, run: Run) -> None:
        """New complete lines of the run's stdout/stderr -> log events (caller holds the lock)."""
        if run.run_dir is None:
            return
        final = run.state in FINAL or run.completed_on is not None
        for fname, group in (("stdout.log", OUTPUT_GROUP), ("stderr.log", ERROR_GROUP)):
            path = run.run_dir / fname
            try:
                with open(path, "rb") as fh:
                    fh.seek(run.offsets[fname])
                    data = fh.read()
            except FileNotFoundError:
                continue
            if not final:
                data = data[: data.rfind(b"\n") + 1]  # a partial line waits for its end
            if not data:
                continue
            run.offsets[fname] += len(data)
            now = int(time.time() * 1000)
            events = [
                {"timestamp": now, "message": line}
                for line in data.decode("utf-8", "replace").splitlines()
                if line.strip()
            ]
            if not events:
                continue
            run.logs[group].extend(events)
            if self.on_log is not None:
                try:
                    self.on_log(group, run.id, events)
                except Exception:
                    log.exception("glue log callback")


def new_run_id() -> str:
    """A run id shaped like Glue's (``jr_`` + 64 hex digits)."""
    return "jr_" + hashlib.sha256(uuid.uuid4().bytes).hexdigest()
