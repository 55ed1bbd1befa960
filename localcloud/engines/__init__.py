"""The extension mechanism: one package per AWS service, laid out the way moto lays out its own.

Every subpackage of ``localcloud.engines`` is an engine package and exports ``ENGINE``, a
subclass of :class:`Engine` (its ``__init__.py`` says ``from .engine import X as ENGINE``).
The daemon instantiates each one (dropping a package in is all it takes), sorted by
``Engine.order``; a package without ``ENGINE`` is an error, not a silent skip.  Modules inside
a package are that engine's own business (``athena/sql.py``, ``rds/mariadb.py``, ...).

The gateway resolves every call's AWS operation once (``Call.operation``, from botocore's
service model) and calls the hooks of the engines that name the call's service:

* ``before(call)`` runs before moto; returning a :class:`~localcloud.calls.Response` answers the
  call instead of moto (an AWS-like rejection, or a real result).  By default it calls the
  engine's method ``_api_<Operation>(call)`` when there is one (``_api_CreateDBInstance``).
* ``after(call, response)`` runs after moto answered; it may start real things (a server for a
  new instance) or return a replacement response.  By default it calls
  ``_after_<Operation>(call, response)`` for a successful (2xx) answer.

State that survives ``localcloud stop``, a crash or a reboot (:mod:`localcloud.persistence`):
moto's state is saved by the daemon; an engine adds its own small record with ``snapshot()``
(JSON: passwords, ports, keys) and brings its real things back in ``restore(saved, report)``,
called once after ``start()`` with moto's state already restored (``saved`` is None on a fresh
start: forget whatever data a previous run left in the state folder).  ``stop()`` keeps the
engine's data on disk; only ``reset()`` forgets it.

Engines reach moto only through :mod:`localcloud.seam` (no engine imports moto), start
processes only through :attr:`EngineContext.processes` (so ``localcloud stop`` ends them), and
enforce security groups only through :mod:`localcloud.security_groups`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import config
from ..calls import Call, Response
from ..processes import Supervisor

if TYPE_CHECKING:
    from ..persistence import RestoreReport


def engine_packages() -> list[str]:
    """Every engine package (each subpackage of this one), by module name."""
    return [f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__) if m.ispkg]


@dataclass
class EngineContext:
    state_dir: Path  # this engine's own folder under .lab/localcloud/engines/
    processes: Supervisor
    port: int
    account_id: str = config.ACCOUNT_ID
    learner_ip: str = config.LEARNER_IP
    region: str = config.REGION


class Engine:
    name: str = "engine"
    order: int = 50  # hooks run in this order (lower first)
    services: tuple[str, ...] = ()  # signing names this engine hooks; "*" for all

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def start(self) -> None:
        """Called once when the daemon starts."""

    def before(self, call: Call) -> Response | None:
        handler = getattr(self, f"_api_{call.operation}", None) if call.operation else None
        return handler(call) if handler else None

    def after(self, call: Call, response: Response) -> Response | None:
        if response.status >= 300 or not call.operation:
            return None
        handler = getattr(self, f"_after_{call.operation}", None)
        return handler(call, response) if handler else None

    def snapshot(self) -> dict:
        """This engine's own record for the saved state (JSON-able; saved with moto's state, in the
        same file).  Called often (after changes) on the snapshot thread: keep it cheap."""
        return {}

    def restore(self, saved: dict[str, Any] | None, report: RestoreReport) -> None:
        """Bring back what ``saved`` (this engine's ``snapshot()``) describes, after ``start()``;
        moto's state is already restored.  ``None``: a fresh start, forget leftover data.  What
        cannot come back is removed from moto and told to ``report.lose(...)``
        (:class:`localcloud.persistence.RestoreReport`)."""

    def reset(self) -> None:
        """Forget all state (``localcloud reset``): stop what this engine started."""
        self.ctx.processes.stop_all(owner=self.name)

    def stop(self) -> None:
        """The daemon stops: end this engine's processes, keep its data (the next start restores it)."""
        self.ctx.processes.stop_all(owner=self.name)

    def status(self) -> dict:
        return {}

    def busy(self) -> bool:
        """True while work runs that a state snapshot would slow down (an Athena query): the
        snapshot waits for it, at most ``persistence.BUSY_MAX_DELAY_S``.  Keep it cheap."""
        return False


class EngineMissing(ImportError):
    """An engine package that does not export ``ENGINE``."""


def load_engines(ctx_factory: Callable[[str], EngineContext], packages: list[str] | None = None) -> list[Engine]:
    classes = []
    for name in packages if packages is not None else engine_packages():
        cls = getattr(importlib.import_module(name), "ENGINE", None)
        if not (isinstance(cls, type) and issubclass(cls, Engine)):
            raise EngineMissing(f"engine package {name} must export ENGINE, an Engine subclass (see its __init__.py)")
        classes.append(cls)
    classes.sort(key=lambda c: (c.order, c.name))
    return [cls(ctx_factory(cls.name)) for cls in classes]
