"""Record — and refuse — every network request a Python process makes to anything but loopback.

Installed in the test process by :func:`install`, and in every Python process started with this
file's folder copy on ``PYTHONPATH`` as ``sitecustomize.py`` (the localcloud daemon, the aws CLI):
``socket.getaddrinfo`` of a name that is not local, and ``connect``/``connect_ex``/``sendto`` of an
INET socket to an address that is not loopback, append a JSON line to the log and fail with
``OSError`` before anything is sent.  Unix sockets (MariaDB, ...) are not network traffic.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket
import sys
import threading

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", ""}
_HOSTNAME = socket.gethostname()
_lock = threading.Lock()
_installed: dict = {}


def is_loopback(host) -> bool:
    if host is None:
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text.lower() in LOCAL_NAMES or text == _HOSTNAME:  # the machine's own name: /etc/hosts, no query
        return True
    try:
        return ipaddress.ip_address(text.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name: resolving it is already a request to a name server


def _record(log_path: str, kind: str, destination) -> None:
    line = json.dumps({"pid": os.getpid(), "argv": sys.argv[:3], "kind": kind, "destination": repr(destination)})
    with _lock, open(log_path, "a") as f:
        f.write(line + "\n")


def install(log_path: str) -> None:
    """Wrap the socket module's entry points (once per process)."""
    if _installed:
        return
    originals = {
        "getaddrinfo": socket.getaddrinfo,
        "connect": socket.socket.connect,
        "connect_ex": socket.socket.connect_ex,
        "sendto": socket.socket.sendto,
    }
    _installed.update(originals, log=log_path)

    def refuse(kind: str, destination):
        _record(log_path, kind, destination)
        raise OSError(errno.ENETUNREACH, f"outbound_guard: {kind} {destination!r} is not loopback")

    def getaddrinfo(host, *args, **kwargs):
        if not is_loopback(host):
            refuse("getaddrinfo", host)
        return originals["getaddrinfo"](host, *args, **kwargs)

    def _checked(sock, address, kind):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            refuse(kind, address)

    def connect(self, address):
        _checked(self, address, "connect")
        return originals["connect"](self, address)

    def connect_ex(self, address):
        _checked(self, address, "connect")
        return originals["connect_ex"](self, address)

    def sendto(self, data, *args):
        _checked(self, args[-1], "sendto")
        return originals["sendto"](self, data, *args)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto


def uninstall() -> None:
    if not _installed:
        return
    socket.getaddrinfo = _installed["getaddrinfo"]
    socket.socket.connect = _installed["connect"]
    socket.socket.connect_ex = _installed["connect_ex"]
    socket.socket.sendto = _installed["sendto"]
    _installed.clear()


if __name__ == "sitecustomize" and os.environ.get("OUTBOUND_LOG"):
    install(os.environ["OUTBOUND_LOG"])
