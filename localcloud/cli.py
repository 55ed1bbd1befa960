"""``python -m localcloud start|stop|status|env|reset`` — manage the offline AWS."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from . import config
from .daemon import daemon_file
from .processes import pid_alive

START_TIMEOUT_S = 30


class CliError(Exception):
    """A problem the user can fix; printed as one paragraph, exit code 2."""


def _request(path: str, port: int, method: str = "GET", timeout: float = 2.0) -> dict | None:
    req = urllib.request.Request(config.endpoint(port) + path, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _is_ours(pid: int) -> bool:
    """True when ``pid`` is a localcloud daemon (not a reused pid after a crash)."""
    try:
        return b"localcloud\x00serve" in open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return False


def _daemon_info() -> dict | None:
    try:
        info = json.loads(daemon_file().read_text())
    except (OSError, ValueError):
        return None
    return info if pid_alive(info["pid"]) and _is_ours(info["pid"]) else None


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((config.HOST, port))
        except OSError:
            return False
    return True


def running_status() -> dict | None:
    info = _daemon_info()
    return _request("/_localcloud/status", info["port"]) if info else None


def start(as_json: bool = False) -> dict:
    say = (lambda msg: None) if as_json else print
    status = running_status()
    if status:
        say(f"localcloud already running at {status['endpoint']} (pid {status['pid']}).")
        if "LOCALCLOUD_PORT" in os.environ and not status["endpoint"].endswith(f":{config.port()}"):
            print(f"localcloud: note: LOCALCLOUD_PORT={config.port()} is ignored while this daemon runs; "
                  f"`python -m localcloud stop` first to move it.", file=sys.stderr)
        return status
    port = config.port()
    if not _port_free(port):
        other = _request("/_localcloud/status", port)
        who = (f"another localcloud (state in {other['state_dir']})" if other
               else "another program")
        raise CliError(
            f"Port {port} on {config.HOST} is already used by {who}, so localcloud cannot start. "
            f"Either stop that program, or choose a free port for localcloud with "
            f"`export LOCALCLOUD_PORT=4751` (any free port) and run the command again; "
            f"notebooks pick the same variable up when they call lab.start().")
    sd = config.state_dir()
    sd.mkdir(parents=True, exist_ok=True)
    daemon_file().unlink(missing_ok=True)
    logf = open(sd / "daemon.log", "ab")
    t0 = time.monotonic()
    env = dict(os.environ, LOCALCLOUD_PORT=str(port))
    proc = subprocess.Popen([sys.executable, "-m", "localcloud", "serve"], stdin=subprocess.DEVNULL,
                            stdout=logf, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)  # survives the kernel/terminal that started it
    while time.monotonic() - t0 < START_TIMEOUT_S:
        if proc.poll() is not None:
            tail = (sd / "daemon.log").read_text(errors="replace").strip().splitlines()[-5:]
            raise CliError("localcloud exited while starting (exit code %s). Last lines of %s:\n  %s"
                           % (proc.returncode, sd / "daemon.log", "\n  ".join(tail)))
        if daemon_file().exists():
            status = _request("/_localcloud/status", port, timeout=1)
            if status:
                say(f"localcloud running at {status['endpoint']} (pid {status['pid']}, "
                    f"started in {time.monotonic() - t0:.1f} s).")
                return status
        time.sleep(0.05)
    _kill_group(proc.pid)
    raise CliError(f"localcloud did not answer within {START_TIMEOUT_S} s; it was stopped. "
                   f"See {sd / 'daemon.log'}.")


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop() -> None:
    try:
        info = json.loads(daemon_file().read_text())
    except (OSError, ValueError):
        print("localcloud is not running.")
        return
    pid, pgid = info["pid"], info.get("pgid", info["pid"])
    if pid_alive(pid) and _is_ours(pid):  # a pid reused after a crash is someone else's
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        _kill_group(pgid)  # anything left in the daemon's group (it is gone by now)
    daemon_file().unlink(missing_ok=True)
    print("localcloud stopped.")


def reset() -> None:
    info = _daemon_info()
    if not info or _request("/_localcloud/reset", info["port"], method="POST", timeout=60) is None:
        raise CliError("localcloud is not running; start it with `python -m localcloud start`.")
    print("localcloud reset: every resource is gone, ids start again from the seed.")


def print_status(as_json: bool) -> int:
    status = running_status()
    if as_json:
        print(json.dumps(status, indent=1))
        return 0 if status else 1
    if not status:
        print("localcloud is not running (start it with `python -m localcloud start`).")
        return 1
    print(f"localcloud running at {status['endpoint']} (pid {status['pid']}, up {status['uptime_s']} s)")
    print(f"  region {status['region']}, account {status['account_id']}, learner IP {status['learner_ip']}")
    print(f"  state in {status['state_dir']}")
    print(f"  MariaDB server: {status['mariadb_server'] or 'not installed (needed by the RDS labs)'}")
    for name, st in status["engines"].items():
        print(f"  engine {name}: {json.dumps(st)}")
    for p in status["processes"]:
        print(f"  process {p['name']} (pid {p['pid']}, engine {p['engine']})")
    return 0


def print_env() -> None:
    info = _daemon_info()  # a running daemon's port wins over LOCALCLOUD_PORT
    for k, v in config.client_env(info["port"] if info else None).items():
        print(f"export {k}={shlex.quote(v)}")
    print("unset " + " ".join(config.CLIENT_ENV_UNSET))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("start", help="start the daemon in the background (no-op if running)")
    sp.add_argument("--json", action="store_true", help="print the status document instead")
    sub.add_parser("stop", help="stop the daemon and every process it started")
    st = sub.add_parser("status", help="endpoint, engines and processes")
    st.add_argument("--json", action="store_true")
    sub.add_parser("env", help="print export lines: eval \"$(python -m localcloud env)\"")
    sub.add_parser("reset", help="forget every resource (keeps the daemon running)")
    sub.add_parser("serve", help="run the daemon in the foreground (what start runs)")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "start":
            status = start(as_json=args.json)
            if args.json:
                print(json.dumps(status))
        elif args.cmd == "stop":
            stop()
        elif args.cmd == "status":
            return print_status(args.json)
        elif args.cmd == "env":
            print_env()
        elif args.cmd == "reset":
            reset()
        elif args.cmd == "serve":
            from .daemon import serve

            serve(config.port())
    except CliError as exc:
        print(f"localcloud: {exc}", file=sys.stderr)
        return 2
    return 0
