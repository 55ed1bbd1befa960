"""The runtime: warehouses, the Serverless control plane and the Data API, in one object.

The engine wiring creates one :class:`Runtime` per localcloud daemon and calls it from its
hooks (see README.md, "Interface for the engine wiring").  Creating it starts nothing: the first
warehouse that starts makes the PostgreSQL template (initdb), and each warehouse its own server.
"""

from __future__ import annotations

import threading
from pathlib import Path

from . import catalog, pgserver
from .data_api import DataApi
from .errors import ApiError
from .serverless import Serverless
from .warehouse import Hooks, Warehouse, WarehouseConfig


class Runtime:
    def __init__(
        self,
        state_dir: Path,
        hooks: Hooks | None = None,
        account_id: str = "123456789012",
        region: str = "us-east-1",
        reuse: bool = False,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.hooks = hooks or Hooks()
        self.account_id = account_id
        self.region = region
        self.home = pgserver.Home(self.state_dir, reuse=reuse)  # reuse: a daemon restoring its warehouses
        self._template: Path | None = None
        self._lock = threading.RLock()
        self._template_lock = threading.Lock()  # initdb takes seconds: not under the warehouses' lock
        self.warehouses: dict[str, Warehouse] = {}  # by warehouse id ("ns:<name>" or "cluster:<id>")
        self.serverless = Serverless(self)
        self.data_api = DataApi(self)

    def template(self) -> Path:
        with self._template_lock:
            if self._template is None:
                self._template = pgserver.make_template(self.home, self.hooks.spawn, catalog.BOOTSTRAP_SQL)
            return self._template

    # -- warehouses (any control plane) ------------------------------------------------------------
    def create_warehouse(self, wid: str, config: WarehouseConfig) -> Warehouse:
        with self._lock:
            if wid in self.warehouses:
                raise ApiError("ConflictException", f"warehouse {wid} already exists")
            wh = Warehouse(config, self.home, self.template, self.hooks)  # initdb only when one starts
            self.warehouses[wid] = wh
            return wh

    def warehouse(self, wid: str) -> Warehouse | None:
        return self.warehouses.get(wid)

    def remove_warehouse(self, wid: str) -> None:
        with self._lock:
            wh = self.warehouses.pop(wid, None)
        if wh is not None:
            wh.remove()

    def _forget(self, keep_data: bool = False) -> None:
        self.data_api.close()
        self.serverless.close()
        with self._lock:
            whs = list(self.warehouses.values())
            self.warehouses.clear()
        for wh in whs:
            wh.stop() if keep_data else wh.remove()

    def stop(self) -> None:
        """Stop every server cleanly and keep every folder (``localcloud stop``: the next daemon,
        built with ``reuse=True``, brings the warehouses back)."""
        self._forget(keep_data=True)

    def reset(self) -> Runtime:
        """Forget every namespace, workgroup, warehouse and statement, and stop every server, but
        keep the template (initdb's output is a cache, not state): the next warehouse starts faster.
        The control plane and the Data API are new objects; callbacks set on the old ones must be
        set again."""
        self._forget()
        self.serverless = Serverless(self)
        self.data_api = DataApi(self)
        return self

    def close(self) -> None:
        """Stop every server and remove their folders (state belongs to the daemon's lifetime)."""
        self._forget()
        self.home.remove()
