"""moto's whole in-memory state as one pickle, and back: what survives ``localcloud stop``/``start``.

Why pickling (what LocalStack does for its moto-based providers) rather than replaying the
recorded API calls: a pickle restores exactly what moto held (ids, timestamps, S3 bodies, SQS
messages, Lambda code, the seeded id generator) in one step whose cost grows with the state,
not with the history; a replay would re-run every engine side effect, depend on every call
drawing the same random numbers again, and grow with every call the learner ever made.

Every region backend of every service moto has instantiated goes into ONE pickle, so objects
shared between services stay shared (an RDS instance's managed secret *is* the Secrets Manager
secret; RDS holds the KMS backend).  What plain pickle cannot take in moto 5.2.x is reduced
here (:class:`_Pickler`), each to what a fresh one would be:

* moto's module-level ``BackendDict`` / ``AccountSpecificBackend`` objects a model refers to are
  saved *by name* and resolve to the live ones (never a stale copy);
* locks and conditions (SQS queues, S3 keys) become new ones; a ``WeakValueDictionary``
  (Lambda's ARN index) is rebuilt from the same objects;
* private/public keys of ``cryptography`` (KMS keys, EC2 key pairs) travel as PEM.

S3 object bodies are read out of moto's spooled temporary files by moto's own
``FakeKey.__getstate__`` and written back by ``__setstate__``.  A backend that still cannot be
pickled is left out (and named in the result) rather than losing every other service.
"""

from __future__ import annotations

import functools
import importlib
import io
import pickle
import sys
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, get_args

import moto
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from moto.core.base_backend import AccountSpecificBackend, BackendDict, BaseBackend
from moto.moto_api._internal import mock_random
from moto.utilities.docker_utilities import DockerModel

from . import ec2_defaults

MOTO_VERSION = moto.__version__
_PICKLE_PROTOCOL = 5
_LOCK = type(threading.Lock())
_RLOCK = type(threading.RLock())
_RETRIES = 5  # a request thread may grow a dict while it is pickled: try again

# moto's LambdaFunction.__getstate__ drops its Docker client and nothing sets it again: a restored
# function would fail on first use.  A class-level None is what __init__ would have set.
DockerModel._DockerModel__docker_client = None  # type: ignore[attr-defined]


@dataclass
class Dumped:
    data: bytes
    backends: int  # region backends saved
    left_out: dict[str, str] = field(default_factory=dict)  # service -> why it could not be saved


@dataclass
class Loaded:
    backends: int
    services: list[str]


# ---- where moto's BackendDicts live (saved by name, found again by name) --------------------


def live_backend_dicts() -> list[BackendDict[BaseBackend]]:
    """Every BackendDict moto has made (a copy of moto's class-wide registry)."""
    # moto declares the registry on its generic class; moto reads it the same way (and ignores misc)
    return list(BackendDict._instances)  # type: ignore[misc]


def every_backend_dict() -> list[BackendDict[BaseBackend]]:
    """Every BackendDict of a loaded moto module, whether moto's registry lists it or not.

    moto's own reset (``BackendDict.reset``: ``mock_aws`` on start and stop) re-runs each backend's
    ``__init__``, clears its dict, and in the end forgets its registry.  An ``__init__`` that reaches
    another service's backend (Redshift's and Route 53 Resolver's reach EC2's) makes that backend
    again, in a dict already cleared: it stays, holding ids drawn then, in a dict no longer listed.
    """
    found = {id(bd): bd for bd in live_backend_dicts()}
    for name, module in list(sys.modules.items()):
        if module is not None and (name == "moto" or name.startswith("moto.")):
            for value in list(vars(module).values()):
                if isinstance(value, BackendDict):
                    found.setdefault(id(value), value)
    return list(found.values())


def _locate(bd: BackendDict[BaseBackend]) -> tuple[str, str]:
    """(module, attribute) of a live BackendDict: its backend class's module, or a package above it."""
    module = bd.backend.__module__
    while module:
        mod = sys.modules.get(module)
        for attr, value in vars(mod or {}).items():
            if value is bd:
                return module, attr
        module = module.rpartition(".")[0]
    raise pickle.PicklingError(f"moto BackendDict for {bd.service_name} is not a module attribute")


def _backend_dict(module: str, attr: str) -> BackendDict[BaseBackend]:
    return getattr(importlib.import_module(module), attr)


def _account_backend(module: str, attr: str, account: str) -> AccountSpecificBackend[BaseBackend]:
    return _backend_dict(module, attr)[account]


def _pem_private(pem: bytes) -> PrivateKeyTypes:
    return serialization.load_pem_private_key(pem, password=None)


def _pem_public(pem: bytes) -> PublicKeyTypes:
    return serialization.load_pem_public_key(pem)


def _empty_defaultdict(cls: type[defaultdict[Any, Any]], factory: Callable[[], Any] | None) -> defaultdict[Any, Any]:
    made = defaultdict.__new__(cls)
    defaultdict.__init__(made, factory)
    return made


