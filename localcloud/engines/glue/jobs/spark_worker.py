"""The warm Spark worker: one SparkSession per localcloud, Glue job scripts run one after another.

Started by ``JobRuntime`` as ``python -P -u spark_worker.py FD CONF_JSON [CDS_JSON]`` with
``PYTHONPATH`` = the ``compat`` folder (localcloud's ``awsglue``). CDS_JSON is the class data
sharing plan (``cds.py``): the archive the JVM maps, or where it writes one when it exits. FD is
this end of a socket pair; both ends speak JSON lines:

* worker -> runtime, once: ``{"op": "ready", "spark_s": seconds to start Spark}``
  (or ``{"op": "fatal", "error": ...}`` when Spark cannot start)
* runtime -> worker: ``{"op": "run", "run_id", "job_name", "script_location", "script"?, "argv",
  "bookmark_option", "bookmark", "run_dir"}``
* worker -> runtime: ``{"op": "started", "run_id"}`` then ``{"op": "done", "run_id", "status":
  SUCCEEDED|FAILED|CANCELLED, "error", "bookmark" (what job.commit() saved, or null)}``
* runtime -> worker: ``{"op": "cancel", "run_id"}``: the run's Spark jobs are cancelled and
  the script is interrupted.

Each run executes in a fresh module namespace (``__name__ == "__main__"``) with ``sys.argv``
as Glue sets it, its own SparkSession (``newSession``: own SQL conf and temp views) over the
shared SparkContext, and file descriptors 1 and 2 (the Python and JVM output) redirected to the
run's stdout/stderr files. ``SparkContext()`` returns the warm context; ``stop()`` is ignored.
"""

from __future__ import annotations

import builtins
import faulthandler
import importlib.util
import json
import linecache
import os
import queue
import shutil
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SPARK_CONF = {
    # One task slot: half the PySpark worker processes (~50 MB each) of local[2], no slower on lab
    # data (measured on lab 06); partitions are set below, so answers and object names do not change.
    "spark.master": "local[1]",
    "spark.app.name": "localcloud-glue",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.memory": "1g",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.python.worker.reuse": "true",
    "spark.sql.adaptive.enabled": "true",
    # serial GC: a small local JVM without GC threads competing for the 2 cores; C1 only
    # (TieredStopAtLevel=1): C2's compile work costs more than it saves on lab-sized data, measured
    # in A/B runs of Spark start + first queries on 2 busy cores: about half the time to a first answer.
    # A 32 MB young generation (-Xmn; the default grows with the machine's memory, ~125 MB of 24 GB,
    # all of it touched between collections) and a 128 MB first heap: ~80 MB less resident for the
    # same work; the heap may still grow to spark.driver.memory. MetaspaceSize: Spark's classes do
    # not trigger four full collections while it starts (without the class archive, cds.py).
    "spark.driver.extraJavaOptions": (
        "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms128m -Xmn32m -XX:MetaspaceSize=128m"
        " -Djava.net.preferIPv4Stack=true"
    ),
}
CDS_EXIT_TIMEOUT_S = 120.0  # the JVM writing its class archive at exit (seconds on a busy machine)


def _cds_module() -> Any:
    """``cds.py`` beside this file (this folder is not on the worker's sys.path: scripts' names)."""
    spec = importlib.util.spec_from_file_location("localcloud_glue_cds", Path(__file__).with_name("cds.py"))
    assert spec is not None and spec.loader is not None
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)  # dataclasses look it up there
    spec.loader.exec_module(module)
    return module


class Cancelled(Exception):
    """Raised in the script's thread when the run is stopped or timed out."""


