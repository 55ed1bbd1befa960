"""One Lambda execution environment: imports the handler once, then serves invocations.

Started by the lambda_runtime engine as ``python -I -u _lambda_worker.py FD`` ahead of need
(a standby: interpreter started, boto3 imported). FD is this end of a socket pair; both
ends speak JSON lines:

* daemon → worker, once: ``{"env": {...}}``: the function's environment; ``LAMBDA_TASK_ROOT``
  is the unpacked deployment package (the ``/var/task`` of AWS), the handler is ``_HANDLER``
* worker → daemon, once: ``{"init": "ok", "init_ms": ...}`` or ``{"init": "error", "error": {...}}``
* daemon → worker: ``{"id": request id, "event": ..., "deadline_ms": ..., "arn": ...}``
* worker → daemon: ``{"id": ..., "result": "<json text>"}`` or ``{"id": ..., "error": {...}}``

stdout and stderr are the handler's log (the daemon reads them line by line, as Lambda
sends them to CloudWatch Logs); after each invocation a marker line closes its log.
Module-level state survives between invocations, as in a warm Lambda environment.
This file imports only the standard library (and preloads boto3 when it is installed).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import resource
import socket
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

MARKER = "\x1eEND "  # + request id: the end of one invocation's log on stdout


class Context:
    """The ``context`` argument of a Python Lambda handler (the attributes AWS documents)."""

    def __init__(self, request_id: str, deadline_ms: int, arn: str) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn}])"
        )


class _RequestId(logging.Filter):
    request_id = ""

    def filter(self, record):
        record.aws_request_id = self.request_id
        return True


class _LambdaLogHandler(logging.StreamHandler):
    """Lambda's log format; a multi-line record stays one log event (newlines become \\r)."""

    def emit(self, record):
        try:
            msg = self.format(record).replace("\n", "\r")
            self.stream.write(msg + "\n")
            self.flush()
        except Exception:
            self.handleError(record)


TASK_ROOT_ON_AWS = "/var/task"
# A handler: (event, context) -> anything JSON can encode.
Handler = Callable[[Any, Context], object]


def _aws_paths(text: str) -> str:
    """Paths inside the package as AWS shows them (/var/task/...), not this machine's folder."""
    return text.replace(os.environ.get("LAMBDA_TASK_ROOT", "\0"), TASK_ROOT_ON_AWS)


def _error(exc: BaseException, error_type: str | None = None, message: str | None = None, stack: bool = True) -> dict:
    tb = traceback.extract_tb(exc.__traceback__)[1:] if stack else []  # drop this file's frame
    return {
        "errorMessage": _aws_paths(message if message is not None else str(exc)),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": [_aws_paths(s) for s in traceback.format_list(tb)],
    }


def _peak_rss_mb() -> int:
    """Peak memory of this process since exec (ru_maxrss would count the forking daemon too)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _log_error(err: dict, exc: BaseException | None) -> None:
    lines = [f"[ERROR] {err['errorType']}: {err['errorMessage']}", "Traceback (most recent call last):"]
    lines += [s.rstrip("\n").replace("\n", "\r") for s in err["stackTrace"]]
    sys.stdout.write("\r".join(lines) + "\n")


def _load_handler(spec: str) -> tuple[Handler | None, dict[str, Any] | None]:
    """``module.function`` (module may be ``dir/module``), the way the Python runtime reads _HANDLER."""
    try:
        modname, fname = spec.rsplit(".", 1)
    except ValueError as exc:
        return None, _error(exc, "Runtime.MalformedHandlerName", f"Bad handler '{spec}': {exc}", stack=False)
    modname = modname.replace("/", ".")
    try:
        module = importlib.import_module(modname)
    except SyntaxError as exc:
        return None, _error(exc, "Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {exc}")
    except ImportError as exc:
        return None, _error(
            exc, "Runtime.ImportModuleError", f"Unable to import module '{modname}': {exc}", stack=False
        )
    except Exception as exc:  # an exception at module level (init code)
        return None, _error(exc)
    fn = getattr(module, fname, None)
    if fn is None:
        return None, {
            "errorMessage": f"Handler '{fname}' missing on module '{modname}'",
            "errorType": "Runtime.HandlerNotFound",
            "stackTrace": [],
        }
    return fn, None


def _enter_environment(init: dict) -> None:
    """Become the function's execution environment: its variables, its package first on sys.path."""
    os.environ.clear()
    os.environ.update(init["env"])
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    sys.path[:] = [task_root] + [p for p in sys.path if p and os.path.abspath(p) != os.path.dirname(__file__)]
    os.chdir(task_root)
    time.tzset()


def _install_logging() -> _RequestId:
    """The root logger as the Python runtime sets it up; returns the request-id filter."""
    rid_filter = _RequestId()
    handler = _LambdaLogHandler(sys.stdout)
    fmt = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    fmt.converter = time.gmtime
    handler.setFormatter(fmt)
    handler.addFilter(rid_filter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)  # as on AWS: a handler sets INFO itself if it wants it
    return rid_filter


def _end_of_log(marker: str) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    sys.stdout.write(MARKER + marker + "\n")
    sys.stdout.flush()


def _invoke(fn: Handler, req: dict[str, Any]) -> dict[str, Any]:
    """One invocation: the handler's result as JSON text, or Lambda's error document."""
    rid = req["id"]
    out: dict[str, Any] = {"id": rid}
    try:
        result = fn(req["event"], Context(rid, req["deadline_ms"], req["arn"]))
        try:
            out["result"] = json.dumps(result)
        except (TypeError, ValueError) as exc:
            out["error"] = {
                "errorMessage": f"Unable to marshal response: {exc}",
                "errorType": "Runtime.MarshalError",
                "stackTrace": [],
            }
    except Exception as exc:
        out["error"] = _error(exc)
        _log_error(out["error"], exc)
    if "error" in out:
        out["error"]["requestId"] = rid
    return out


def main() -> None:
    # The pool starts this file through localcloud/childns.py: every process a handler starts
    # lives in a PID namespace that ends with this worker.
    sock = socket.socket(fileno=int(sys.argv[1]))
    rfile = sock.makefile("r", encoding="utf-8")
    wfile = sock.makefile("w", encoding="utf-8")

    def send(doc: dict) -> None:
        wfile.write(json.dumps(doc) + "\n")
        wfile.flush()

    # A standby environment: the interpreter is up and the SDK imported before any function
    # needs it (Lambda keeps sandboxes ready too); the function arrives with the init message.
    try:
        import boto3  # noqa: F401  (the Python runtimes ship boto3)
    except ImportError:
        pass
    first = rfile.readline()
    if not first:
        return  # the daemon let this standby go
    _enter_environment(json.loads(first))
    rid_filter = _install_logging()

    t0 = time.perf_counter()
    fn, init_error = _load_handler(os.environ["_HANDLER"])
    if init_error:
        _log_error(init_error, None)
    _end_of_log("init")  # the init output is complete
    init_ms = (time.perf_counter() - t0) * 1000
    if init_error:
        send({"init": "error", "error": init_error, "init_ms": init_ms})
        return
    assert fn is not None  # _load_handler gives a handler or an error
    send({"init": "ok", "init_ms": init_ms})

    for line in rfile:
        req = json.loads(line)
        rid_filter.request_id = req["id"]
        out = _invoke(fn, req)
        out["max_rss_mb"] = _peak_rss_mb()
        _end_of_log(req["id"])
        send(out)


if __name__ == "__main__":
    main()