class _Pickler(pickle.Pickler):
    def __init__(self, file: IO[bytes], locations: dict[int, tuple[str, str]]) -> None:
        super().__init__(file, protocol=_PICKLE_PROTOCOL)
        self._locations = locations

    def reducer_override(self, obj: Any) -> Any:
        t = type(obj)
        if t is BackendDict:
            return _backend_dict, self._locations.get(id(obj)) or _locate(obj)
        if t is AccountSpecificBackend:
            return _account_backend, (*self._where(obj), obj.account_id)
        if t is _LOCK:
            return threading.Lock, ()
        if t is _RLOCK:
            return threading.RLock, ()
        if t is threading.Condition:
            return threading.Condition, ()
        if t is weakref.WeakValueDictionary:
            return weakref.WeakValueDictionary, (dict(obj.items()),)
        if t is defaultdict and getattr(obj.default_factory, "__name__", "") == "<lambda>":
            # moto's defaultdict(lambda: {}): the same dict with the empty container's type as factory
            probe = obj.default_factory()
            if type(probe) in (dict, list, set) and not probe:
                return defaultdict, (type(probe), dict(obj))
            # defaultdict(lambda: defaultdict(dict)) (SSM's tags): one level deeper, as a partial
            if type(probe) is defaultdict and not probe and probe.default_factory in (dict, list, set):
                return defaultdict, (functools.partial(defaultdict, probe.default_factory), dict(obj))
        if t is not defaultdict and issubclass(t, defaultdict) and t.__init__ is not defaultdict.__init__:
            # a subclass whose __init__ takes other arguments (SSM's ParameterDict(account, region)):
            # made empty without its __init__, then its attributes and items put back
            return _empty_defaultdict, (t, obj.default_factory), vars(obj), None, iter(obj.items())
        if t.__module__.startswith("cryptography."):
            if isinstance(obj, get_args(PrivateKeyTypes)):
                pem = obj.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
                return _pem_private, (pem,)
            if isinstance(obj, get_args(PublicKeyTypes)):
                pem = obj.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
                return _pem_public, (pem,)
        return NotImplemented

    def _where(self, per_account: AccountSpecificBackend[BaseBackend]) -> tuple[str, str]:
        for bd in live_backend_dicts():
            if dict.get(bd, per_account.account_id) is per_account:
                return self._locations.get(id(bd)) or _locate(bd)
        raise pickle.PicklingError(f"no live moto BackendDict holds {per_account.service_name}")


def _live() -> dict[tuple[str, str], BackendDict[BaseBackend]]:
    return {_locate(bd): bd for bd in live_backend_dicts()}


def _tree(live: dict[tuple[str, str], BackendDict[BaseBackend]], skip: set[str]) -> dict[Any, Any]:
    return {
        where: {acct: dict(per.items()) for acct, per in list(bd.items())}
        for where, bd in live.items()
        if bd.service_name not in skip
    }


def _pickle(doc: dict[Any, Any], locations: dict[int, tuple[str, str]]) -> bytes:
    for attempt in range(_RETRIES):
        buf = io.BytesIO()
        try:
            _Pickler(buf, locations).dump(doc)
            return buf.getvalue()
        except RuntimeError as exc:  # "dictionary changed size during iteration"
            if attempt == _RETRIES - 1:
                raise pickle.PicklingError(f"moto's state kept changing while it was saved: {exc}") from exc
    raise AssertionError("unreachable")


def dump() -> Dumped:
    """Every instantiated region backend plus the id generator's state, as bytes."""
    live = _live()
    locations = {id(bd): where for where, bd in live.items()}
    skip: dict[str, str] = {}
    while True:
        tree = _tree(live, set(skip))
        doc = {"rng": mock_random.getstate(), "backends": tree}
        try:
            data = _pickle(doc, locations)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            culprit = _culprit(live, set(skip), locations)
            if culprit is None:
                raise
            skip[culprit] = f"{type(exc).__name__}: {exc}"
            continue
        count = sum(len(per) for regions in tree.values() for per in regions.values())
        return Dumped(data, count, skip)


def _culprit(
    live: dict[tuple[str, str], BackendDict[BaseBackend]], skip: set[str], locations: dict[int, tuple[str, str]]
) -> str | None:
    """The first service whose backends cannot be pickled on their own."""
    for bd in live.values():
        if bd.service_name in skip:
            continue
        try:
            _pickle({acct: dict(per.items()) for acct, per in list(bd.items())}, locations)
        except (pickle.PicklingError, TypeError, AttributeError):
            return bd.service_name
    return None


def load(data: bytes) -> Loaded:
    """Put saved backends in place of the live (fresh) ones and the id generator where it was.

    Raises whatever unpickling raises (a snapshot from another moto: the caller checks the
    version first and starts fresh on any error)."""
    doc = pickle.loads(data)
    services = []
    count = 0
    for (module, attr), tree in doc["backends"].items():
        bd = _backend_dict(module, attr)
        for account, regions in tree.items():
            per = bd[account]  # creates (and registers) the account's backend dict
            for region, backend in regions.items():
                dict.__setitem__(per, region, backend)
                count += 1
                if bd.service_name == "ec2":  # saved before default groups had their inbound rule
                    ec2_defaults.ensure_default_groups(backend)
        services.append(bd.service_name)
    mock_random.setstate(doc["rng"])
    return Loaded(count, sorted(services))
