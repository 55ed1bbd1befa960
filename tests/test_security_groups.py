"""The one security-group policy every gate uses (localcloud/security_groups.py): a table of rules.

Each row is one ingress rule and what it means for a TCP connection from the learner's address
(203.0.113.10) to port 22 and to port 3306, with EC2's protocol semantics.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from localcloud.security_groups import Rule, allows, hold_in_silence, protocol_number

LEARNER = "203.0.113.10"

# (rule, allows tcp/22, allows tcp/3306)
TABLE = [
    (Rule("tcp", 22, 22, "203.0.113.10/32"), True, False),
    (Rule("tcp", 22, 22, "203.0.113.0/24"), True, False),
    (Rule("tcp", 22, 22, "0.0.0.0/0"), True, False),
    (Rule("tcp", 20, 25, "203.0.113.10/32"), True, False),
    (Rule("tcp", 0, 65535, "203.0.113.10/32"), True, True),
    (Rule("TCP", 3306, 3306, "203.0.113.10/32"), False, True),  # names are case-insensitive
    (Rule("6", 22, 22, "203.0.113.10/32"), True, False),  # tcp by protocol number
    (Rule("6", 3306, 3306, "203.0.113.10/32"), False, True),
    (Rule("-1", None, None, "203.0.113.10/32"), True, True),  # all traffic: every protocol, every port
    (Rule("all", None, None, "203.0.113.10/32"), True, True),  # the CLI's spelling of -1
    (Rule("-1", -1, -1, "203.0.113.10/32"), True, True),  # ports of a -1 rule mean nothing
    (Rule("udp", 22, 22, "203.0.113.10/32"), False, False),  # udp never matches a TCP connection
    (Rule("17", 0, 65535, "203.0.113.10/32"), False, False),
    (Rule("icmp", -1, -1, "203.0.113.10/32"), False, False),  # nor does icmp
    (Rule("1", 8, 0, "0.0.0.0/0"), False, False),
    (Rule("58", -1, -1, "::/0"), False, False),
    (Rule("tcp", 22, 22, "198.51.100.7/32"), False, False),  # someone else's address
    (Rule("-1", None, None, "198.51.100.0/24"), False, False),
    (Rule("tcp", 3306, 3306, "203.0.113.10/32"), False, True),  # another port
    (Rule("tcp", 22, 22, None), False, False),  # a group reference or prefix list: never the learner
    (Rule("-1", None, None, None), False, False),  # a default group's "all traffic from its members"
    (Rule("tcp", 22, 22, "::/0"), False, False),  # IPv6 range, IPv4 learner
    (Rule("tcp", None, None, "203.0.113.10/32"), False, False),  # a tcp rule without ports is malformed
]


@pytest.mark.parametrize(
    "rule, ssh, mysql", TABLE, ids=[f"{r.protocol}:{r.from_port}-{r.to_port}:{r.cidr}" for r, *_ in TABLE]
)
def test_rule_table(rule, ssh, mysql):
    assert allows([rule], LEARNER, "tcp", 22) is ssh
    assert allows([rule], LEARNER, "tcp", 3306) is mysql
    assert allows([rule], LEARNER, "6", 22) is ssh  # the connection's protocol may be a number too


def test_any_rule_of_any_group_is_enough_and_none_denies():
    other = Rule("tcp", 22, 22, "198.51.100.7/32")
    assert allows([other, Rule("tcp", 22, 22, "203.0.113.10/32")], LEARNER, "tcp", 22)
    assert not allows([other], LEARNER, "tcp", 22)
    assert not allows([], LEARNER, "tcp", 22)  # no rule: everything in is dropped


def test_ipv6_source_matches_ipv6_ranges_only():
    assert allows([Rule("tcp", 22, 22, "2001:db8::/32")], "2001:db8::1", "tcp", 22)
    assert not allows([Rule("tcp", 22, 22, "0.0.0.0/0")], "2001:db8::1", "tcp", 22)


@pytest.mark.parametrize(
    "given, number", [("tcp", "6"), ("TCP", "6"), (6, "6"), ("udp", "17"), ("icmp", "1"), ("all", "-1"), ("-1", "-1")]
)
def test_protocol_numbers(given, number):
    assert protocol_number(given) == number


def _pair():
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    server.close()
    return client, conn


def test_drop_says_nothing_and_ends_when_the_client_gives_up():
    client, conn = _pair()
    ended = threading.Event()
    threading.Thread(target=lambda: (hold_in_silence(conn), ended.set()), daemon=True).start()
    client.sendall(b"hello?")
    client.settimeout(0.3)
    with pytest.raises(TimeoutError):  # no byte ever comes back: the client's own timeout fires
        client.recv(1)
    client.close()  # the client gives up
    assert ended.wait(5), "the held connection was not released when the client left"


def test_drop_lets_go_after_the_hold():
    client, conn = _pair()
    t0 = time.monotonic()
    hold_in_silence(conn, hold_s=0.2)
    assert time.monotonic() - t0 >= 0.2
    client.settimeout(5)
    assert client.recv(1) == b""  # closed, never answered
    client.close()
