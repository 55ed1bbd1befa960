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

import labcontract

# Only what every command needs: `start` of a running localcloud and `status` answer in a
# fraction of a second (each lab's first cell runs `start`); the daemon's modules load in `serve`.
from . import config
from .config import daemon_file
from .processes import pid_alive

# Starting includes restoring the saved state: MariaDB servers come back (after a crash, with
# InnoDB's recovery) before the daemon answers, so a slow laptop may need more than a fresh start.
START_TIMEOUT_S = 90
LAST_PORT_FILE = "port"  # in the state folder: the port this course's localcloud had last time


class CliError(Exception):
    """A problem the user can fix; printed as one paragraph, exit code 2."""


def _request(path: str, port: int, method: str = "GET", timeout: float = 2.0) -> dict | None:
    """A control call with this install's token; None when nothing (or another install) answers."""
    try:
        token = config.install_credentials(create=False).control_token
    except (OSError, ValueError, KeyError):
        token = ""
    req = urllib.request.Request(
        config.endpoint(port) + path,
        method=method,
        data=b"" if method == "POST" else None,
        headers={config.TOKEN_HEADER: token},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _other_localcloud(port: int) -> bool:
    """Does a localcloud of another install (another state folder) answer on ``port``?"""
    try:
        urllib.request.urlopen(config.endpoint(port) + "/_localcloud/status", timeout=2)
    except urllib.error.HTTPError as exc:
        try:
            return exc.code == 403 and json.loads(exc.read()).get("localcloud") is True
        except ValueError:
            return False
    except (urllib.error.URLError, OSError):
        return False
    return False


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


def start(as_json: bool = False, fresh: bool = False) -> dict:
    say = (lambda msg: None) if as_json else print
    status = running_status()
    if status and fresh:
        raise CliError(
            f"localcloud is already running at {status['endpoint']}, so --fresh cannot apply; "
            f"`python -m localcloud reset` forgets every resource now, or stop it first."
        )
    if status:
        say(f"localcloud already running at {status['endpoint']} (pid {status['pid']}).")
        if config.requested_port() and not status["endpoint"].endswith(f":{config.port()}"):
            print(
                f"localcloud: note: LOCALCLOUD_PORT={config.port()} is ignored while this daemon runs; "
                f"`python -m localcloud stop` first to move it.",
                file=sys.stderr,
            )
        return status
    port = _choose_port()
    sd = labcontract.private_dir(config.state_dir())
    config.install_credentials()  # made now (0600) if this is the first start: the daemon and we share them
    daemon_file().unlink(missing_ok=True)
    fd = os.open(sd / "daemon.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    logf = os.fdopen(fd, "ab")
    t0 = time.monotonic()
    env = dict(os.environ, LOCALCLOUD_PORT=str(port))
    # glibc gives each thread that allocates an arena of its own (up to 8 per core) and keeps what
    # is freed there: the daemon's request threads and Spark's JVM (it inherits this) held ~100-250
    # MiB more for nothing. Two arenas: the peak of the series 1,589 -> 1,382 MiB, no slower.
    env.setdefault("MALLOC_ARENA_MAX", "2")
    proc = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "serve", *(["--fresh"] if fresh else [])],
        stdin=subprocess.DEVNULL,
        stdout=logf,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )  # survives the kernel/terminal that started it
    while time.monotonic() - t0 < START_TIMEOUT_S:
        if proc.poll() is not None:
            tail = (sd / "daemon.log").read_text(errors="replace").strip().splitlines()[-5:]
            raise CliError(
                f"localcloud exited while starting (exit code {proc.returncode}). "
                f"Last lines of {sd / 'daemon.log'}:\n  " + "\n  ".join(tail)
            )
        if daemon_file().exists():
            status = _request("/_localcloud/status", port, timeout=1)
            if status:
                config.write_private(sd / LAST_PORT_FILE, f"{port}\n")
                say(
                    f"localcloud running at {status['endpoint']} (pid {status['pid']}, "
                    f"started in {time.monotonic() - t0:.1f} s)."
                )
                for line in restore_lines(status):
                    say(f"  {line}")
                return status
        time.sleep(0.05)
    _kill_group(proc.pid)
    raise CliError(f"localcloud did not answer within {START_TIMEOUT_S} s; it was stopped. See {sd / 'daemon.log'}.")


def _who_uses(port: int) -> str:
    other = _request("/_localcloud/status", port)
    if other:
        return f"another localcloud (state in {other['state_dir']})"
    return "another localcloud (of another state folder)" if _other_localcloud(port) else "another program"


