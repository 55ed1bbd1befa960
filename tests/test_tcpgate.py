"""The one TCP gate (localcloud/tcpgate.py): a dropped connection times out *connecting*, as on AWS
(issue 15, "SSH timeouts"), and a database's own port is no way around the gate (issue 12).

While the rules deny, the gate's listener has a full accept queue, so the kernel drops the
client's SYN: OpenSSH prints ``connect to host ... port N: Connection timed out`` and the MySQL
client ``Can't connect ... (110)``, never a timeout during the server's greeting.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import boto3
import mysql.connector
import pytest

from helpers import lab
from localcloud import sandbox, tcpgate
from localcloud.tcpgate import Gate


def attempt(port: int, timeout: float = 1.5) -> str:
    """What a client sees: "timeout" (connect), "refused", or the first bytes the server sends."""
    with socket.socket() as c:
        c.settimeout(timeout)
        try:
            c.connect(("127.0.0.1", port))
        except TimeoutError:
            return "timeout"
        except ConnectionRefusedError:
            return "refused"
        try:
            return c.recv(16).decode() or "closed"
        except TimeoutError:
            return "connected, then silence"


@pytest.fixture
def gate():
    rules = {"allow": False}
    served = []

    def handler(sock):
        served.append(sock)
        sock.sendall(b"hello\n")
        sock.close()

    g = Gate("test", allow=lambda: rules["allow"], handler=handler)
    yield g, rules, served
    g.close()


def test_denied_connections_time_out_connecting(gate):
    g, rules, served = gate
    for _ in range(3):
        assert attempt(g.port) == "timeout"
    assert not served and g.shut


def test_a_rule_change_applies_to_the_next_connection(gate):
    g, rules, served = gate
    rules["allow"] = True
    g.recheck()  # what the gateway does after every EC2/RDS call
    assert attempt(g.port) == "hello\n"
    rules["allow"] = False
    g.recheck()
    assert attempt(g.port) == "timeout"
    rules["allow"] = True
    g.recheck()
    assert [attempt(g.port) for _ in range(3)] == ["hello\n"] * 3
    assert len(served) == 4


def test_the_gate_follows_the_rules_on_its_own_too(gate):
    g, rules, _ = gate
    rules["allow"] = True  # no recheck(): the gate asks allow() itself every RECHECK_S
    deadline = time.monotonic() + 5
    while g.shut and time.monotonic() < deadline:
        time.sleep(0.05)
    assert attempt(g.port) == "hello\n"


def test_many_clients_at_once_when_open(gate):
    g, rules, served = gate
    rules["allow"] = True
    g.recheck()
    results = []
    threads = [threading.Thread(target=lambda: results.append(attempt(g.port, 5))) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["hello\n"] * 30


def test_a_closed_gate_refuses(gate):
    g, _, _ = gate
    g.close()
    assert attempt(g.port) == "refused"


def test_a_gate_reopens_on_its_port_right_after_serving(gate, monkeypatch):
    """A restored endpoint keeps its port (localcloud stop, then start): the connections the old gate
    closed wait in TIME_WAIT for a minute and must not keep the new gate from binding that port."""
    g, rules, _ = gate
    rules["allow"] = True
    g.recheck()
    assert attempt(g.port) == "hello\n"  # the gate's side closes first: it is the one in TIME_WAIT
    port = g.port
    g.close()
    monkeypatch.setattr(tcpgate, "RESTORE_PORT_WAIT_S", 0.5)  # it moved after 3 s in CI; 0.5 s is plenty
    again = Gate("test", allow=lambda: True, handler=lambda sock: sock.close(), port=port)
    try:
        assert again.port == port
    finally:
        again.close()


@pytest.mark.skipif(not shutil.which("ssh"), reason="OpenSSH client not installed")
def test_openssh_sees_a_connect_timeout(gate):
    g, _, _ = gate
    done = subprocess.run(
        ["ssh", "-o", "ConnectTimeout=2", "-o", "BatchMode=yes", "-p", str(g.port), "ec2-user@127.0.0.1", "true"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 255
    assert done.stderr.strip() == f"ssh: connect to host 127.0.0.1 port {g.port}: Connection timed out"


# ---- the RDS gate, and the database's own port -------------------------------------------------------


@pytest.fixture(scope="module")
def database():
    lab.start("02")
    rds, ec2 = boto3.client("rds"), boto3.client("ec2")
    ident = f"gate-{uuid.uuid4().hex[:6]}"
    sg = ec2.create_security_group(GroupName=ident, Description="mysql")["GroupId"]
    rds.create_db_instance(
        DBInstanceIdentifier=ident,
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        MasterUsername="admin",
        MasterUserPassword="not-a-real-secret-1",
        AllocatedStorage=20,
        PubliclyAccessible=True,
        VpcSecurityGroupIds=[sg],
    )
    rds.get_waiter("db_instance_available").wait(
        DBInstanceIdentifier=ident, WaiterConfig={"Delay": 0.2, "MaxAttempts": 600}
    )
    ep = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]["Endpoint"]
    yield {"ident": ident, "sg": sg, "host": ep["Address"], "port": ep["Port"], "password": "not-a-real-secret-1"}
    rds.delete_db_instance(DBInstanceIdentifier=ident, SkipFinalSnapshot=True)
    rds.get_waiter("db_instance_deleted").wait(
        DBInstanceIdentifier=ident, WaiterConfig={"Delay": 0.2, "MaxAttempts": 600}
    )
    ec2.delete_security_group(GroupId=sg)


def _rule(cidr="203.0.113.10/32"):
    return [{"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": cidr}]}]


@pytest.mark.skipif(not shutil.which("mysql"), reason="mysql client not installed")
def test_mysql_client_sees_a_connect_timeout_then_gets_in(database):
    ec2 = boto3.client("ec2")
    argv = ["mysql", "--connect-timeout=2", "-h", database["host"], "-P", str(database["port"]), "-u", "admin"]
    argv += [f"-p{database['password']}", "-N", "-e", "SELECT CURRENT_USER()"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert re.search(r"Can't connect to (MySQL )?server on '127\.0\.0\.1'.*\(110\)", done.stderr), done.stderr
    ec2.authorize_security_group_ingress(GroupId=database["sg"], IpPermissions=_rule())
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "admin@%"  # what RDS shows: the security group, not MySQL, filters hosts
    finally:
        ec2.revoke_security_group_ingress(GroupId=database["sg"], IpPermissions=_rule())


def _mariadbd_ports() -> list[int]:
    """The TCP ports this localcloud's MariaDB servers were told to listen on (as `ps` shows anyone)."""
    ports = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        text = b" ".join(args).decode(errors="replace")
        if "mariadbd" in text and os.environ["LAB_DIR"] in text and (m := re.search(r"--port=(\d+)", text)):
            ports.append(int(m.group(1)))
    return ports


@pytest.mark.skipif(bool(sandbox.unavailable()), reason="no private network without bubblewrap")
def test_the_databases_own_port_is_no_way_around_the_gate(database):
    ports = _mariadbd_ports()
    assert ports, "no MariaDB server found"
    for port in ports:  # found with ps, as anyone on this machine could: nothing there
        with pytest.raises(mysql.connector.Error) as exc:
            mysql.connector.connect(
                host="127.0.0.1", port=port, user="admin", password=database["password"], connection_timeout=3
            )
        assert "Connection refused" in str(exc.value) or "111" in str(exc.value)
    listening = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout if shutil.which("ss") else ""
    for port in ports:
        assert f"127.0.0.1:{port} " not in listening
