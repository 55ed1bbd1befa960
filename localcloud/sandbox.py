"""Confinement for code learners run "in the cloud": EC2 instances and Lambda workers (issue 12 §4).

**An EC2 instance is not the learner's machine.**  Each running instance is one bubblewrap
sandbox (Debian's ``bubblewrap``), started when the instance starts and killed when it stops:

* its own *disk*: the instance's folder (``<state>/<instance-id>/disk``) is its ``/``, so its
  home (``/home/ec2-user``), ``/tmp`` and anything else it writes persist across stop/start and
  go with terminate, as an EBS root volume does;
* the host's programs read-only (``/usr``, a few ``/etc`` files programs need), nothing else of
  the host: no learner home, no project folder, no ``.lab/``, no ``/sys``;
* its own PID namespace (it cannot see or signal any process of the host), its own network
  namespace (loopback only: an instance cannot reach localcloud, Jupyter or the internet), its
  own hostname, IPC and user namespaces;
* the AMI's look: ``/etc/os-release`` of Amazon Linux 2023 (Ubuntu, Debian for those AMIs), the
  AMI's user (uid 1000) and home, ``sudo`` that makes the command root *of the sandbox only*
  (a nested user namespace), ``dnf``/``yum``/``apt`` that say the instance is offline, and
  ``shutdown``/``reboot`` that say how to stop an instance.

SSH sessions join the sandbox's namespaces (``nsenter``), so ``nohup ... &`` outlives its SSH
session as on a real instance, and dies with the instance: killing the sandbox's PID 1 makes the
kernel kill everything in its PID namespace.  Every sandbox process has ``--die-with-parent`` /
``PR_SET_PDEATHSIG`` up to the daemon, so a daemon crash (SIGKILL) leaves nothing behind.

When localcloud runs as root (containers, CI), sandboxes never run as root: they are started as
the unprivileged :data:`SANDBOX_UID` (``setpriv``), so even the sandbox's own kernel identity
cannot touch a root-owned file of the host.  Without bubblewrap or user namespaces there is no
sandbox, and localcloud refuses to run an instance's commands rather than run them on the host
(:func:`unavailable` says why).

Databases run in a network of their own (:class:`PrivateNetwork`).  (Lambda workers and Glue job
runners confine the processes learner code starts with a PID namespace only: ``localcloud/childns.py``.)
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import select
import shutil
import subprocess
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .processes import Child, Supervisor

log = logging.getLogger("localcloud.sandbox")

# Supervisor.spawn-like: (argv, name=..., **popen) -> Child; Supervisor.terminate-like: (child, timeout)
Spawn = Callable[..., Child]
Terminate = Callable[[Child, float], None]

BWRAP = shutil.which("bwrap")
NSENTER = shutil.which("nsenter")
SETPRIV = shutil.which("setpriv")
UNSHARE = shutil.which("unshare")
MOUNT = shutil.which("mount")
SFTP_SERVER = next(
    (p for p in ("/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server") if os.access(p, os.X_OK)), None
)
SANDBOX_UID = 65534  # "nobody": who sandboxes run as on the host when localcloud itself is root
INSTANCE_UID = 1000  # the AMI user's uid inside (ec2-user and ubuntu are 1000 on their AMIs)
INSTALL_HINT = "install Debian's bubblewrap (`sudo apt-get install bubblewrap`, which `make setup` does)"

# Host /etc entries programs inside need (read-only): the loader cache, TLS roots, shell start-up files.
HOST_ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "alternatives",
    "ssl",
    "ca-certificates",
    "bash.bashrc",
    "profile",
    "profile.d",
    "inputrc",
    "nsswitch.conf",
    "localtime",
    "terminfo",
    "login.defs",
    "mime.types",
    "magic",
)
MERGED = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")  # /bin -> usr/bin on merged-/usr hosts


def _tool(path: str | None, name: str) -> str:
    """A host tool's path; callers have checked :func:`unavailable` (which names what is missing)."""
    if path is None:
        raise RuntimeError(f"{name} not found: {INSTALL_HINT}")
    return path


def _as_sandbox_user() -> list[str]:
    """The prefix that drops root to SANDBOX_UID (keeping PR_SET_PDEATHSIG); nothing for others."""
    if os.geteuid() != 0:
        return []
    return [
        _tool(SETPRIV, "setpriv"),
        f"--reuid={SANDBOX_UID}",
        f"--regid={SANDBOX_UID}",
        "--clear-groups",
        "--pdeathsig=SIGKILL",
        "--",
    ]


