"""The EC2 engine across ``localcloud stop``/``start``, a crash or a reboot (``Ec2Persistence``).

An instance's files are its disk folder (``<instance-id>/disk``, its sandbox's ``/``), kept on disk.  The
snapshot keeps what only the engine knew: the login user, the launch key's public half (as
cloud-init wrote it into ``authorized_keys``), the host key (so ``known_hosts`` still matches)
and the SSH port.  On restore every *running* instance gets its SSH server back, on the same
port when it is still free (on AWS an instance that kept running keeps its address), and the
endpoint tag is written again; stopped instances stay closed until ``start_instances``.
Folders of instances moto no longer knows are removed.
"""

from __future__ import annotations

import logging
import shutil
import threading
from typing import TYPE_CHECKING, Any, TypedDict

import asyncssh

import labcontract

from ... import sandbox, seam
from .. import Engine

if TYPE_CHECKING:
    from ...persistence import RestoreReport
    from .sshserver import SshHub

log = logging.getLogger("localcloud.ec2_ssh")


class LaunchInfo(TypedDict):
    """What the engine keeps of an instance's launch (across its stop/start and the daemon's)."""

    user: str  # the AMI's login user
    key: asyncssh.SSHKey | None  # the launch key pair's public key (None: launched without one)
    host_key: asyncssh.SSHKey
    image_name: str
    look: sandbox.AmiLook
    hostname: str


class Ec2Persistence(Engine):
    """Mixed into the EC2 engine: its ``snapshot()`` and ``restore()`` (see the module docstring)."""

    # instance id -> (its launch info, its record): keys exported once, the snapshot runs often
    _exported: dict[str, tuple[LaunchInfo, dict[str, Any]]]

    if TYPE_CHECKING:  # what the engine (Ec2Ssh) provides to this mixin
        _lock: threading.Lock
        _launched: dict[str, LaunchInfo | None]  # None: no SSH (a Windows AMI)
        hub: SshHub

        def _open(self, iid: str, new: bool, port: int = 0) -> None: ...

    def snapshot(self) -> dict[str, Any]:
        cache: dict[str, tuple[LaunchInfo, dict[str, Any]]] = self.__dict__.setdefault("_exported", {})
        with self._lock:
            launched = dict(self._launched)
            ports = {iid: ep.port for iid, ep in self.hub.endpoints.items()}
        records: dict[str, dict[str, Any]] = {}
        for iid, info in launched.items():
            if not info:
                continue
            if iid not in cache or cache[iid][0] is not info:
                cache[iid] = (info, _export(info))
            records[iid] = cache[iid][1]
        for gone in set(cache) - set(launched):
            cache.pop(gone, None)
        return {"launched": records, "ports": ports}

    def restore(self, saved: dict[str, Any] | None, report: RestoreReport) -> None:
        states = seam.ec2_instance_states()
        records = (saved or {}).get("launched", {})
        for d in self.ctx.state_dir.glob("i-*"):
            if d.name not in records or d.name not in states:
                shutil.rmtree(d, ignore_errors=True)  # a fresh start, or terminated after the last save
        if saved is None:
            return
        ports = saved.get("ports", {})
        for iid, rec in records.items():
            if iid not in states:
                continue
            with self._lock:
                self._launched[iid] = _import(rec)
            if states[iid] in ("running", "pending"):
                try:
                    self._open(iid, new=False, port=int(ports.get(iid) or 0))
                except Exception as exc:
                    log.exception("ssh endpoint for %s not restored", iid)
                    report.note(f"EC2 instance {iid}: its SSH server did not start again ({exc}); stop and start it")
            else:
                seam.ec2_remove_tag(iid, labcontract.SSH_ENDPOINT_TAG)  # a stopped instance has no endpoint


def _export(info: LaunchInfo) -> dict[str, Any]:
    return {
        "user": info["user"],
        "key": info["key"].export_public_key("openssh").decode() if info["key"] else None,
        "host_key": info["host_key"].export_private_key("openssh").decode(),
        "image_name": info.get("image_name", ""),
        "hostname": info.get("hostname"),
    }


def _import(rec: dict[str, Any]) -> LaunchInfo:
    return {
        "user": rec["user"],
        "key": asyncssh.import_public_key(rec["key"]) if rec.get("key") else None,
        "host_key": asyncssh.import_private_key(rec["host_key"]),
        "image_name": rec.get("image_name", ""),
        "look": sandbox.ami_look(rec.get("image_name", ""), rec["user"]),  # the sandbox looks as before
        "hostname": rec.get("hostname") or "ip-172-31-0-10.ec2.internal",
    }
