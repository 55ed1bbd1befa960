"""``python -m localcloud start|stop|status|env|reset`` driven as a learner drives it.

Every daemon here is started as a subprocess with its own environment: a private
LAB_DIR under tmp_path and a free LOCALCLOUD_PORT, never the session's localcloud
(set up by conftest.py) nor a learner's one on the default port.  Every test stops
what it started and checks that no process was left behind.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud import config
from localcloud.testing import free_port, isolated_env

REPO = Path(__file__).resolve().parents[1]
AWS_CLI = Path(sys.executable).parent / "aws"
CMD_TIMEOUT = 60  # seconds; any single CLI command taking longer is a failure


# --------------------------------------------------------------------------- helpers


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def _wait_dead(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        time.sleep(0.05)
    return not _pid_alive(pid)


def _group_members(pgid: int) -> list[str]:
    out = subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True, timeout=10)
    return [p for p in out.stdout.split() if _pid_alive(int(p))]


def _procs_using(lab_dir: Path) -> list[int]:
    """Live processes whose environment has LAB_DIR=lab_dir (anything these tests started)."""
    needle = f"LAB_DIR={lab_dir}\0".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if needle in fh.read() and _pid_alive(int(entry)):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def _client(service: str, endpoint: str, state_dir: Path):
    creds = config.install_credentials(state_dir)  # this localcloud's own key (made at its first start)
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )


@dataclass
class LC:
    """One isolated localcloud: its LAB_DIR, port and the environment to run the CLI with."""

    lab_dir: Path
    port: int
    env: dict

    @classmethod
    def new(cls, base: Path) -> LC:
        lab_dir = base / "lab"
        lab_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        return cls(lab_dir, port, isolated_env(lab_dir, port))

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state_dir(self) -> Path:
        return self.lab_dir / "localcloud"

    @property
    def daemon_json(self) -> Path:
        return self.state_dir / "daemon.json"

    def run(self, *args: str, timeout: float = CMD_TIMEOUT) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "localcloud", *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=REPO,
            timeout=timeout,
        )

    def start(self) -> dict:
        res = self.run("start", "--json")
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)

    def status(self) -> dict | None:
        res = self.run("status", "--json")
        return json.loads(res.stdout) if res.returncode == 0 else None

    def client(self, service: str):
        return _client(service, self.endpoint, self.state_dir)

    def cleanup(self) -> None:
        """Stop the daemon whatever state it is in; kill anything that survived (and report it)."""
        pgid = None
        try:
            pgid = json.loads(self.daemon_json.read_text()).get("pgid")
        except (OSError, ValueError):
            pass
        try:
            self.run("stop", timeout=30)
        except subprocess.TimeoutExpired:
            pass
        left = _procs_using(self.lab_dir)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if pgid:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        assert not left, f"processes left behind by localcloud in {self.lab_dir}: {left}"


@pytest.fixture(scope="module")
def lc(tmp_path_factory):
    """One isolated daemon shared by the tests that do not stop or kill it."""
    inst = LC.new(tmp_path_factory.mktemp("lc-shared"))
    try:
        inst.status_at_start = inst.start()
        yield inst
    finally:
        inst.cleanup()


@pytest.fixture
def own_lc(tmp_path):
    """A daemon (not yet started) for a test that stops or kills it."""
    inst = LC.new(tmp_path)
    try:
        yield inst
    finally:
        inst.cleanup()


def _create_sg(inst: LC, name: str = "web") -> str:
    return inst.client("ec2").create_security_group(GroupName=name, Description="seed check")["GroupId"]


# --------------------------------------------------------------------------- start / status / env


def test_start_and_status_json(lc):
    first = lc.status_at_start
    assert first["endpoint"] == lc.endpoint
    assert first["state_dir"] == str(lc.state_dir)
    assert first["account_id"] == "123456789012"
    assert "requestlog" in first["engines"]
    assert _pid_alive(first["pid"])

    status = lc.status()
    assert status is not None
    assert status["endpoint"] == lc.endpoint
    assert status["pid"] == first["pid"]
    assert isinstance(status["engines"], dict) and "requestlog" in status["engines"]
    info = json.loads(lc.daemon_json.read_text())
    assert info["pid"] == first["pid"] and info["port"] == lc.port
    assert info["pgid"] == first["pid"]  # the daemon leads its own process group

    human = lc.run("status")
    assert human.returncode == 0
    assert f"localcloud running at {lc.endpoint} (pid {first['pid']}" in human.stdout


def test_start_again_is_idempotent(lc):
    pid = lc.status()["pid"]
    again = lc.run("start", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["pid"] == pid
    plain = lc.run("start")
    assert plain.returncode == 0
    assert f"already running at {lc.endpoint} (pid {pid})" in plain.stdout
    assert lc.status()["pid"] == pid


def test_env_prints_exports_and_unsets(lc):
    res = subprocess.run(
        [sys.executable, "-m", "localcloud", "env"],
        capture_output=True,
        text=True,
        env=dict(lc.env, AWS_ENDPOINT_URL_S3="https://s3.amazonaws.com"),
        timeout=CMD_TIMEOUT,
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    creds = config.install_credentials(lc.state_dir, create=False)
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", creds.access_key_id)
    assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{lc.port}" in lines
    assert f"export AWS_ACCESS_KEY_ID={creds.access_key_id}" in lines
    assert f"export AWS_SECRET_ACCESS_KEY={shlex.quote(creds.secret_access_key)}" in lines
    assert "export AWS_EC2_METADATA_DISABLED=true" in lines
    assert "export AWS_DEFAULT_REGION=us-east-1" in lines
    assert f"export AWS_CONFIG_FILE={lc.state_dir / 'aws_config'}" in lines
    assert f"export AWS_SHARED_CREDENTIALS_FILE={lc.state_dir / 'aws_credentials'}" in lines
    unset = [ln for ln in lines if ln.startswith("unset ")]
    assert len(unset) == 1
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        assert var in unset[0].split()
    assert "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" in unset[0].split()
    assert "AWS_ENDPOINT_URL_S3" in unset[0].split()  # a service endpoint set in this shell goes too


def test_eval_env_then_aws_cli(lc):
    # A learner's shell with a real-looking profile and another endpoint: `env` must override both.
    env = dict(
        lc.env,
        AWS_PROFILE="learner-sso-profile-that-does-not-exist",
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_SESSION_TOKEN="stale",
    )
    script = f'eval "$({sys.executable} -m localcloud env)" && {AWS_CLI} sts get-caller-identity --output json'
    res = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, cwd=REPO, timeout=CMD_TIMEOUT)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["Account"] == "123456789012"


def test_client_files_use_path_style(lc):
    cfg = (lc.state_dir / "aws_config").read_text()
    assert re.search(r"^\s*addressing_style\s*=\s*path\s*$", cfg, re.M), cfg
    assert re.search(r"^region\s*=\s*us-east-1$", cfg, re.M)
    creds = (lc.state_dir / "aws_credentials").read_text()
    key = config.install_credentials(lc.state_dir, create=False)
    assert f"aws_access_key_id = {key.access_key_id}" in creds
    for name in ("aws_config", "aws_credentials", "credentials.json", "client_env.json", "daemon.log"):
        assert (lc.state_dir / name).stat().st_mode & 0o777 == 0o600, name  # the learner's alone
    assert lc.status()["client_env"]["AWS_CONFIG_FILE"] == str(lc.state_dir / "aws_config")


# --------------------------------------------------------------------------- realism and engines


@pytest.fixture(scope="module")
def amazon_ami(lc) -> str:
    images = lc.client("ec2").describe_images(Owners=["amazon"])["Images"]
    assert images, "moto should ship Amazon AMIs"
    return images[0]["ImageId"]


@pytest.mark.parametrize(
    "case, code",
    [
        ("instance_type", "InvalidInstanceType.NotFound"),
        ("image", "InvalidAMIID.NotFound"),
        ("key_pair", "InvalidKeyPair.NotFound"),
    ],
)
def test_realism_switches(lc, amazon_ami, case, code):
    ec2 = lc.client("ec2")
    kwargs = dict(ImageId=amazon_ami, InstanceType="t2.micro", MinCount=1, MaxCount=1)
    if case == "instance_type":
        kwargs["InstanceType"] = "t2.mikro"
    elif case == "image":
        kwargs["ImageId"] = "ami-0123456789abcdef0"
    else:
        kwargs["KeyName"] = "no-such-key"
    with pytest.raises(ClientError) as exc:
        ec2.run_instances(**kwargs)
    assert exc.value.response["Error"]["Code"] == code
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_requestlog_counts_by_operation(lc):
    def counts() -> dict:
        return lc.status()["engines"]["requestlog"]

    before = counts()
    sts, ec2 = lc.client("sts"), lc.client("ec2")
    for _ in range(3):
        sts.get_caller_identity()
    for _ in range(2):
        ec2.describe_vpcs()
    after = counts()
    by_op_before, by_op = before["by_operation"], after["by_operation"]
    assert by_op["sts:GetCallerIdentity"] - by_op_before.get("sts:GetCallerIdentity", 0) == 3
    assert by_op["ec2:DescribeVpcs"] - by_op_before.get("ec2:DescribeVpcs", 0) == 2
    assert after["calls"] - before["calls"] == 5
    log = (lc.state_dir / "engines" / "requestlog" / "requests.log").read_text().splitlines()
    assert log.count("sts us-east-1 GetCallerIdentity -> 200") >= 3


# --------------------------------------------------------------------------- seeded ids


def test_reset_gives_same_ids_as_fresh_daemons(lc, tmp_path):
    # moto draws every response's request id from the same seeded generator, so ids repeat
    # only for the same sequence of calls: right after each reset the first call is the create.
    ec2 = lc.client("ec2")
    web = [{"Name": "group-name", "Values": ["web"]}]
    assert lc.run("reset").returncode == 0
    after_reset_1 = _create_sg(lc)
    assert [g["GroupId"] for g in ec2.describe_security_groups(Filters=web)["SecurityGroups"]] == [after_reset_1]
    res = lc.run("reset")
    assert res.returncode == 0, res.stderr
    assert "reset" in res.stdout
    after_reset_2 = _create_sg(lc)
    # the reset forgot the first group: only the new one exists
    assert [g["GroupId"] for g in ec2.describe_security_groups(Filters=web)["SecurityGroups"]] == [after_reset_2]
    assert after_reset_1 == after_reset_2
    assert re.fullmatch(r"sg-[0-9a-f]{17}", after_reset_1)

    # Two brand-new daemons, each with a fresh LAB_DIR, started side by side.
    fresh = [LC.new(tmp_path / "a"), LC.new(tmp_path / "b")]
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "localcloud", "start", "--json"],
                env=f.env,
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for f in fresh
        ]
        for p in procs:
            out, err = p.communicate(timeout=CMD_TIMEOUT)
            assert p.returncode == 0, err
        with ThreadPoolExecutor(2) as pool:  # the first EC2 call builds moto's backend: ~1 s each
            ids = list(pool.map(_create_sg, fresh))
    finally:
        for f in fresh:
            f.cleanup()
    assert ids[0] == ids[1] == after_reset_1


def test_ids_do_not_depend_on_read_calls(lc):
    # moto draws response request ids from its seeded generator; localcloud gives them their own
    assert lc.run("reset").returncode == 0
    plain = _create_sg(lc)
    assert lc.run("reset").returncode == 0
    lc.client("sts").get_caller_identity()
    assert _create_sg(lc) == plain


# --------------------------------------------------------------------------- stop and failures


def test_stop_removes_everything(own_lc):
    status = own_lc.start()
    pid = status["pid"]
    assert not _port_free(own_lc.port)
    res = own_lc.run("stop")
    assert res.returncode == 0, res.stderr
    assert "stopped" in res.stdout
    assert _wait_dead(pid)
    assert _port_free(own_lc.port)
    assert not own_lc.daemon_json.exists()
    assert _group_members(pid) == []
    assert _procs_using(own_lc.lab_dir) == []
    # Stopping again is harmless, and status now says so.
    again = own_lc.run("stop")
    assert again.returncode == 0 and "not running" in again.stdout
    st = own_lc.run("status")
    assert st.returncode == 1 and "not running" in st.stdout


def test_busy_port_is_a_clean_error(own_lc):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", own_lc.port))
        holder.listen(1)
        res = own_lc.run("start")
    assert res.returncode == 2
    assert str(own_lc.port) in res.stderr
    assert "LOCALCLOUD_PORT" in res.stderr
    assert "another program" in res.stderr
    assert "Traceback" not in res.stderr
    assert not own_lc.daemon_json.exists()
    assert _procs_using(own_lc.lab_dir) == []


@pytest.mark.parametrize("bad", ["notaport", "70000"])
@pytest.mark.parametrize("cmd", ["start", "env"])
def test_bad_port_variable_is_a_clean_error(tmp_path, bad, cmd):
    env = isolated_env(tmp_path, bad)
    res = subprocess.run(
        [sys.executable, "-m", "localcloud", cmd],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=CMD_TIMEOUT,
    )
    assert res.returncode != 0
    assert "LOCALCLOUD_PORT" in res.stderr and bad in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "localcloud" / "daemon.json").exists()
    assert _procs_using(tmp_path) == []


def test_sigkilled_daemon_is_recovered(own_lc):
    pid = own_lc.start()["pid"]
    os.kill(pid, signal.SIGKILL)
    assert _wait_dead(pid)
    assert own_lc.daemon_json.exists()  # stale: nobody could clean up

    st = own_lc.run("status")
    assert st.returncode == 1
    assert "not running" in st.stdout
    st_json = own_lc.run("status", "--json")
    assert st_json.returncode == 1 and json.loads(st_json.stdout) is None

    stop = own_lc.run("stop")
    assert stop.returncode == 0, stop.stderr
    assert not own_lc.daemon_json.exists()
    assert _port_free(own_lc.port)
    assert _group_members(pid) == []

    new = own_lc.start()
    assert new["pid"] != pid and _pid_alive(new["pid"])
    assert own_lc.client("sts").get_caller_identity()["Account"] == "123456789012"
    assert own_lc.run("stop").returncode == 0
    assert _wait_dead(new["pid"])
    assert _group_members(new["pid"]) == []


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _rds_processes(inst: LC) -> list[dict]:
    return [p for p in inst.status()["processes"] if p["engine"] == "rds_mariadb"]


def _create_database(inst: LC, ident: str) -> None:
    rds = inst.client("rds")
    gid = _create_sg(inst, f"db-{ident}")
    rds.create_db_instance(
        DBInstanceIdentifier=ident,
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        ManageMasterUserPassword=True,
        VpcSecurityGroupIds=[gid],
    )
    rds.get_waiter("db_instance_available").wait(
        DBInstanceIdentifier=ident, WaiterConfig={"Delay": 0.2, "MaxAttempts": 600}
    )


@pytest.mark.skipif(not shutil.which("mariadbd", path=f"{os.environ['PATH']}:/usr/sbin"), reason="no MariaDB server")
def test_no_orphan_processes_after_databases_stop_or_localcloud_stops(own_lc):
    """Every process a database needs (its MariaDB server, the private network's holder and what
    runs inside it) ends when the last database is deleted, and with ``localcloud stop``."""
    own_lc.start()
    _create_database(own_lc, "orphan-a")
    procs = _rds_processes(own_lc)
    names = sorted(p["name"].split()[0] for p in procs)
    network = [p["pid"] for p in procs if p["name"] == "private network"]
    assert names == (["mariadbd", "private"] if network else ["mariadbd"]), procs
    pids = [p["pid"] for p in procs] + [c for pid in network for c in _children(pid)]
    assert all(_pid_alive(pid) for pid in pids)

    own_lc.client("rds").delete_db_instance(DBInstanceIdentifier="orphan-a", SkipFinalSnapshot=True)
    own_lc.client("rds").get_waiter("db_instance_deleted").wait(
        DBInstanceIdentifier="orphan-a", WaiterConfig={"Delay": 0.2, "MaxAttempts": 300}
    )
    assert all(_wait_dead(pid) for pid in pids), [pid for pid in pids if _pid_alive(pid)]
    assert _rds_processes(own_lc) == []

    _create_database(own_lc, "orphan-b")  # a new database: a new network, ended by `localcloud stop`
    procs = _rds_processes(own_lc)
    pids = [p["pid"] for p in procs] + [c for p in procs if p["name"] == "private network" for c in _children(p["pid"])]
    daemon = own_lc.status()["pid"]
    assert own_lc.run("stop").returncode == 0
    assert _wait_dead(daemon)
    assert all(_wait_dead(pid) for pid in pids), [pid for pid in pids if _pid_alive(pid)]
    assert _procs_using(own_lc.lab_dir) == []


def test_free_ports_are_below_the_ephemeral_range():
    """A restarted server finds its port free: no outgoing connection can have taken it meanwhile."""
    from localcloud import config

    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = {free_port() for _ in range(20)}
    assert all(config.FREE_PORTS[0] <= p < config.FREE_PORTS[1] < low for p in ports), ports