class Worker:
    def __init__(self, sock: socket.socket, conf: dict[str, str], cds: dict[str, str] | None = None) -> None:
        self.sock = sock
        self.rfile = sock.makefile("r", encoding="utf-8")
        self.wlock = threading.Lock()
        self.runs: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.current: str | None = None
        self.cancel_requested: str | None = None
        self.cancelled: set[str] = set()  # cancels that came before their run started
        self.interruptible = False
        self.conf = conf
        self.cds = cds or {}
        self.warmed = False  # the warm-up ran: a class archive written at exit has what runs need
        self.warming: threading.Thread | None = None
        main_thread = threading.main_thread().ident
        assert main_thread is not None  # the main thread has started: it runs this
        self.main_thread = main_thread
        self.log_fds = (os.dup(1), os.dup(2))  # the worker's own log, between runs

    def send(self, doc: dict[str, Any]) -> None:
        with self.wlock:
            self.sock.sendall((json.dumps(doc) + "\n").encode())

    # ---- Spark ---------------------------------------------------------------------------------

    def start_spark(self) -> None:
        from pyspark.sql import SparkSession

        conf = {**SPARK_CONF, **self.conf}
        cds_options = _cds_module().Plan(**self.cds).java_options()
        if cds_options:
            conf["spark.driver.extraJavaOptions"] = f"{conf.get('spark.driver.extraJavaOptions', '')} {cds_options}"
        builder = SparkSession.builder
        for k, v in conf.items():
            builder = builder.config(k, v)
        self.base = builder.getOrCreate()
        self.sc = self.base.sparkContext
        self.sc.setLogLevel("WARN")
        self._keep_warm()

    def warm_up(self, scratch: Path) -> None:
        """Run what every job's first run would pay for once (JIT, readers, writers, Python workers,
        the AWS SDK), so the first job run after ``ready`` is as quick as later ones."""
        from awsglue._local.run import client  # type: ignore[import-not-found]  # compat/ is on PYTHONPATH

        client("s3"), client("glue")
        scratch.mkdir(parents=True, exist_ok=True)
        try:
            (scratch / "in.jsonl").write_text('{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n')
            df = self.base.read.schema("a int, b string").json(str(scratch / "in.jsonl"))
            df.groupBy("b").count().collect()
            df.write.mode("overwrite").partitionBy("b").parquet(str(scratch / "out"))
            self.base.read.parquet(str(scratch / "out")).count()
            self.base.createDataFrame(df.rdd.filter(lambda r: r.a > 0), df.schema).count()
            self.warmed = True
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def warm_up_quietly(self, scratch: Path) -> None:
        try:
            self.warm_up(scratch)
        except Exception:
            pass  # only a head start: a real run will show any real problem

    def _keep_warm(self) -> None:
        """Scripts say ``SparkContext()`` and may call ``stop()``: give them the warm one, keep it."""
        from pyspark import SparkContext
        from pyspark.sql import SparkSession

        original_init = SparkContext.__init__

        def new(cls: type[SparkContext], *args: Any, **kwargs: Any) -> SparkContext:
            return SparkContext._active_spark_context or object.__new__(cls)

        def init(sc_self: SparkContext, *args: Any, **kwargs: Any) -> None:
            if getattr(sc_self, "_jsc", None) is None:
                original_init(sc_self, *args, **kwargs)

        # Patching pyspark's classes is the point here (scripts construct and stop them).
        SparkContext.__new__ = staticmethod(new)  # type: ignore[method-assign, assignment]  # see above
        SparkContext.__init__ = init  # type: ignore[method-assign, assignment]  # see above
        self._stops = (SparkContext.stop, SparkSession.stop)
        SparkContext.stop = lambda self_, *a, **k: None  # type: ignore[method-assign]  # see above
        SparkSession.stop = lambda self_, *a, **k: None  # type: ignore[method-assign]  # see above

    def stop_spark(self) -> None:
        from pyspark import SparkContext
        from pyspark.sql import SparkSession

        SparkContext.stop, SparkSession.stop = self._stops  # type: ignore[method-assign]  # pyspark's own, put back
        jvm = getattr(SparkContext._gateway, "proc", None)  # the JVM's process (pyspark's launch_gateway)
        if self.cds.get("dump") and self.warming is not None:
            self.warming.join(CDS_EXIT_TIMEOUT_S)  # what the warm-up loads belongs in the archive
        try:
            self.base.stop()
        except Exception:
            pass
        if self.cds.get("dump") and jvm is not None:
            self._write_class_archive(jvm)

    def _write_class_archive(self, jvm: Any) -> None:
        """End the JVM as PySpark's gateway lets it end (its stdin closed: System.exit), so it writes
        the class archive; this process is the init of the worker's PID namespace, and the JVM would
        be killed with it before writing. The archive is kept only from a clean exit after the warm-up."""
        cds = _cds_module()
        t0 = time.perf_counter()
        try:
            jvm.stdin.close()
            code = jvm.wait(CDS_EXIT_TIMEOUT_S)
        except Exception as exc:
            print(f"localcloud: no class archive ({exc})", flush=True)
            cds.discard(self.cds["dump"])
            return
        kept = cds.keep(self.cds["dump"], self.cds["keep_as"]) if code == 0 and self.warmed else None
        if kept is None:
            cds.discard(self.cds["dump"])
        why = "" if kept else f" (JVM exit code {code}, warm-up {'done' if self.warmed else 'not done'})"
        print(f"localcloud: class archive {kept or 'not kept'}{why}, {time.perf_counter() - t0:.1f} s", flush=True)

    def _session_for_run(self) -> SparkSession:
        from pyspark.sql import SparkSession

        session = self.base.newSession()
        SparkSession._instantiatedSession = session
        SparkSession._activeSession = session
        jvm = self.sc._jvm
        if jvm is None:
            raise RuntimeError("the SparkContext has no JVM (stopped?)")
        jvm.org.apache.spark.sql.SparkSession.setActiveSession(session._jsparkSession)
        jvm.org.apache.spark.sql.SparkSession.setDefaultSession(session._jsparkSession)
        return session

    def _after_run(self, session: SparkSession) -> None:
        from pyspark.sql import SparkSession

        try:
            session.catalog.clearCache()
            for rdd in list(self.sc._jsc.getPersistentRDDs().values()):
                rdd.unpersist(False)
        except Exception:
            pass
        SparkSession._instantiatedSession = self.base
        SparkSession._activeSession = self.base

    # ---- the control channel -------------------------------------------------------------------

    def read_commands(self) -> None:
        for line in self.rfile:
            msg = json.loads(line)
            if msg["op"] == "run":
                self.runs.put(msg)
            elif msg["op"] == "cancel":
                self.cancelled.add(msg["run_id"])
                if msg["run_id"] == self.current:
                    self.cancel(msg["run_id"])
        self.runs.put(None)  # the runtime closed the channel: shut down

    def cancel(self, run_id: str) -> None:
        self.cancel_requested = run_id
        try:
            self.sc.cancelJobGroup(run_id)
        except Exception:
            pass
        time.sleep(0.2)
        if self.current == run_id:  # pure-Python code (or a wait) gets an exception in its thread
            signal.pthread_kill(self.main_thread, signal.SIGUSR1)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.interruptible and self.cancel_requested and self.cancel_requested == self.current:
            raise Cancelled("the job run was stopped")

    # ---- one run -------------------------------------------------------------------------------

    def execute(self, req: dict[str, Any]) -> dict[str, Any]:
        # compat/ is on this process's PYTHONPATH (JobRuntime.job_env), not on mypy's path
        from awsglue._local import run as glue_run  # type: ignore[import-not-found]
        from awsglue._local.scripts import fetch_script  # type: ignore[import-not-found]

        run_id = req["run_id"]
        run_dir = Path(req["run_dir"])
        run_dir.mkdir(parents=True, exist_ok=True)
        out = os.open(run_dir / "stdout.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        err = os.open(run_dir / "stderr.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.close(out)
        os.close(err)
        saved_argv, saved_path, saved_cwd, saved_env = sys.argv, list(sys.path), os.getcwd(), dict(os.environ)
        session = None
        status, error = "SUCCEEDED", None
        stage = run_dir / "stage"
        glue_run.current = glue_run.Run(
            job_name=req["job_name"],
            run_id=run_id,
            bookmark_option=req.get("bookmark_option", "job-bookmark-disable"),
            bookmark=req.get("bookmark") or {},
            stage_dir=stage,
        )
        self.current, self.cancel_requested = run_id, None
        try:
            source = req.get("script")
            if source is None:
                source = fetch_script(req["script_location"])
            filename = "/tmp/" + (req["script_location"].rsplit("/", 1)[-1] or "script.py")
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            code = compile(source, filename, "exec")
            session = self._session_for_run()
            self.sc.setJobGroup(run_id, f"Glue job {req['job_name']} run {run_id}", interruptOnCancel=True)
            sys.argv = list(req["argv"])
            namespace = {"__name__": "__main__", "__file__": filename, "__builtins__": builtins}
            self.interruptible = True  # only the script itself gets the stop signal's exception
            try:
                exec(code, namespace)
            finally:
                self.interruptible = False
        except SystemExit as exc:
            if exc.code not in (None, 0):
                status, error = "FAILED", f"SystemExit: {exc.code}"
        except BaseException as exc:  # the script's failure is the run's, never the worker's
            if self.cancel_requested == run_id:
                status, error = "CANCELLED", None
            else:
                from awsglue._local.scripts import last_line

                traceback.print_exc()
                status, error = "FAILED", last_line(exc)
        finally:
            self.current = None
            sys.argv, sys.path[:] = saved_argv, saved_path
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
            if session is not None:
                self._after_run(session)
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(self.log_fds[0], 1)
            os.dup2(self.log_fds[1], 2)
            shutil.rmtree(stage, ignore_errors=True)
        if self.cancel_requested == run_id:
            status, error = "CANCELLED", None
        return {
            "op": "done",
            "run_id": run_id,
            "status": status,
            "error": error,
            "bookmark": glue_run.current.committed,
        }

    def serve(self) -> None:
        signal.signal(signal.SIGUSR1, self._on_signal)
        faulthandler.register(signal.SIGUSR2, file=os.fdopen(self.log_fds[1], "w", closefd=False), all_threads=True)
        threading.Thread(target=self.read_commands, name="glue-control", daemon=True).start()
        while (req := self.runs.get()) is not None:
            if req["run_id"] in self.cancelled:
                self.send(
                    {"op": "done", "run_id": req["run_id"], "status": "CANCELLED", "error": None, "bookmark": None}
                )
                continue
            self.send({"op": "started", "run_id": req["run_id"]})
            try:
                reply = self.execute(req)
            except Cancelled:
                reply = {"op": "done", "run_id": req["run_id"], "status": "CANCELLED", "error": None, "bookmark": None}
            self.send(reply)


def main() -> None:
    from awsglue._local.scripts import last_line

    sock = socket.socket(fileno=int(sys.argv[1]))
    conf = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    cds = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    worker = Worker(sock, conf, cds)
    if cds.get("dump"):  # terminated (localcloud stopping): the JVM dies with us, its archive unfinished
        signal.signal(signal.SIGTERM, lambda signum, frame: (_cds_module().discard(cds["dump"]), os._exit(143)))
    t0 = time.perf_counter()
    try:
        worker.start_spark()
    except Exception as exc:
        traceback.print_exc()
        worker.send({"op": "fatal", "error": last_line(exc)})
        return
    worker.send({"op": "ready", "spark_s": round(time.perf_counter() - t0, 3)})
    # Warm up beside the first run rather than before it: what both need is loaded once.
    scratch = Path(conf.get("spark.local.dir", ".")) / "warm-up"
    worker.warming = threading.Thread(target=worker.warm_up_quietly, args=(scratch,), name="glue-warm-up", daemon=True)
    worker.warming.start()
    try:
        worker.serve()
    finally:
        worker.stop_spark()


if __name__ == "__main__":
    main()
