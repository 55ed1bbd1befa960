"""Execution environments for the lambda_runtime engine: warm workers, invocations, logs.

A *worker* is one ``_lambda_worker.py`` process serving one function version with one
code package and one configuration (its *fingerprint*). After an invocation it goes
back to the function's idle list, so the next invocation is warm (module-level state
survives, as on AWS); a changed fingerprint (new code or configuration) means the next
invocation starts a new worker (a cold start). One worker runs one invocation at a time:
concurrent invocations get their own workers, as Lambda scales out environments.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import logging
import math
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ... import seam
from ...processes import Child
from . import runtimes
from .limits import WORKER_CAP
from .memory import MemoryWatch, Watched
from .worker import MARKER

log = logging.getLogger("localcloud.lambda")

WORKER = Path(__file__).with_name("worker.py")
# Handlers are learner code: their worker starts through this launcher, so whatever a handler starts
# (even a setsid daemon) dies with the worker (a new code version, delete_function, a timeout, a crash).
CONFINE = Path(__file__).resolve().parents[2] / "childns.py"
INIT_TIMEOUT_S = 10.0  # AWS bounds the init phase at 10 s
IDLE_TTL_S = 300.0  # an idle environment is reclaimed after a while, as on AWS
LOG_TAIL_BYTES = 4096  # X-Amz-Log-Result carries the last 4 KB
# Variables Lambda sets itself; a function's Environment may not override them.
RESERVED_ENV = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
# What the daemon's own environment contributes: where boto3 inside the handler sends calls.
PASS_ENV = ("PATH", "LANG", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


class Function(Protocol):
    """What the engine reads of a function version (moto's model object, reached through the seam).
    Read-only properties: a model whose attributes are narrower (or untyped) still matches."""

    @property
    def function_name(self) -> str: ...
    @property
    def function_arn(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def code_bytes(self) -> bytes: ...
    @property
    def handler(self) -> str | None: ...
    @property
    def run_time(self) -> str | None: ...
    @property
    def environment_vars(self) -> dict[str, str] | None: ...
    @property
    def memory_size(self) -> int | None: ...
    @property
    def timeout(self) -> int | None: ...
    @property
    def role(self) -> str: ...
    @property
    def policy(self) -> object: ...


class InvokeError(Exception):
    """The function cannot run at all (not a handler failure): becomes an API error."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.status = code, status


@dataclass
class Result:
    request_id: str
    payload: bytes
    function_error: str | None  # "Unhandled" or None
    log_text: str  # this invocation's log, START to REPORT
    cold: bool
    duration_ms: float

    def log_tail_b64(self) -> str:
        return base64.b64encode(self.log_text.encode()[-LOG_TAIL_BYTES:]).decode()


def _iso_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def executed_version(fn: Function) -> str:
    """``$LATEST``, or the published version number a qualified invocation ran."""
    arn = fn.function_arn
    return arn.rsplit(":", 1)[1] if arn.count(":") == 7 else "$LATEST"


def fingerprint(fn: Function) -> str:
    doc = [
        fn.function_arn,
        hashlib.sha256(fn.code_bytes or b"").hexdigest(),
        fn.handler,
        fn.run_time,
        fn.environment_vars,
        fn.memory_size,
        fn.timeout,
        fn.role,
    ]
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:20]


@dataclass
class Worker:
    fn_key: str  # function name (all versions share the pool entry; fingerprint tells them apart)
    fp: str
    child: Child
    sock: socket.socket
    log_stream: str
    init_ms: float = 0.0
    init_error: dict[str, Any] | None = None
    max_rss_mb: int = 0
    watched: Watched | None = None  # the memory watchdog's view while it runs an invocation
    last_used: float = field(default_factory=time.monotonic)
    _lines: list[tuple[int, str]] = field(default_factory=list)  # (ms timestamp, text) of the current invocation
    _ended: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.rfile = self.sock.makefile("r", encoding="utf-8")
        self._reader = threading.Thread(target=self._read_output, name=f"lambda-log-{self.fn_key}", daemon=True)
        self._reader.start()

    def _read_output(self) -> None:
        assert self.child.popen.stdout is not None  # spawned with stdout=PIPE
        for raw in self.child.popen.stdout:
            text = raw.decode("utf-8", "replace").rstrip("\n")
            if text.startswith(MARKER):
                self._ended.set()
                continue
            with self._lock:
                self._lines.append((int(time.time() * 1000), text.replace("\r", "\n")))

    def take_lines(self) -> list[tuple[int, str]]:
        with self._lock:
            lines, self._lines = self._lines, []
        return lines

    def recv(self, timeout: float) -> dict[str, Any] | None:
        self.sock.settimeout(max(timeout, 0.001))
        try:
            line = self.rfile.readline()
        except (TimeoutError, OSError):
            return None
        return json.loads(line) if line else None

    def send(self, doc: dict[str, Any]) -> None:
        self.sock.settimeout(5)
        self.sock.sendall((json.dumps(doc) + "\n").encode())

    def alive(self) -> bool:
        return self.child.alive()

    @property
    def out_of_memory(self) -> bool:
        return self.watched is not None and self.watched.killed


