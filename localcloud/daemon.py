"""The localcloud daemon (``python -m localcloud serve``): moto's server + engines on loopback."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import threading
import time

from . import config
from .engines import EngineContext, load_engines
from .processes import Supervisor

log = logging.getLogger("localcloud")


def daemon_file():
    return config.state_dir() / "daemon.json"


def mariadb_server() -> str | None:
    """Path of a MariaDB/MySQL server binary, for the RDS engine (None when missing)."""
    for name in ("mariadbd", "mysqld"):
        found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
        if found:
            return found
    return None


def _request_id(headerdict: dict | None = None) -> str:
    import uuid

    rid = uuid.uuid4().hex + uuid.uuid4().hex[:20]  # 52 characters, as moto's
    if isinstance(headerdict, dict):
        headerdict["x-amzn-requestid"] = rid
    return rid


class Daemon:
    def __init__(self, port: int) -> None:
        self.port = port
        self.started = time.time()
        self.lock = threading.Lock()

    def run(self) -> None:
        os.environ.update(config.MOTO_REALISM)  # read by moto.settings at import time
        os.environ.update(config.client_env(self.port))  # boto3 inside engines talks to us
        for var in config.CLIENT_ENV_UNSET:
            os.environ.pop(var, None)
        config.write_client_files()

        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication, MotoRequestHandler, create_backend_app)
        from werkzeug.serving import make_server

        from .gateway import Gateway

        self.processes = Supervisor()
        self.engines = load_engines(self._context)
        self.gateway = Gateway(DomainDispatcherApplication(create_backend_app), self.engines, self.control)
        # Bind before starting engines: a busy port fails fast with nothing to clean up.
        server = make_server(config.HOST, self.port, self.gateway, threaded=True,
                             request_handler=MotoRequestHandler)
        self._seed()
        for eng in self.engines:
            eng.start()

        def shutdown(signum, frame):
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
        daemon_file().write_text(json.dumps({"pid": os.getpid(), "pgid": os.getpgid(0), "port": self.port,
                                             "started": self.started}))
        log.info("localcloud listening on %s", config.endpoint(self.port))
        try:
            server.serve_forever()
        finally:
            for eng in reversed(self.engines):
                try:
                    eng.stop()
                except Exception:
                    log.exception("engine %s failed to stop", eng.name)
            self.processes.close()
            server.server_close()
            daemon_file().unlink(missing_ok=True)
            log.info("localcloud stopped")

    def _context(self, name: str) -> EngineContext:
        d = config.state_dir() / "engines" / name
        d.mkdir(parents=True, exist_ok=True)
        return EngineContext(state_dir=d, processes=self.processes, port=self.port)

    @staticmethod
    def _seed() -> None:
        import moto.core.responses
        from moto.moto_api._internal import mock_random

        # moto draws every response's request id from the seeded generator too, so a
        # read call would shift every later resource id; request ids get their own source.
        moto.core.responses.gen_amzn_requestid_long = _request_id
        mock_random.seed(config.SEED)

    def reset(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        with self.lock:
            for eng in self.engines:
                eng.reset()
            moto_api_backend.reset()
            self._seed()

    def status(self) -> dict:
        return {
            "endpoint": config.endpoint(self.port),
            "pid": os.getpid(),
            "uptime_s": round(time.time() - self.started, 1),
            "region": config.REGION,
            "account_id": config.ACCOUNT_ID,
            "learner_ip": config.LEARNER_IP,
            "state_dir": str(config.state_dir()),
            "mariadb_server": mariadb_server(),
            "engines": {e.name: e.status() for e in self.engines},
            "processes": [{"name": c.name, "pid": c.pid, "engine": c.owner} for c in self.processes.children()],
            "client_env": config.client_env(self.port),
        }

    def control(self, method: str, path: str, body: bytes):
        if path == "/_localcloud/status":
            return 200, self.status()
        if path == "/_localcloud/reset" and method == "POST":
            self.reset()
            return 200, {"reset": True}
        return 404, {"error": f"no control endpoint {method} {path}"}


def serve(port: int) -> None:
    config.state_dir().mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    Daemon(port).run()