def _choose_port() -> int:
    """LOCALCLOUD_PORT when it names a port (busy: an error). Otherwise the port this state folder
    had last time, else the default one, else any free port: several courses on one machine (two
    checkouts, or two LAB_DIRs) each get their own localcloud; notebooks (lab.start) and terminals
    (`localcloud env`) find it through the state folder, whatever its port. ``auto`` skips the default."""
    wanted = config.requested_port()
    if wanted is not None:
        if not _port_free(wanted):
            raise CliError(
                f"Port {wanted} on {config.HOST} is already used by {_who_uses(wanted)}, so localcloud cannot "
                f"start. Either stop that program, or choose a free port for localcloud with "
                f"`export LOCALCLOUD_PORT=4751` (any free port, or `auto`) and run the command again; "
                f"notebooks pick the same variable up when they call lab.start()."
            )
        return wanted
    try:
        last = int((config.state_dir() / LAST_PORT_FILE).read_text())
    except (OSError, ValueError):
        last = None
    auto = os.environ.get("LOCALCLOUD_PORT", "").strip() == config.AUTO_PORT
    for candidate in (last, None if auto else config.DEFAULT_PORT):
        if candidate and _port_free(candidate):
            return candidate
    port = config.free_port()
    if not auto:
        print(
            f"localcloud: note: port {config.DEFAULT_PORT} is used by {_who_uses(config.DEFAULT_PORT)}; "
            f"this course's localcloud takes port {port} (notebooks and `localcloud env` find it).",
            file=sys.stderr,
        )
    return port


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
    print("localcloud stopped (its state is saved: `start` brings it back, `reset` forgets it).")


def restore_lines(status: dict) -> list[str]:
    """What this start did with the saved state, in words (empty for a plain fresh start)."""
    p = status.get("persistence") or {}
    lines = []
    if p.get("state") == "restored":
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(p["saved_at"])) if p.get("saved_at") else "?"
        lines.append(f"restored the state saved at {when} ({', '.join(p.get('services') or []) or 'nothing'}).")
    if p.get("fresh_reason"):
        lines.append(f"started empty: {p['fresh_reason']}")
    for lost in p.get("lost") or []:
        lines.append(f"lost: {lost['service']} {lost['kind']} {lost['id']}: {lost['what']}")
    lines += [f"note: {n}" for n in p.get("notes") or []]
    return lines


def reset() -> None:
    info = _daemon_info()
    if not info or _request("/_localcloud/reset", info["port"], method="POST", timeout=60) is None:
        raise CliError("localcloud is not running; start it with `python -m localcloud start`.")
    print("localcloud reset: every resource and the saved state are gone, ids start again from the seed.")


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
    for line in restore_lines(status):
        print(f"  {line}")
    snaps = (status.get("persistence") or {}).get("snapshots") or {}
    if snaps:
        err = f", last error: {snaps['last_error']}" if snaps.get("last_error") else ""
        print(
            f"  state saved to {snaps['file']} ({snaps['snapshots']} saves this run, last "
            f"{snaps['last_bytes']} bytes in {snaps['last_ms']} ms{err})"
        )
    return 0


def print_env() -> None:
    info = _daemon_info()  # a running daemon's port wins over LOCALCLOUD_PORT
    for k, v in config.client_env(info["port"] if info else None).items():
        print(f"export {k}={shlex.quote(v)}")
    service_endpoints = [v for v in os.environ if v.startswith(labcontract.CLIENT_ENV_UNSET_PREFIXES)]
    print("unset " + " ".join([*config.CLIENT_ENV_UNSET, *service_endpoints]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("start", help="start the daemon in the background (no-op if running)")
    sp.add_argument("--json", action="store_true", help="print the status document instead")
    sp.add_argument("--fresh", action="store_true", help="start empty: delete the saved state (tests)")
    sub.add_parser("stop", help="stop the daemon and every process it started (the state is kept)")
    st = sub.add_parser("status", help="endpoint, engines and processes")
    st.add_argument("--json", action="store_true")
    sub.add_parser("env", help='print export lines: eval "$(python -m localcloud env)"')
    sub.add_parser("reset", help="forget every resource and the saved state (keeps the daemon running)")
    sv = sub.add_parser("serve", help="run the daemon in the foreground (what start runs)")
    sv.add_argument("--fresh", action="store_true", help="start empty: delete the saved state")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "start":
            status = start(as_json=args.json, fresh=args.fresh)
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

            serve(config.port(), fresh=args.fresh)
    except CliError as exc:
        print(f"localcloud: {exc}", file=sys.stderr)
        return 2
    return 0
