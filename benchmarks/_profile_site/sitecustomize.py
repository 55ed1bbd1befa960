"""Timing probes for benchmarks/profile_series.py; active only when PROFILE_EVENTS names a file.

Loaded by every Python process started under the profiled run (PYTHONPATH): the pytest process,
the Jupyter kernels, the localcloud daemon and what it starts. Each ``time.sleep`` (and, where
botocore is imported, each AWS API call a client makes) is appended to PROFILE_EVENTS as one JSON
line: start and end wall time, the process, and who slept / which operation. Nothing else
changes: the wrapped functions do exactly what they did.
"""

from __future__ import annotations

import os

if os.environ.get("PROFILE_EVENTS"):
    import importlib.abc
    import importlib.machinery
    import json
    import sys
    import threading
    import time

    _path = os.environ["PROFILE_EVENTS"]
    _sleep = time.sleep
    _now = time.time

    def _proc() -> str:
        argv = " ".join(sys.argv[:3])
        if "ipykernel" in argv:
            return "kernel"
        if "localcloud" in argv:
            return "localcloud"
        if "pytest" in argv:
            return "pytest"
        return os.path.basename(sys.argv[0] or "python")

    def _emit(kind: str, t0: float, t1: float, what: str) -> None:
        main = threading.current_thread() is threading.main_thread()
        event = {"k": kind, "t0": t0, "t1": t1, "pid": os.getpid(), "p": _proc(), "w": what, "main": main}
        line = json.dumps(event) + "\n"
        fd = os.open(_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())  # one write per line, O_APPEND: lines never interleave
        finally:
            os.close(fd)

    def _caller() -> str:
        # the first frame outside this file and the stdlib's threading/selectors helpers
        f = sys._getframe(2)
        while f is not None and f.f_code.co_filename.endswith(("threading.py", "selectors.py")):
            f = f.f_back
        if f is None:
            return "?"
        name = f.f_code.co_filename
        for marker in ("/helpers/", "/localcloud/", "/site-packages/", "/lib/python3"):
            if marker in name:
                name = name[name.index(marker) + 1 :]
                break
        else:
            name = os.path.basename(name)
        return f"{name}:{f.f_code.co_name}"

    def sleep(seconds: float) -> None:
        t0 = _now()
        try:
            _sleep(seconds)
        finally:
            if seconds >= 0.005:  # busy-wait ticks below 5 ms are noise
                _emit("sleep", t0, _now(), _caller())

    time.sleep = sleep

    def _patch_endpoint(module) -> None:
        original = module.Endpoint.make_request

        def make_request(self, operation_model, request_dict):
            t0 = _now()
            try:
                return original(self, operation_model, request_dict)
            finally:
                service = operation_model.service_model.service_name
                _emit("api", t0, _now(), f"{service}.{operation_model.name}")

        module.Endpoint.make_request = make_request

    class _AfterImport(importlib.abc.MetaPathFinder):
        """Patch botocore.endpoint when (if) a process imports it; never import it early."""

        def find_spec(self, fullname, path=None, target=None):
            if fullname != "botocore.endpoint":
                return None
            sys.meta_path.remove(self)
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
            if spec is None or spec.loader is None:
                return spec
            exec_module = spec.loader.exec_module

            def exec_and_patch(module):
                exec_module(module)
                _patch_endpoint(module)

            spec.loader.exec_module = exec_and_patch
            return spec

    sys.meta_path.insert(0, _AfterImport())
