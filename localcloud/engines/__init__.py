"""The extension mechanism: each service engine is one module here.

An engine module defines ``ENGINE``, a subclass of :class:`Engine`.  The daemon
instantiates every module of this package that defines one (dropping a module in is
all it takes), sorted by ``Engine.order``, and the gateway calls its hooks for the AWS
services it names:

* ``before(call)`` runs before moto; returning a :class:`~localcloud.calls.Response`
  answers the call instead of moto (an AWS-like rejection, or a real result).
* ``after(call, response)`` runs after moto answered; it may start real things
  (a server for a new instance) or return a replacement response.

Engines reach moto's state in-process through :meth:`EngineContext.backend` and start
processes only through :attr:`EngineContext.processes`, so ``localcloud stop`` ends them.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..calls import Call, Response
from ..processes import Supervisor



def engine_modules() -> list[str]:
    return [f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]


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
    order: int = 50  # hooks run in this order (lower first)
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


def load_engines(ctx_factory, modules: list[str] | None = None) -> list[Engine]:
    classes = []
    for mod_name in modules if modules is not None else engine_modules():
        cls = getattr(importlib.import_module(mod_name), "ENGINE", None)
        if cls is not None:
            classes.append(cls)
    classes.sort(key=lambda c: (c.order, c.name))
    return [cls(ctx_factory(cls.name)) for cls in classes]