def _system_binds(symlinks: bool = True) -> list[str]:
    """/usr read-only, and /bin, /lib... as the host has them (symlinks into /usr, or read-only
    folders).  ``symlinks=False`` when the instance's disk already carries the symlinks."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in MERGED:
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), f"/{name}"] if symlinks else []
        elif path.is_dir():
            args += ["--ro-bind", str(path), f"/{name}"]
    return args


@cache
def unavailable() -> str | None:
    """Why no sandbox can be made on this machine (None when one can)."""
    missing = [n for n, p in (("bwrap", BWRAP), ("nsenter", NSENTER)) if not p]
    if os.geteuid() == 0:
        missing += [n for n, p in (("setpriv", SETPRIV), ("unshare", UNSHARE), ("mount", MOUNT)) if not p]
    if missing:
        return f"{', '.join(missing)} not found: {INSTALL_HINT}"
    probe = [
        *_as_sandbox_user(),
        _tool(BWRAP, "bwrap"),
        "--unshare-user",
        "--unshare-pid",
        "--unshare-net",
        "--die-with-parent",
        *_system_binds(),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--",
        "/usr/bin/true",
    ]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not run ({exc})"
    if done.returncode != 0:
        why = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        return (
            f"bubblewrap cannot create user namespaces here ({why[0]}); enable unprivileged user "
            f"namespaces (sysctl kernel.unprivileged_userns_clone=1) or run localcloud where they are"
        )
    return None


# ---- what an AMI looks like inside --------------------------------------------------------------


@dataclass(frozen=True)
class AmiLook:
    os_release: str
    extra_files: dict[str, str]  # /etc/<name> -> content
    package_managers: tuple[str, ...]
    groups: str  # the user's extra groups (sudo rights on the AMI)


def _al2023(version: str) -> AmiLook:
    return AmiLook(
        os_release=(
            'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\n'
            f'PLATFORM_ID="platform:al2023"\nPRETTY_NAME="Amazon Linux 2023.{version}"\nANSI_COLOR="0;33"\n'
            'CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2023"\nHOME_URL="https://aws.amazon.com/linux/amazon-linux-2023/"\n'
            'DOCUMENTATION_URL="https://docs.aws.amazon.com/linux/"\nSUPPORT_URL="https://aws.amazon.com/premiumsupport/"\n'
            'BUG_REPORT_URL="https://github.com/amazonlinux/amazon-linux-2023"\nVENDOR_NAME="AWS"\n'
            'VENDOR_URL="https://aws.amazon.com/"\nSUPPORT_END="2029-06-30"\n'
        ),
        extra_files={
            "system-release": f"Amazon Linux release 2023.{version} (Amazon Linux)\n",
            "system-release-cpe": "cpe:2.3:o:amazon:amazon_linux:2023\n",
        },
        package_managers=("dnf", "yum"),
        groups="adm,wheel,systemd-journal",
    )


_UBUNTU = {"noble": ("24.04", "24.04.1 LTS", "Noble Numbat"), "jammy": ("22.04", "22.04.5 LTS", "Jammy Jellyfish")}


def _ubuntu(codename: str) -> AmiLook:
    vid, version, nick = _UBUNTU.get(codename, _UBUNTU["noble"])
    codename = codename if codename in _UBUNTU else "noble"
    return AmiLook(
        os_release=(
            f'PRETTY_NAME="Ubuntu {version}"\nNAME="Ubuntu"\nVERSION_ID="{vid}"\nVERSION="{version} ({nick})"\n'
            f'VERSION_CODENAME={codename}\nID=ubuntu\nID_LIKE=debian\nHOME_URL="https://www.ubuntu.com/"\n'
            'SUPPORT_URL="https://help.ubuntu.com/"\nBUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"\n'
            f"UBUNTU_CODENAME={codename}\n"
        ),
        extra_files={},
        package_managers=("apt", "apt-get"),
        groups="adm,sudo",
    )


def _debian() -> AmiLook:
    return AmiLook(
        os_release=(
            'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
            'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL="https://www.debian.org/"\n'
            'SUPPORT_URL="https://www.debian.org/support"\nBUG_REPORT_URL="https://bugs.debian.org/"\n'
        ),
        extra_files={},
        package_managers=("apt", "apt-get"),
        groups="adm,sudo",
    )


def ami_look(image_name: str, user: str) -> AmiLook:
    """What the instance should look like inside, from its AMI's name and login user."""
    name = image_name.lower()
    if user == "ubuntu" or "ubuntu" in name:
        m = re.search(r"ubuntu-([a-z]+)-\d", name)
        return _ubuntu(m.group(1) if m else "noble")
    if user == "admin" or "debian" in name:
        return _debian()
    m = re.search(r"al2023-ami(?:-minimal)?-2023\.(\d+\.\d{8})", name)
    return _al2023(m.group(1) if m else "6.20241212")


