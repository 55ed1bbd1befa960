"""EC2 engine: every running instance gets a real SSH server on 127.0.0.1 (introduced in 01).

* **Discovery** — the instance carries the tag ``localcloud:ssh-endpoint`` = ``127.0.0.1:PORT``
  (real instances are reached at their public DNS name on port 22 instead).
* **Login** — only the AMI's default user (``ec2-user`` for Amazon Linux, ``ubuntu`` for
  Ubuntu, ...) with the launch key pair's private key; the public key is captured at launch,
  as cloud-init writes it to ``authorized_keys`` on AWS, so deleting the key pair later does
  not lock anyone out (nor in).
* **Security groups** — checked on every new connection against moto's current rules: an
  ingress rule must allow tcp/22 (or all traffic) from the learner's address. Otherwise the
  connection is held in silence, as a dropped packet: the client times out.
* **Lifecycle** — stop/terminate close the endpoint and remove the tag; start opens it again
  on a new port (a new public address, as on AWS). Terminate deletes the instance's folder.

Commands run for real, as the user running localcloud, in ``<state>/<instance-id>/home/<user>``.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import shutil
import threading

import asyncssh

from . import Engine
from ._sshserver import Endpoint, SshHub

log = logging.getLogger("localcloud.ec2_ssh")

TAG = "localcloud:ssh-endpoint"
SSH_PORT = 22  # the port the security-group rules are about
_INSTANCE_ID = re.compile(r"<instanceId>(i-[0-9a-f]+)</instanceId>")

# (words in the AMI's name or description, default user); first match wins.
DEFAULT_USERS = (
    (("ubuntu",), "ubuntu"),
    (("debian",), "admin"),
    (("centos",), "centos"),
    (("fedora",), "fedora"),
    (("bitnami",), "bitnami"),
)
FALLBACK_USER = "ec2-user"  # Amazon Linux, RHEL, SUSE and most others


def default_user(image) -> str | None:
    """The login name an AMI's images are built with; None for Windows (no SSH server)."""
    if image is None:
        return FALLBACK_USER
    text = f"{getattr(image, 'name', '')} {getattr(image, 'description', '')}".lower()
    if getattr(image, "platform", None) == "windows" or "windows" in text:
        return None
    for words, user in DEFAULT_USERS:
        if any(w in text for w in words):
            return user
    return FALLBACK_USER


def rule_allows(rule, address: ipaddress.IPv4Address, port: int = SSH_PORT) -> bool:
    """Does one moto ingress rule let tcp/``port`` in from ``address``?"""
    proto = str(rule.ip_protocol or "").lower()
    if proto not in ("tcp", "6", "-1", "all"):
        return False
    if proto not in ("-1", "all") and not (int(rule.from_port) <= port <= int(rule.to_port)):
        return False
    cidr = (rule.ip_range or {}).get("CidrIp")
    if not cidr:
        return False  # IPv6 ranges, prefix lists and group references never match the learner
    return address in ipaddress.ip_network(cidr, strict=False)


class Ec2Ssh(Engine):
    name = "ec2_ssh"
    order = 40
    services = ("ec2",)

    def start(self) -> None:
        self.hub = SshHub(
            spawn=lambda argv, name, **kw: self.ctx.processes.spawn(argv, name=name, owner=self.name, **kw),
            terminate=self.ctx.processes.terminate)
        self._lock = threading.Lock()
        self._launched: dict[str, dict] = {}  # instance id -> user, key, host key (kept across stop/start)
        self._last_port: dict[str, int] = {}
        self._learner = ipaddress.ip_address(self.ctx.learner_ip)

    # ---- hooks -------------------------------------------------------------------------------

    def after(self, call, response):
        if response.status != 200 or call.action not in (
                "RunInstances", "StartInstances", "StopInstances", "TerminateInstances"):
            return None
        if call.action == "RunInstances":
            ids = _INSTANCE_ID.findall(response.body.decode("utf-8", "replace"))
        else:
            ids = call.param_list("InstanceId")
        for iid in ids:
            try:
                if call.action in ("RunInstances", "StartInstances"):
                    self._open(iid, new=call.action == "RunInstances")
                else:
                    self._close(iid, forget=call.action == "TerminateInstances")
            except Exception:
                # The API call itself succeeded; a missing endpoint shows up as "no tag".
                log.exception("ssh endpoint for %s (%s) failed", iid, call.action)
        return None

    # ---- endpoints ------------------------------------------------------------------------------

    def _ec2(self):
        return self.ctx.backend("ec2")

    def _capture_launch(self, iid: str) -> dict | None:
        ec2 = self._ec2()
        inst = ec2.get_instance(iid)
        user = default_user(ec2.amis.get(inst.image_id))
        if user is None:
            return None
        kp = ec2.key_pairs.get(inst.key_name) if inst.key_name else None
        key = asyncssh.import_public_key(kp.material_public) if kp is not None else None
        return {"user": user, "key": key, "host_key": asyncssh.generate_private_key("ssh-ed25519")}

    def _open(self, iid: str, new: bool) -> None:
        with self._lock:
            if iid in self.hub.endpoints:
                return
            info = self._launched.get(iid)
            if info is None and new:
                info = self._launched[iid] = self._capture_launch(iid)
            if not info:
                return  # Windows AMI, or an instance launched before this daemon started
            ec2 = self._ec2()
            if ec2.get_instance(iid).state not in ("running", "pending"):
                return
            home = self.ctx.state_dir / iid / "home" / info["user"]
            home.mkdir(parents=True, exist_ok=True)
            ep = Endpoint(iid, info["user"], info["key"], info["host_key"], home,
                          allowed=lambda iid=iid: self.allows_ssh(iid))
            port = self.hub.open(ep, avoid_port=self._last_port.get(iid, 0))
            self._last_port[iid] = port
            ec2.create_tags([iid], {TAG: f"127.0.0.1:{port}"})

    def _close(self, iid: str, forget: bool) -> None:
        with self._lock:
            self.hub.close(iid)
            ec2 = self._ec2()
            try:
                ec2.delete_tags([iid], {TAG: None})
            except Exception:
                pass
            if forget:
                self._launched.pop(iid, None)
                self._last_port.pop(iid, None)
                shutil.rmtree(self.ctx.state_dir / iid, ignore_errors=True)

    def allows_ssh(self, iid: str) -> bool:
        """Security-group check for one new connection from the learner (moto's rules, now)."""
        inst = self._ec2().get_instance(iid)
        if inst.state != "running":
            return False
        groups = {g.id: g for g in inst.security_groups if hasattr(g, "ingress_rules")}
        for nic in inst.nics.values():
            groups.update({g.id: g for g in nic.group_set if hasattr(g, "ingress_rules")})
        return any(rule_allows(r, self._learner) for g in groups.values() for r in list(g.ingress_rules))

    # ---- engine lifecycle ---------------------------------------------------------------------

    def _close_everything(self) -> None:
        with self._lock:
            self.hub.close_all()
            self._launched.clear()
            self._last_port.clear()
        for d in self.ctx.state_dir.glob("i-*"):
            shutil.rmtree(d, ignore_errors=True)

    def reset(self) -> None:
        self._close_everything()
        super().reset()

    def stop(self) -> None:
        self._close_everything()
        super().stop()

    def status(self) -> dict:
        return {"ssh_endpoints": {iid: f"127.0.0.1:{ep.port}" for iid, ep in sorted(self.hub.endpoints.items())}}


ENGINE = Ec2Ssh
