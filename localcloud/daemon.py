"""The localcloud daemon (``python -m localcloud serve``): moto's server + engines on loopback."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import labcontract

from . import config, persistence
from .config import daemon_file
from .engines import EngineContext, load_engines
from .processes import Supervisor

log = logging.getLogger("localcloud")


def mariadb_server() -> str | None:
    """Path of a MariaDB/MySQL server binary, for the RDS engine (None when missing)."""
    for name in ("mariadbd", "mysqld"):
        found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
        if found:
            return found
    return None


def snapshot_file() -> Path:
    return config.state_dir() / persistence.FILE_NAME


class Daemon:
    def __init__(self, port: int, fresh: bool = False) -> None:
        self.port = port
        self.fresh = fresh  # `localcloud start --fresh`: ignore (and delete) the saved state
        self.started = time.time()
        self.lock = threading.Lock()
        self.guard = persistence.CallGuard()
        self.report = persistence.RestoreReport()

    def run(self) -> None:
        # boto3 inside engines, Lambda workers and Glue jobs talk to us, with this install's key
        labcontract.neutralise(os.environ, config.client_env(self.port))
        config.write_client_files(self.port)

        from werkzeug.serving import make_server

        from . import seam  # the only way to moto: imported once the daemon really starts
        from .gateway import Gateway

        self.processes = Supervisor()
        self.engines = load_engines(self._context)
        self.snapshotter = persistence.Snapshotter(
            snapshot_file(), self._take_snapshot, busy=lambda: any(e.busy() for e in self.engines)
        )
        self.gateway = Gateway(
            seam.wsgi_app(),
            self.engines,
            self.control,
            config.install_credentials(),
            port=self.port,
            guard=self.guard,
            touched=self.snapshotter.touched,
        )
        # Bind before starting engines: a busy port fails fast with nothing to clean up.
        handler = seam.request_handler()
        server = make_server(config.HOST, self.port, self.gateway, threaded=True, request_handler=handler)
        seam.seed(config.SEED)
        saved = self._restore_moto()
        for eng in self.engines:
            eng.start()
        self._restore_engines(saved)
        self.snapshotter.start()

        def shutdown(signum: int, frame: FrameType | None) -> None:
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
        daemon_file().write_text(
            json.dumps({"pid": os.getpid(), "pgid": os.getpgid(0), "port": self.port, "started": self.started})
        )
        log.info("localcloud listening on %s", config.endpoint(self.port))
        try:
            server.serve_forever()
        finally:
            # The last save: no request comes in any more, the engines still run (they describe
            # their servers as they are), then they stop and keep their data for the next start.
            self.snapshotter.stop()
            self.snapshotter.save_now()
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

    # ---- persistence ----------------------------------------------------------------------------

    def _restore_moto(self) -> persistence.Snapshot | None:
        """moto's saved state back in place (before any engine starts); None for a fresh start."""
        from . import seam

        path = snapshot_file()
        if self.fresh:
            path.unlink(missing_ok=True)
            return None
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        t0 = time.perf_counter()
        try:
            saved = persistence.decode(data)
            loaded = seam.state.load(saved.moto)
        except Exception as exc:  # never a crash: a clear reason, the file kept aside, a fresh start
            reason = str(exc) if isinstance(exc, persistence.UnusableSnapshot) else f"{type(exc).__name__}: {exc}"
            aside = path.with_name(path.name + ".unusable")
            os.replace(path, aside)
            self.report.fresh_reason = (
                f"the saved state in {path} could not be used: {reason}. It was moved to {aside}."
            )
            log.warning("starting empty: %s", self.report.fresh_reason)
            seam.reset()
            seam.seed(config.SEED)
            return None
        self.report.state = "restored"
        self.report.saved_at = saved.header.get("saved_at")
        self.report.services = loaded.services
        self.report.restore_s = round(time.perf_counter() - t0, 3)
        log.info("restored moto's state (%d backends, %d bytes)", loaded.backends, len(data))
        return saved

    def _restore_engines(self, saved: persistence.Snapshot | None) -> None:
        t0 = time.perf_counter()
        for eng in self.engines:
            try:
                eng.restore(saved.engines.get(eng.name, {}) if saved else None, self.report)
            except Exception as exc:
                log.exception("engine %s could not restore its state", eng.name)
                self.report.note(f"engine {eng.name} could not restore its state: {exc}")
        if saved is not None:
            self.report.restore_s = round((self.report.restore_s or 0) + time.perf_counter() - t0, 3)

    def _take_snapshot(self) -> bytes:
        from . import seam

        with self.guard.exclusive():  # no moto call half-way through what is saved
            engines = {e.name: e.snapshot() for e in self.engines}
            dumped = seam.state.dump()
        if dumped.left_out:
            log.warning("snapshot left out %s", dumped.left_out)
        return persistence.encode(engines, dumped.data)

    def reset(self) -> None:
        from . import seam

        with self.lock, self.snapshotter.paused():
            for eng in self.engines:
                eng.reset()
            seam.reset()
            seam.seed(config.SEED)
            snapshot_file().unlink(missing_ok=True)
            self.report = persistence.RestoreReport()

    def status(self) -> dict:
        return {
            "endpoint": config.endpoint(self.port),
            "pid": os.getpid(),
            "uptime_s": round(time.time() - self.started, 1),
            "region": config.REGION,
            "account_id": config.ACCOUNT_ID,
            "learner_ip": config.LEARNER_IP,
            "state_dir": str(config.state_dir()),
            "ssh_endpoint_tag": labcontract.SSH_ENDPOINT_TAG,
            "mariadb_server": mariadb_server(),
            "engines": {e.name: e.status() for e in self.engines},
            "processes": [{"name": c.name, "pid": c.pid, "engine": c.owner} for c in self.processes.children()],
            "client_env": config.client_env(self.port),
            "control_token": config.install_credentials().control_token,  # only who sent it sees it
            labcontract.PERSISTENCE_STATUS_KEY: {**self.report.as_dict(), "snapshots": self.snapshotter.status()},
        }

    def control(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if path == "/_localcloud/status":
            return 200, self.status()
        if path == "/_localcloud/reset" and method == "POST":
            self.reset()
            return 200, {"reset": True}
        if path == labcontract.RESTORE_REPORT_SEEN_PATH and method == "POST":
            self.report.seen = True
            return 200, {"seen": True}
        return 404, {"error": f"no control endpoint {method} {path}"}


def serve(port: int, fresh: bool = False) -> None:
    os.umask(0o077)  # everything localcloud and its processes write is the learner's alone
    labcontract.private_dir(config.state_dir())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    Daemon(port, fresh=fresh).run()