# ---- the instance's commands that must not pretend ---------------------------------------------

_SUDO = r"""#!/bin/bash
# localcloud: sudo on this instance makes the command root of the instance's own sandbox (a user
# namespace): it can change the instance's files, never the machine localcloud runs on.
login=0; user=root
while [ $# -gt 0 ]; do
  case "$1" in
    -i|--login|-s|--shell) login=1; shift ;;
    -u|--user) user="$2"; shift 2 ;;
    -u*) user="${1#-u}"; shift ;;
    -E|-H|-n|-S|-k|-K|-b|-P|--preserve-env*|--non-interactive|--stdin|--reset-timestamp) shift ;;
    --) shift; break ;;
    -*) shift ;;
    *) break ;;
  esac
done
if [ "$user" != root ] && [ "$user" != 0 ]; then
  if [ "$user" = "$USER" ]; then exec "$@"; fi
  echo "sudo: unknown user $user (this localcloud instance has root and $USER only)" >&2; exit 1
fi
if [ $# -eq 0 ]; then
  if [ $login = 1 ]; then set -- /bin/bash -l; else echo "usage: sudo command" >&2; exit 1; fi
fi
if unshare --map-root-user true 2>/dev/null; then
  HOME=/root USER=root LOGNAME=root exec unshare --map-root-user -- "$@"
fi
echo "sudo: this localcloud instance cannot make a root inside its sandbox here" \
  "(nested user namespaces are off); running as $USER" >&2
exec "$@"
"""

_OFFLINE = """#!/bin/sh
# localcloud: package managers cannot reach any repository from this instance.
echo "{tool}: this localcloud instance is offline: its sandbox has no network beyond itself," \
  "so no package repository can be reached." >&2
echo "On a real {distro} instance, 'sudo {tool} install <package>' downloads from the distribution's repositories." >&2
exit 1
"""

_POWER = """#!/bin/sh
# localcloud: an instance does not power itself off here.
echo "{tool}: a localcloud instance cannot {what}. Stop, start or reboot it through EC2 instead:" >&2
echo "  ec2.stop_instances(InstanceIds=[...]) / ec2.reboot_instances(...)  (Console: Instance state)" >&2
exit 1
"""


def _tools(look: AmiLook) -> dict[str, str]:
    distro = look.os_release.split('PRETTY_NAME="', 1)[1].split('"', 1)[0]
    tools = {"sudo": _SUDO}
    for tool in look.package_managers:
        tools[tool] = _OFFLINE.format(tool=tool, distro=distro)
    for tool, what in (
        ("shutdown", "shut itself down"),
        ("poweroff", "power itself off"),
        ("halt", "halt itself"),
        ("reboot", "reboot itself"),
    ):
        tools[tool] = _POWER.format(tool=tool, what=what)
    return tools


# ---- one instance -------------------------------------------------------------------------------

NS_GET_USERNS = 0xB701  # ioctl on a namespace fd: the user namespace that owns it (linux/nsfs.h)
NS_JOINED = (("mount", "mnt"), ("pid", "pid"), ("net", "net"), ("uts", "uts"), ("ipc", "ipc"))
UNSHARE_IN = "/usr/bin/unshare"  # util-linux, inside the sandbox (the host's /usr)
PORTAL = "/mnt" if os.path.isdir("/mnt") else "/tmp"
# Run by root in a private mount namespace: a tmpfs over PORTAL with the instance's two folders
# bound into it, then the rest of the command line (setpriv ... bwrap ...).
_PORTAL_SCRIPT = (
    f"mount -t tmpfs -o mode=0755 localcloud {PORTAL} && mkdir {PORTAL}/disk {PORTAL}/tools && "
    f'mount --bind "$1" {PORTAL}/disk && mount --bind "$2" {PORTAL}/tools && shift 2 && exec "$@"'
)


