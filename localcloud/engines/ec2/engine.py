"""EC2 engine: every running instance gets a real SSH server on 127.0.0.1 (introduced in 01).

* **Discovery** — the instance carries the tag ``localcloud:ssh-endpoint`` = ``127.0.0.1:PORT``
  (real instances are reached at their public DNS name on port 22 instead).
* **Login** — only the AMI's default user (``ec2-user`` for Amazon Linux, ``ubuntu`` for
  Ubuntu, ...) with the launch key pair's private key; the public key is captured at launch,
  as cloud-init writes it to ``authorized_keys`` on AWS, so deleting the key pair later does
  not lock anyone out (nor in).
* **Security groups** — checked on every new connection against moto's current rules with
  the one policy every gate uses (``localcloud.security_groups``): an ingress rule must allow
  tcp/22 (or all traffic) from the learner's address. Otherwise the gate drops the client's
  SYN, as a security group does: the client's *connect* times out.
* **Lifecycle** — stop/terminate close the endpoint and remove the tag; start opens it again
  on a new port (a new public address, as on AWS). Terminate deletes the instance's folder.
* **The instance** — a sandbox (``localcloud.sandbox``): its own disk
  (``<state>/<instance-id>/disk``, its ``/``: kept across stop/start, deleted by terminate),
  process tree and network, the AMI's user, ``/etc/os-release`` and hostname.  Stopping the
  instance kills everything it runs (``nohup ... &`` too).  Without a sandbox (no bubblewrap
  or user namespaces) commands are refused, never run on the learner's machine.

The EC2 API answers themselves follow AWS where moto does not: key pairs (``keypairs.py``) and
Elastic IP addresses (``addresses.py``), mixed in below.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable

import asyncssh

import labcontract

from ... import sandbox, seam, security_groups
from ...calls import Call, Response
from ...seam.models import Ec2Image
from .. import Engine
from .addresses import ElasticIps
from .keypairs import KeyPairs
from .persist import Ec2Persistence, LaunchInfo
from .sshserver import Endpoint, SshHub

log = logging.getLogger("localcloud.ec2_ssh")

TAG = labcontract.SSH_ENDPOINT_TAG  # published once: helpers read the same name
SSH_PORT = 22  # the port the security-group rules are about

# (words in the AMI's name or description, default user); first match wins.
DEFAULT_USERS = (
    (("ubuntu",), "ubuntu"),
    (("debian",), "admin"),
    (("centos",), "centos"),
    (("fedora",), "fedora"),
    (("bitnami",), "bitnami"),
)
FALLBACK_USER = "ec2-user"  # Amazon Linux, RHEL, SUSE and most others


def default_user(image: Ec2Image | None) -> str | None:
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


class Ec2Ssh(Ec2Persistence, KeyPairs, ElasticIps, Engine):
    name = "ec2_ssh"
    order = 40
    services = ("ec2",)

    def start(self) -> None:
        self.hub = SshHub(
            spawn=lambda argv, name, **kw: self.ctx.processes.spawn(argv, name=name, owner=self.name, **kw),
            terminate=self.ctx.processes.terminate,
        )
        self._lock = threading.Lock()
        # instance id -> user, key, host key (kept across stop/start); None: no SSH (Windows AMI)
        self._launched: dict[str, LaunchInfo | None] = {}
        self._last_port: dict[str, int] = {}

    # ---- hooks: endpoints follow the instances' lifecycle -----------------------------------------

    def _after_RunInstances(self, call: Call, response: Response) -> None:
        self._each(call, seam.run_instances_ids(response.body), lambda iid: self._open(iid, new=True))

    def _after_StartInstances(self, call: Call, response: Response) -> None:
        self._each(call, call.param_list("InstanceId"), lambda iid: self._open(iid, new=False))

    def _after_StopInstances(self, call: Call, response: Response) -> None:
        self._each(call, call.param_list("InstanceId"), lambda iid: self._close(iid, forget=False))

    def _after_TerminateInstances(self, call: Call, response: Response) -> None:
        self._each(call, call.param_list("InstanceId"), lambda iid: self._close(iid, forget=True))

    @staticmethod
    def _each(call: Call, ids: list[str], work: Callable[[str], None]) -> None:
        for iid in ids:
            try:
                work(iid)
            except Exception:
                # The API call itself succeeded; a missing endpoint shows up as "no tag".
                log.exception("ssh endpoint for %s (%s) failed", iid, call.operation)

    # ---- endpoints ------------------------------------------------------------------------------

    @staticmethod
    def _capture_launch(iid: str) -> LaunchInfo | None:
        inst = seam.ec2_instance(iid)
        user = default_user(seam.ec2_image(inst.image_id))
        if user is None:
            return None
        key = None
        if inst.key_name:
            try:
                key = asyncssh.import_public_key(seam.ec2_key_material(inst.key_name))
            except seam.NotFound:
                pass  # the key pair was deleted before launch finished: nobody can log in
        image = seam.ec2_image(inst.image_id)
        ip = inst.private_ip_address or "172.31.0.10"
        return {
            "user": user,
            "key": key,
            "host_key": asyncssh.generate_private_key("ssh-ed25519"),
            "image_name": getattr(image, "name", "") or "",
            "look": sandbox.ami_look(getattr(image, "name", "") or "", user),
            "hostname": f"ip-{ip.replace('.', '-')}.ec2.internal",  # EC2's private DNS name in us-east-1
        }

    def _sandbox(self, iid: str, info: LaunchInfo) -> tuple[sandbox.InstanceSandbox | None, str]:
        """The instance's sandbox, started (or None and why not)."""
        why = sandbox.unavailable()
        if why:
            log.warning("instance %s cannot run commands: %s", iid, why)
            return None, (
                f"this instance cannot run commands on this machine: {why}. localcloud does not run "
                f"an instance's commands outside a sandbox (they would run on your own machine)."
            )
        box = sandbox.InstanceSandbox(
            self.ctx.state_dir / iid,
            info["user"],
            info["look"],
            info["hostname"],
            spawn=lambda argv, name, **kw: self.ctx.processes.spawn(argv, name=name, owner=self.name, **kw),
            terminate=self.ctx.processes.terminate,
        )
        box.start()
        return box, ""

    def _open(self, iid: str, new: bool, port: int = 0) -> None:
        with self._lock:
            if iid in self.hub.endpoints:
                return
            info = self._launched.get(iid)
            if info is None and new:
                info = self._launched[iid] = self._capture_launch(iid)
            if not info:
                return  # Windows AMI, or an instance launched before this daemon started
            if seam.ec2_instance(iid).state not in ("running", "pending"):
                return
            box, refusal = self._sandbox(iid, info)
            ep = Endpoint(
                iid,
                info["user"],
                info["key"],
                info["host_key"],
                box,
                allowed=lambda: self.allows_ssh(iid),
                refusal=refusal,
            )
            try:
                port = self.hub.open(ep, avoid_port=self._last_port.get(iid, 0), port=port)
            except Exception:
                if box is not None:
                    box.stop()
                raise
            self._last_port[iid] = port
            seam.ec2_set_tag(iid, TAG, f"127.0.0.1:{port}")

    def _close(self, iid: str, forget: bool) -> None:
        with self._lock:
            ep = self.hub.endpoints.get(iid)
            self.hub.close(iid)
            if ep is not None and ep.sandbox is not None:
                ep.sandbox.stop()  # everything the instance runs dies with it
            seam.ec2_remove_tag(iid, TAG)
            if forget:
                self._launched.pop(iid, None)
                self._last_port.pop(iid, None)
                shutil.rmtree(self.ctx.state_dir / iid, ignore_errors=True)

    def allows_ssh(self, iid: str) -> bool:
        """Security-group check for one new connection from the learner (moto's rules, now)."""
        try:
            inst = seam.ec2_instance(iid)
        except seam.NotFound:
            return False  # gone (localcloud reset): nothing answers
        if inst.state != "running":
            return False
        rules = seam.ec2_instance_ingress_rules(inst)
        return security_groups.allows(rules, self.ctx.learner_ip, "tcp", SSH_PORT)

    # ---- engine lifecycle ---------------------------------------------------------------------

    def _close_everything(self, forget: bool = True) -> None:
        with self._lock:
            boxes = [ep.sandbox for ep in self.hub.endpoints.values() if ep.sandbox is not None]
            self.hub.close_all()
            for box in boxes:
                box.stop()
            self._launched.clear()
            self._last_port.clear()
        if not forget:
            return  # stop: the homes stay for the next start (persistence)
        for d in self.ctx.state_dir.glob("i-*"):
            shutil.rmtree(d, ignore_errors=True)

    def reset(self) -> None:
        self._close_everything()
        super().reset()

    def stop(self) -> None:
        self._close_everything(forget=False)
        super().stop()

    def status(self) -> dict:
        return {
            "ssh_endpoints": {iid: f"127.0.0.1:{ep.port}" for iid, ep in sorted(self.hub.endpoints.items())},
            "sandbox": sandbox.unavailable() or "bubblewrap",
        }
