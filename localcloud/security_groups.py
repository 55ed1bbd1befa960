"""The one security-group policy every gate enforces (RDS's TCP gate, EC2's SSH endpoints, ...).

A gate (:class:`localcloud.tcpgate.Gate`) asks :func:`allows` with the rules as they are *now*
(a rule change applies to the next connection, as on AWS) and drops what they deny the way a
security group does: the client's SYN gets no answer, so its *connect* times out.  A connection
that slipped in just before a rule was revoked is held with :func:`hold_in_silence`.

Rules follow EC2's semantics (EC2 API reference, ``IpPermission.IpProtocol``, read 2026-11-30):
``tcp``/``udp``/``icmp``/``icmpv6`` or their protocol numbers (``6``, ``17``, ``1``, ``58``);
``-1`` (``all`` in the CLI) is every protocol on every port; the port range applies to TCP and
UDP only, and any other protocol number allows all of its ports.  Only IPv4/IPv6 CIDR sources
can match the learner's address: references to other security groups and prefix lists describe
traffic from inside AWS, which the learner's laptop never is.

This module is pure: the moto adapter turns moto's groups into :class:`Rule` lists.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass

# How long a dropped connection is held in silence before the gate lets go of it.  Longer than
# Linux's default TCP connect timeout (about 127 s: net.ipv4.tcp_syn_retries = 6), so a client
# gives up before the gate does and sees a timeout, as it does when AWS drops its SYN.
DROP_HOLD_S = 130.0

ALL = "-1"
_NAMES = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58", "all": ALL, "-1": ALL}
_PORTED = {"6", "17"}  # protocols whose rules carry a port range


def protocol_number(protocol: str | int | None) -> str:
    """``"tcp"``/``"6"``/``6`` -> ``"6"``; ``"all"``/``"-1"`` -> ``"-1"`` (case-insensitive)."""
    text = str(protocol if protocol is not None else "").strip().lower()
    return _NAMES.get(text, text)


@dataclass(frozen=True)
class Rule:
    """One ingress permission as EC2 stores it (one source per rule)."""

    protocol: str  # as given: "tcp", "6", "-1", "udp", ...
    from_port: int | None = None
    to_port: int | None = None
    cidr: str | None = None  # "203.0.113.10/32", "0.0.0.0/0", "::/0"; None for group/prefix-list sources

    def allows(self, source: ipaddress.IPv4Address | ipaddress.IPv6Address, protocol: str, port: int) -> bool:
        rule_proto, conn_proto = protocol_number(self.protocol), protocol_number(protocol)
        if rule_proto != ALL and rule_proto != conn_proto:
            return False
        if rule_proto in _PORTED:
            if self.from_port is None or self.to_port is None:
                return False
            if not int(self.from_port) <= port <= int(self.to_port):
                return False
        if not self.cidr:
            return False
        network = ipaddress.ip_network(self.cidr, strict=False)
        return network.version == source.version and source in network


def allows(rules: Iterable[Rule], source_ip: str, protocol: str, port: int) -> bool:
    """Would any of ``rules`` (all ingress rules of a resource's groups) let this connection in?

    ``protocol`` is the connection's protocol (``"tcp"`` for every gate localcloud has).
    """
    source = ipaddress.ip_address(source_ip)
    return any(rule.allows(source, protocol, port) for rule in rules)


def hold_in_silence(conn: socket.socket, hold_s: float = DROP_HOLD_S) -> None:
    """A connection accepted just before its rule was revoked: answer nothing, read and discard
    until the client gives up (or ``hold_s`` passes), then close.  (Every later SYN is dropped by
    the gate itself, as on AWS.)  Blocks: gates run it on the connection's own thread."""
    deadline = time.monotonic() + hold_s
    try:
        while (left := deadline - time.monotonic()) > 0:
            conn.settimeout(left)
            if not conn.recv(4096):
                break
    except OSError:  # timeout, reset, or the gate closed it
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass
