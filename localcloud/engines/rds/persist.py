"""The RDS engine across ``localcloud stop``/``start``, a crash or a reboot (``RdsPersistence``).

A DB instance's data is its MariaDB data folder (``instances/<id>/data``), kept on disk: ``stop``
shuts each server down cleanly (SIGTERM: InnoDB flushes); after a crash InnoDB recovers it at the
next start, as it would after a power cut.  What only the engine knew goes into the snapshot:
the master user and password, the internal ``rdsadmin`` password, the replication password,
the server's internal port and the gate's port (the endpoint learners connect to stays the same
when that port is still free), and which instance a replica follows.

On restore every instance moto still has comes back as it was: a stopped one stays stopped
(its server is not started); the others have their servers started again (in parallel) and are
``available`` again before the daemon answers; replicas reconnect to their source (GTID
positions are in the data folders) and follow it on its port.  An instance whose server cannot
start again, or that was still being created when the saved state was taken, is removed from
moto and reported as lost, so ``lab.require(...)`` can build it again.  Data folders nobody
describes any more (deleted after the last save) are removed.
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ... import seam
from ...tcpgate import Gate
from .mariadb import Server

if TYPE_CHECKING:
    from ...persistence import RestoreReport
    from ...seam.models import RdsInstance
    from .. import EngineContext
    from .engine import Instance

log = logging.getLogger("localcloud.rds")

RESTORE_TIMEOUT_S = 120  # per server: InnoDB crash recovery of a lab-sized database takes seconds
NOT_RUNNING = ("stopped", "stopping")  # the instance was stopped: its server stays down


class RdsPersistence:
    """Mixed into the RDS engine: its ``snapshot()`` and ``restore()`` (see the module docstring)."""

    if TYPE_CHECKING:  # what the engine (RdsMariaDB) provides to this mixin
        ctx: EngineContext
        name: str
        instances: dict[str, Instance]
        _lock: threading.Lock

        @property
        def _instances_dir(self) -> Path: ...
        def _wipe(self, keep_template: bool = False) -> None: ...
        @staticmethod
        def _db(ident: str) -> RdsInstance | None: ...
        def _set_status(self, ident: str, status: str) -> None: ...
        def _replicas_of(self, ident: str) -> list[Instance]: ...
        def _server_options(self, ident: str) -> dict[str, str]: ...
        def _allowed(self, ident: str) -> bool: ...
        def _backend(self, ident: str) -> str | tuple[str, int] | None: ...

    def snapshot(self) -> dict[str, Any]:
        return {
            "instances": {
                ident: {
                    "user": inst.user,
                    "password": inst.password,
                    "repl_password": inst.repl_password,
                    "admin_password": inst.server.admin_password,
                    "port": inst.server.port,
                    "gate_port": inst.gate.port,
                    "source": inst.source,
                }
                for ident, inst in list(self.instances.items())
            }
        }

    def restore(self, saved: dict[str, Any] | None, report: RestoreReport) -> None:
        if saved is None:
            self._wipe()  # a fresh start: no data folder belongs to anything
            return
        records = saved.get("instances", {})
        known = {db.db_instance_identifier.lower(): db for db in seam.db_instances()}
        for home in list(self._instances_dir.glob("*")) if self._instances_dir.is_dir() else []:
            if home.name not in records or home.name not in known:
                shutil.rmtree(home, ignore_errors=True)  # deleted after the last save
        work = []
        for ident, rec in records.items():
            db = known.get(ident)
            if db is None:
                continue
            inst = self._restored_instance(ident, rec)
            with self._lock:
                self.instances[ident] = inst
            if db.status in NOT_RUNNING:
                db.status = "stopped"
            elif db.status == "creating":
                self._lose(report, ident, "it was still being created when localcloud stopped, so it has no data")
            elif not (inst.server.datadir / "mysql").is_dir():
                self._lose(report, ident, f"its data folder {inst.server.datadir} is missing")
            else:
                work.append(inst)
        threads = [threading.Thread(target=self._restart, args=(inst, report), daemon=True) for inst in work]
        for t in threads:
            t.start()
        for t in threads:
            t.join(RESTORE_TIMEOUT_S)
        for inst in work:  # replicas follow their source wherever it listens now
            src = self.instances.get(inst.source or "")
            if src is not None and src.server.running and inst.server.running:
                try:
                    from . import replication

                    replication.repoint(inst.server, src.server.port)
                except Exception:
                    log.exception("could not repoint replica %s", inst.ident)

    def _restored_instance(self, ident: str, rec: dict[str, Any]) -> Instance:
        from .engine import Instance

        server = Server(self._instances_dir / ident, self.ctx.processes, self.name, ident)
        server.port = int(rec.get("port") or 0)  # kept when still free: replicas point at it
        server.admin_password = rec["admin_password"]
        gate = Gate(
            ident,
            allow=lambda: self._allowed(ident),
            backend=lambda: self._backend(ident),
            port=int(rec.get("gate_port") or 0),
        )
        return Instance(
            ident,
            server,
            gate,
            rec["user"],
            rec["password"],
            source=rec.get("source"),
            repl_password=rec["repl_password"],
        )

    def _restart(self, inst: Instance, report: RestoreReport) -> None:
        with inst.lock:
            try:
                # innodb=FORCE: a server whose tables cannot be opened must fail, not start empty
                inst.server.start(options={**self._server_options(inst.ident), "innodb": "FORCE"})
            except Exception as exc:
                log.exception("rds instance %s could not be restored", inst.ident)
                self._lose(report, inst.ident, f"its MariaDB server did not start again from its data ({exc})")
                return
        self._set_status(inst.ident, "available")

    def _lose(self, report: RestoreReport, ident: str, why: str) -> None:
        """Remove an instance that cannot come back, from this engine and from moto, and say so."""
        db = self._db(ident)
        tags = seam.db_tags(db) if db is not None else {}
        with self._lock:
            inst = self.instances.pop(ident, None)
        if inst is not None:
            inst.gate.close()
            inst.server.remove()
        for replica in self._replicas_of(ident):
            replica.source = None  # RDS promotes the replicas of a deleted source
        seam.db_forget(ident)
        report.lose("rds", "db instance", ident, f"its data could not be restored: {why}", tags)
