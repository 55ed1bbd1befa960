"""The extension mechanism: each service engine is one module here.

An engine module defines ``ENGINE``, a subclass of :class:`Engine`.  The daemon
instantiates every module listed in :data:`ENGINE_MODULES`, in order, and the gateway
calls its hooks for the AWS services it names:

* ``before(call)`` runs before moto; returning a :class:`~localcloud.calls.Response`
  answers the call instead of moto (an AWS-like rejection, or a real result).
* ``after(call, response)`` runs after moto answered; it may start real things
  (a server for a new instance) or return a replacement response.

Engines reach moto's state in-process through :meth:`EngineContext.backend` and start
processes only through :attr:`EngineContext.processes`, so ``localcloud stop`` ends them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..calls import Call, Response
from ..processes import Supervisor

ENGINE_MODULES: tuple[str, ...] = (
    "localcloud.engines.requestlog",
)


@dataclass
class EngineContext:
    state_dir: Path  # this engine's own folder under .lab/localcloud/engines/
    processes: Supervisor
    port: int
    account_id: str = config.ACCOUNT_ID
    learner_ip: str = config.LEARNER_IP

    @staticmethod
    def backend(service: str, region: str = config.REGION):
        """moto's in-memory backend for ``service`` in this account and region."""
        from moto.backends import get_backend

        return get_backend(service)[config.ACCOUNT_ID][region]


class Engine:
    name: str = "engine"
    services: tuple[str, ...] = ()  # signing names this engine hooks; "*" for all

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def start(self) -> None:
        """Called once when the daemon starts."""

    def before(self, call: Call) -> Response | None:
        return None

    def after(self, call: Call, response: Response) -> Response | None:
        return None

    def reset(self) -> None:
        """Forget all state (``localcloud reset``): stop what this engine started."""
        self.ctx.processes.stop_all(owner=self.name)

    def stop(self) -> None:
        self.ctx.processes.stop_all(owner=self.name)

    def status(self) -> dict:
        return {}


def load_engines(ctx_factory, modules: tuple[str, ...] = ENGINE_MODULES) -> list[Engine]:
    engines = []
    for mod_name in modules:
        cls = importlib.import_module(mod_name).ENGINE
        engines.append(cls(ctx_factory(cls.name)))
    return engines