class InstanceSandbox:
    """One EC2 instance's sandbox: its disk folder, and (while running) its PID-1 holder process."""

    def __init__(
        self, folder: Path, user: str, look: AmiLook, hostname: str, spawn: Spawn, terminate: Terminate
    ) -> None:
        self.folder = folder  # <state>/<instance-id>
        self.disk = folder / "disk"
        self.tools = folder / "tools"
        self.user = user
        self.home = f"/home/{user}"
        self.look = look
        self.hostname = hostname
        self._spawn = spawn  # Supervisor.spawn-like: (argv, name=..., **popen) -> Child
        self._terminate = terminate
        self.holder: Child | None = None
        self.ns_pid = 0  # the sandbox's PID 1, as the host numbers it
        self._userns = -1  # an fd of the user namespace that owns the sandbox's other namespaces

    # -- the disk ----------------------------------------------------------------------------------
    def prepare(self) -> None:
        """Make the instance's disk the first time (later starts find it as it was left)."""
        fresh = not (self.disk / "etc" / "os-release").exists()
        for d in ("etc", "tmp", "var/tmp", "root", "home", "usr", "proc", "dev", "opt", "run", "mnt"):
            (self.disk / d).mkdir(parents=True, exist_ok=True)
        for name in MERGED:  # what bwrap would make: made once here, so a restart finds them as they were
            host, mine = Path("/") / name, self.disk / name
            if host.is_symlink() and not mine.is_symlink():
                mine.symlink_to(os.readlink(host))
        (self.disk / "tmp").chmod(0o1777)
        (self.disk / "var" / "tmp").chmod(0o1777)
        home = self.disk / "home" / self.user
        if fresh:
            home.mkdir(parents=True, exist_ok=True)
            home.chmod(0o700)
            etc = self.disk / "etc"
            files = {
                "os-release": self.look.os_release,
                "hostname": self.hostname + "\n",
                "hosts": f"127.0.0.1   localhost localhost.localdomain\n127.0.0.1   {self.hostname}\n",
                "resolv.conf": "# localcloud: this instance is offline (no DNS server)\n",
                "passwd": (
                    "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:Kernel Overflow User:/:/sbin/nologin\n"
                    f"{self.user}:x:{INSTANCE_UID}:{INSTANCE_UID}::{self.home}:/bin/bash\n"
                ),
                "group": (
                    "root:x:0:\n"
                    + "".join(f"{g}:x:{10 + i}:{self.user}\n" for i, g in enumerate(self.look.groups.split(",")))
                    + f"nobody:x:65534:\n{self.user}:x:{INSTANCE_UID}:\n"
                ),
                **self.look.extra_files,
            }
            for name, text in files.items():
                (etc / name).write_text(text)
        self.tools.mkdir(parents=True, exist_ok=True)
        for name, text in _tools(self.look).items():
            path = self.tools / name
            path.write_text(text)
            path.chmod(0o755)
        if os.geteuid() == 0:  # the sandbox runs as SANDBOX_UID: its disk is that user's
            for path in [self.folder, *self.folder.rglob("*")]:
                os.lchown(path, SANDBOX_UID, SANDBOX_UID)
            self.folder.chmod(0o700)

    # -- running -------------------------------------------------------------------------------------
    def env(self, term: str | None = None) -> dict[str, str]:
        env = {
            "HOME": self.home,
            "USER": self.user,
            "LOGNAME": self.user,
            "SHELL": "/bin/bash",
            "PATH": "/usr/local/bin:/usr/bin:/usr/local/sbin:/usr/sbin",
            "LANG": "C.UTF-8",
            "PWD": self.home,
            "HOSTNAME": self.hostname,
        }
        if term:
            env["TERM"] = term
        return env

    def start(self) -> None:
        why = unavailable()
        if why:
            raise RuntimeError(why)
        self.prepare()
        disk, tools, portal = str(self.disk), str(self.tools), []
        if os.geteuid() == 0:
            # The sandbox user cannot pass through the learner's private .lab/ to its disk: a private
            # mount namespace shows the two folders at a place it can reach (the host never sees it).
            disk, tools = f"{PORTAL}/disk", f"{PORTAL}/tools"
            portal = [
                _tool(UNSHARE, "unshare"),
                "--mount",
                "--propagation",
                "private",
                "--",
                "/bin/sh",
                "-c",
                _PORTAL_SCRIPT,
                "portal",
            ]
            portal += [str(self.disk), str(self.tools)]
        info_r, info_w = os.pipe()
        args = [
            *portal,
            *_as_sandbox_user(),
            _tool(BWRAP, "bwrap"),
            "--unshare-user",
            "--uid",
            str(INSTANCE_UID),
            "--gid",
            str(INSTANCE_UID),
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-net",
            "--unshare-cgroup-try",
            "--hostname",
            self.hostname,
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
            "--bind",
            disk,
            "/",
            *_system_binds(symlinks=False),
        ]
        for name in HOST_ETC:
            if os.path.exists(f"/etc/{name}"):
                args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        if os.path.isdir("/usr/local/bin"):
            args += ["--ro-bind", tools, "/usr/local/bin"]
        args += [
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--chdir",
            self.home,
            "--clearenv",
            "--info-fd",
            str(info_w),
            "--",
            "/usr/bin/sleep",
            "infinity",
        ]
        try:
            self.holder = self._spawn(
                args,
                name=f"sandbox {self.folder.name}",
                pass_fds=(info_w,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=self.env(),
            )
        finally:
            os.close(info_w)
        try:
            self.ns_pid = _read_child_pid(info_r, self.holder)
        finally:
            os.close(info_r)
        _wait_ready(self.ns_pid, self.holder)
        # Unprivileged bubblewrap nests two user namespaces: the outer one owns the instance's
        # mount, PID, network... namespaces (and never changes); sessions join that one, then map
        # the instance's user in a namespace of their own (session()).
        with open(f"/proc/{self.ns_pid}/ns/mnt", "rb") as mnt:
            self._userns = fcntl.ioctl(mnt.fileno(), NS_GET_USERNS)

    def running(self) -> bool:
        return self.holder is not None and self.holder.alive()

    def session(self, argv: list[str]) -> tuple[list[str], tuple[int, ...]]:
        """(argv, pass_fds): ``argv`` as a process of the running instance: in its namespaces
        (``nsenter``), as its user (a user namespace of its own mapping uid 1000, without any
        capability), in its home.  ``pass_fds`` must go to the spawn."""
        pid = self.ns_pid
        ns = [f"--{kind}=/proc/{pid}/ns/{name}" for kind, name in NS_JOINED]
        return [
            *_as_sandbox_user(),
            _tool(NSENTER, "nsenter"),
            f"--user=/proc/self/fd/{self._userns}",
            *ns,
            "--preserve-credentials",  # we are that namespace's uid 0 already (it maps the sandbox user)
            f"--root=/proc/{pid}/root",
            f"--wdns={self.home}",
            "--",
            UNSHARE_IN,
            f"--map-user={INSTANCE_UID}",
            f"--map-group={INSTANCE_UID}",
            "--",
            "/bin/sh",
            "-c",
            'umask 022 && exec "$@"',  # a Linux login's umask (localcloud's own 077 is for .lab/)
            "sh",
            *argv,
        ], (self._userns,)

    def stop(self) -> None:
        """Kill the instance's PID 1: the kernel then kills every process of the instance."""
        holder, self.holder = self.holder, None
        if self._userns >= 0:
            os.close(self._userns)
            self._userns = -1
        if holder is not None:
            if holder.alive():
                holder.popen.kill()
            self._terminate(holder, 5.0)
            if holder.popen.stderr is not None:
                holder.popen.stderr.close()
        self.ns_pid = 0

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _exit_message(holder: Child) -> str:
    """What a holder that has exited wrote on stderr (a pipe: both holders are spawned so); "" while alive."""
    if holder.alive() or holder.popen.stderr is None:
        return ""
    return holder.popen.stderr.read().decode(errors="replace").strip()


def _read_child_pid(fd: int, holder: Child, timeout: float = 15.0) -> int:
    data = b""
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
        try:
            return int(json.loads(data)["child-pid"])
        except (ValueError, KeyError):
            continue
    err = _exit_message(holder)
    raise RuntimeError(f"the instance sandbox did not start: {err or 'no answer from bubblewrap'}")


def _wait_ready(pid: int, holder: Child, timeout: float = 15.0, own_pid1: bool = True) -> None:
    """bubblewrap reports its child before the sandbox is set up; it is ready once the command
    runs: as the child of bubblewrap's PID 1 (``own_pid1``), or as the child itself (exec'd)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if own_pid1:
                if open(f"/proc/{pid}/task/{pid}/children").read().strip():
                    return
            elif os.path.basename(os.readlink(f"/proc/{pid}/exe")) != "bwrap":
                return
        except PermissionError:  # a process of another user (the sandbox user): not ready to tell
            pass
        except OSError:
            break
        if not holder.alive():
            break
        time.sleep(0.01)
    err = _exit_message(holder)
    raise RuntimeError(f"the sandbox did not start: {err or 'bubblewrap did not finish setting it up'}")


# ---- a network of its own for servers the learner reaches only through a gate -------------------


class PrivateNetwork:
    """A network namespace (loopback only) that several servers share, e.g. every RDS database:
    inside, they reach each other over TCP (replication); outside, nothing can connect to their
    ports — the daemon reaches them through unix sockets only, and learners through the gate.

    One per daemon (:func:`private_network`): its holder process starts with the first server
    (:meth:`enter`) and ends with the last (:meth:`leave`), or with the daemon; a new one is made
    if it is gone (an engine reset kills its processes)."""

    def __init__(self, spawn: Spawn, terminate: Terminate, owner: str) -> None:
        self._spawn = spawn
        self._terminate = terminate
        self._owner = owner
        self.holder: Child | None = None
        self.pid = 0
        self.members = 0
        self.generation = 0  # one per holder: a server of a network that is gone leaves nothing
        self._lock = threading.Lock()

    def _start(self) -> None:
        info_r, info_w = os.pipe()
        user = [] if os.geteuid() == 0 else ["--unshare-user"]  # a network namespace needs one when not root
        try:
            self.holder = self._spawn(
                [_tool(BWRAP, "bwrap"), "--dev-bind", "/", "/", *user, "--unshare-net", "--die-with-parent"]
                + ["--info-fd", str(info_w), "--", "/usr/bin/sleep", "infinity"],
                name="private network",
                owner=self._owner,
                pass_fds=(info_w,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        finally:
            os.close(info_w)
        self.generation += 1
        try:
            try:
                self.pid = _read_child_pid(info_r, self.holder)
            finally:
                os.close(info_r)
            _wait_ready(self.pid, self.holder, own_pid1=False)
        except BaseException:
            self._end(self.holder)
            self.holder = None
            raise

    def _end(self, holder: Child) -> None:
        self._terminate(holder, 5.0)  # its sleep dies with it (--die-with-parent)
        if holder.popen.stderr is not None:
            holder.popen.stderr.close()

    def enter(self) -> tuple[list[str], int]:
        """The prefix that runs one more server inside this network (made on first use), and the
        generation the server hands back to :meth:`leave` once it has stopped."""
        with self._lock:  # servers start in parallel: one network for all
            if self.holder is None or not self.holder.alive():
                self.members = 0  # a holder that died (an engine reset) took its servers' network with it
                if self.holder is not None:
                    self._end(self.holder)
                    self.holder = None
                self._start()
            self.members += 1
            pid, generation = self.pid, self.generation
        user = [] if os.geteuid() == 0 else [f"--user=/proc/{pid}/ns/user", "--preserve-credentials"]
        return [_tool(NSENTER, "nsenter"), *user, f"--net=/proc/{pid}/ns/net", "--"], generation

    def leave(self, generation: int) -> None:
        """One server of ``generation`` has stopped; the last one ends the holder."""
        with self._lock:
            if generation != self.generation or self.holder is None:
                return  # that network is already gone
            self.members -= 1
            if self.members > 0:
                return
            holder, self.holder, self.members = self.holder, None, 0
        self._end(holder)


_networks: weakref.WeakKeyDictionary[Supervisor, PrivateNetwork] = (
    weakref.WeakKeyDictionary()
)  # Supervisor -> PrivateNetwork
_networks_lock = threading.Lock()


def private_network(supervisor: Supervisor, owner: str) -> PrivateNetwork | None:
    """The shared private network of ``supervisor``'s servers; None when no sandbox can be made
    here (the servers then listen on the host's loopback, as before: reachable by its users)."""
    if unavailable():
        return None
    with _networks_lock:
        if supervisor not in _networks:
            _networks[supervisor] = PrivateNetwork(
                lambda argv, name, **kw: supervisor.spawn(argv, name=name, **kw), supervisor.terminate, owner
            )
        return _networks[supervisor]