class Pool:
    """Workers of every function, the code folders they run, and the logs they write."""

    def __init__(
        self,
        spawn: Callable[..., Child],
        terminate: Callable[[Child, float], None],
        state_dir: Path,
        learner_env: dict[str, str],
        max_workers: int = WORKER_CAP,
    ) -> None:
        self._spawn, self._terminate = spawn, terminate
        self.code_root = state_dir / "code"
        self._base_env = learner_env
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)  # notified when a worker ends or goes idle
        self.max_workers = max_workers  # busy + idle + starting workers, all functions together
        self._starting = 0
        self.memory = MemoryWatch()
        self._idle: dict[str, list[Worker]] = {}
        self._busy: dict[str, list[Worker]] = {}
        self._standby: list[Worker] = []
        self._refilling = False
        self._closed = False
        self._generation = 0  # bumped by close_all: a standby started before it is not kept

    # ---- workers -------------------------------------------------------------------------------

    def _code_dir(self, fn: Function) -> Path:
        digest = hashlib.sha256(fn.code_bytes).hexdigest()[:16]
        d = self.code_root / fn.function_name / digest
        if not d.exists():
            tmp = d.with_name(d.name + f".tmp{uuid.uuid4().hex[:6]}")
            try:
                with zipfile.ZipFile(io.BytesIO(fn.code_bytes)) as zf:
                    zf.extractall(tmp)
            except zipfile.BadZipFile:
                shutil.rmtree(tmp, ignore_errors=True)
                raise InvokeError(
                    "InvalidZipFileException",
                    "Could not unzip uploaded file. Please check your file, then try to upload again.",
                    502,
                ) from None
            try:
                tmp.rename(d)
            except OSError:  # another invocation unpacked it first
                shutil.rmtree(tmp, ignore_errors=True)
        return d

    def _env(self, fn: Function, code_dir: Path, stream: str) -> dict[str, str]:
        env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
        env.update({k: v for k, v in (fn.environment_vars or {}).items() if k not in RESERVED_ENV})
        version = executed_version(fn)
        env.update(self._base_env)
        env.update(
            {
                "_HANDLER": fn.handler or "",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
                "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
                "AWS_LAMBDA_FUNCTION_VERSION": version,
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": stream,
                "AWS_REGION": fn.region,
                "AWS_DEFAULT_REGION": fn.region,
                "LAMBDA_TASK_ROOT": str(code_dir),
                "LAMBDA_RUNTIME_DIR": str(WORKER.parent),
                "TZ": ":UTC",
            }
        )
        return env

    def _spawn_standby(self) -> Worker:
        env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
        env.update(self._base_env)
        parent, child_end = socket.socketpair()
        try:
            child = self._spawn(
                [sys.executable, "-I", "-u", str(CONFINE), str(WORKER), str(child_end.fileno())],
                name="lambda:standby",
                env=env,
                cwd=str(WORKER.parent),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(child_end.fileno(),),
            )
        finally:
            child_end.close()
        return Worker("", "", child, parent, "")

    def _take_standby(self) -> Worker:
        with self._lock:
            w = self._standby.pop() if self._standby else None
        if w is None or not w.alive():
            if w is not None:
                self.kill(w)
            w = self._spawn_standby()
        self._refill()
        return w

    def _refill(self) -> None:
        """Keep one standby process ready, started in the background (off the invoke's clock)."""
        with self._lock:
            if self._standby or self._refilling or self._closed:
                return
            self._refilling = True
            generation = self._generation

        def work() -> None:
            w: Worker | None = None
            try:
                w = self._spawn_standby()
            except Exception:
                log.exception("could not start a standby Lambda worker")
            with self._lock:
                self._refilling = False
                if w is not None and generation == self._generation and not self._closed:
                    self._standby.append(w)
                    w = None
            if w is not None:
                self.kill(w)

        threading.Thread(target=work, name="lambda-standby", daemon=True).start()

    def _start_worker(self, fn: Function, fp: str) -> Worker:
        if not (fn.run_time or "").startswith("python"):
            raise InvokeError(
                "InvalidRuntimeException", f"localcloud runs Python functions only, not runtime {fn.run_time!r}."
            )
        if not fn.code_bytes:
            raise InvokeError("InvalidZipFileException", "The function has no deployment package (Zip).")
        code_dir = self._code_dir(fn)
        today = dt.datetime.now(dt.UTC)
        stream = f"{today:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        w = self._take_standby()
        w.fn_key, w.fp, w.log_stream = fn.function_name, fp, stream
        w.child.name = f"lambda:{fn.function_name}"
        w.watched = self.memory.watch(w.child.pid, int(fn.memory_size or 128))  # init counts too
        try:
            w.send({"env": self._env(fn, code_dir, stream)})
            hello = w.recv(INIT_TIMEOUT_S)
        except OSError:
            hello = None
        if hello is None:
            self.kill(w)
            w.init_error = {
                "errorMessage": "Init timed out or the runtime exited during init",
                "errorType": "Runtime.OutOfMemory" if w.out_of_memory else "Runtime.ExitError",
                "stackTrace": [],
            }
            return w
        w._ended.wait(1.0)  # the init output is read: it goes before the first START line
        w._ended.clear()
        w.init_ms = hello.get("init_ms", 0.0)
        if hello.get("init") != "ok":
            w.init_error = hello.get("error")
        return w

    def acquire(self, fn: Function) -> tuple[Worker, bool]:
        """A warm worker for ``fn``'s current code and configuration, or a new one (cold)."""
        fp = fingerprint(fn)
        stale: list[Worker] = []
        with self._lock:
            idle = self._idle.setdefault(fn.function_name, [])
            worker = None
            while idle:
                w = idle.pop()
                if w.fp == fp and w.alive():
                    worker = w
                    break
                stale.append(w)
            if worker is not None:
                self._busy.setdefault(fn.function_name, []).append(worker)
        for w in stale:
            self.kill(w)
        if worker is not None:
            worker.watched = self.memory.watch(worker.child.pid, int(fn.memory_size or 128))
            return worker, False
        self._make_room()
        try:
            worker = self._start_worker(fn, fp)
        finally:
            with self._room:
                self._starting -= 1
        with self._lock:
            self._busy.setdefault(fn.function_name, []).append(worker)
        return worker, True

    def _make_room(self) -> None:
        """Wait until one more worker may run (at most ``max_workers`` on this machine), making
        room by ending the longest-idle worker of any function when every slot is taken."""
        while True:
            victim = None
            with self._room:
                live = sum(map(len, self._busy.values())) + sum(map(len, self._idle.values())) + self._starting
                if live < self.max_workers:
                    self._starting += 1
                    return
                idle = [w for ws in self._idle.values() for w in ws]
                if idle:
                    victim = min(idle, key=lambda w: w.last_used)
                    self._idle[victim.fn_key].remove(victim)
                else:
                    self._room.wait(1.0)
            if victim is not None:
                self.kill(victim)

    def release(self, w: Worker, keep: bool) -> None:
        if w.watched is not None:
            self.memory.unwatch(w.watched)
        with self._room:
            busy = self._busy.get(w.fn_key, [])
            if w in busy:
                busy.remove(w)
            self._room.notify_all()
            if keep and w.alive():
                w.last_used = time.monotonic()
                self._idle.setdefault(w.fn_key, []).append(w)
                return
        self.kill(w)

    def kill(self, w: Worker) -> None:
        if w.watched is not None:
            self.memory.unwatch(w.watched)
        try:
            w.sock.close()
        except OSError:
            pass
        if w.child.alive():
            w.child.popen.kill()
        self._terminate(w.child, 2.0)
        with self._room:
            self._room.notify_all()

    def in_flight(self, name: str) -> int:
        with self._lock:
            return len(self._busy.get(name, []))

    def retire(self, name: str, forget_code: bool = False) -> None:
        """Kill idle workers of ``name`` (code or configuration changed, or function deleted)."""
        with self._lock:
            idle = self._idle.pop(name, [])
        for w in idle:
            self.kill(w)
        if forget_code:
            with self._lock:
                busy = list(self._busy.get(name, []))
            for w in busy:  # a deleted function's running invocations end now
                self.kill(w)
            shutil.rmtree(self.code_root / name, ignore_errors=True)

    def reap_idle(self) -> None:
        now = time.monotonic()
        old = []
        with self._lock:
            for idle in self._idle.values():
                old += [w for w in idle if now - w.last_used > IDLE_TTL_S or not w.alive()]
                idle[:] = [w for w in idle if w not in old]
        for w in old:
            self.kill(w)

    def close_all(self, final: bool = False) -> None:
        if final:
            self.memory.close()
        with self._lock:
            workers = [w for ws in self._idle.values() for w in ws] + [w for ws in self._busy.values() for w in ws]
            workers += self._standby
            self._idle.clear()
            self._busy.clear()
            self._standby.clear()
            self._generation += 1
            self._closed = self._closed or final
        for w in workers:
            self.kill(w)
        shutil.rmtree(self.code_root, ignore_errors=True)

    def counts(self) -> dict[str, int | str]:
        with self._lock:
            return {
                "idle": sum(map(len, self._idle.values())),
                "busy": sum(map(len, self._busy.values())),
                "standby": len(self._standby),
                "max": self.max_workers,
                "memory_limit": "RSS watchdog" if self.memory_enforced() else "not enforced (no /proc)",
            }

    @staticmethod
    def memory_enforced() -> bool:
        from .memory import AVAILABLE

        return AVAILABLE

    # ---- one invocation ----------------------------------------------------------------------

    def invoke(self, fn: Function, event: object, invoked_arn: str) -> Result:
        rid = str(uuid.uuid4())
        worker, cold = self.acquire(fn)
        t0 = time.monotonic()
        timeout = float(fn.timeout or 3)
        start_ms = int(time.time() * 1000)
        lines = [(start_ms, runtimes.init_start_line(fn.run_time))] if cold else []
        lines += worker.take_lines() if cold else []  # init output comes before START
        lines.append((start_ms, f"START RequestId: {rid} Version: {executed_version(fn)}"))
        reply: dict[str, Any] | None = None
        timed_out, keep = False, True
        if worker.init_error:
            reply = {"error": dict(worker.init_error, requestId=rid)}
            keep = False
        else:
            worker._ended.clear()
            try:
                worker.send(
                    {"id": rid, "event": event, "deadline_ms": start_ms + int(timeout * 1000), "arn": invoked_arn}
                )
                reply = worker.recv(timeout - (time.monotonic() - t0))
            except OSError:
                reply = None
            if reply is None:
                timed_out = time.monotonic() - t0 >= timeout - 0.05 and not worker.out_of_memory
                keep = False
                self.kill(worker)
            else:
                worker._ended.wait(1.0)  # the marker: every log line of this invocation is read
                worker.max_rss_mb = reply.get("max_rss_mb", worker.max_rss_mb)
        duration = (time.monotonic() - t0) * 1000
        if not keep:
            worker._reader.join(1.0)  # read what the ended process wrote, up to its last line
        lines += worker.take_lines()
        end_ms = int(time.time() * 1000)
        lines.append((end_ms, f"END RequestId: {rid}"))
        oom = worker.out_of_memory
        used = fn.memory_size if oom else max(worker.max_rss_mb, worker.watched.peak_mb if worker.watched else 0)
        report = (
            f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: "
            f"{math.ceil(duration)} ms\tMemory Size: {fn.memory_size} MB\tMax Memory Used: "
            f"{used} MB\t"
        )
        if cold:
            report += f"Init Duration: {worker.init_ms:.2f} ms\t"
        report += f"{runtimes.note(fn.run_time)}\t"
        lines.append((end_ms, report))
        if oom and not worker.init_error:
            msg = f"RequestId: {rid} Error: Runtime exited with error: signal: killed"
            lines += [(end_ms, msg), (end_ms, "Runtime.OutOfMemory")]
            payload = json.dumps({"errorType": "Runtime.OutOfMemory", "errorMessage": msg}).encode()
            ferr = "Unhandled"
        elif timed_out:
            msg = f"{_iso_now()} {rid} Task timed out after {timeout:.2f} seconds"
            lines.append((end_ms, msg))
            payload, ferr = json.dumps({"errorMessage": msg}).encode(), "Unhandled"
        elif reply is None:
            msg = f"RequestId: {rid} Error: Runtime exited with error: exit status {worker.child.popen.poll()}"
            lines.append((end_ms, msg))
            payload, ferr = json.dumps({"errorType": "Runtime.ExitError", "errorMessage": msg}).encode(), "Unhandled"
        elif "error" in reply:
            payload, ferr = json.dumps(reply["error"]).encode(), "Unhandled"
        else:
            payload, ferr = reply["result"].encode(), None
        self.release(worker, keep)
        self._write_logs(fn, worker.log_stream, lines)
        return Result(rid, payload, ferr, "\n".join(t for _, t in lines) + "\n", cold, duration)

    def _write_logs(self, fn: Function, stream: str, lines: list[tuple[int, str]]) -> None:
        events, last = [], 0
        for ts, text in lines:
            last = max(last, ts)  # CloudWatch wants events in time order
            events.append({"timestamp": last, "message": text})
        try:
            with self._lock:
                seam.logs_put(fn.region, f"/aws/lambda/{fn.function_name}", stream, events)
        except Exception:
            log.exception("could not write the logs of %s", fn.function_name)
