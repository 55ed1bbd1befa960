"""Run a Python script whose processes cannot outlive it: ``python -P childns.py SCRIPT [args...]``.

Learner code that localcloud runs as a process (Lambda handlers in their worker, Glue job scripts
in the Spark worker and in Python shell runs) may start processes of its own, even double-forked
``setsid`` daemons.  This launcher makes a new PID namespace and runs SCRIPT as ``__main__`` in
its first process (the namespace's init): when that process ends (run finished or stopped, worker
replaced, ``localcloud stop``) the kernel kills everything else in the namespace.  The launcher
stays outside as a thin parent: it passes SIGTERM/SIGINT/SIGHUP on, exits as the script did, and
the script's process gets ``PR_SET_PDEATHSIG`` so a SIGKILLed launcher (a daemon crash, a memory
kill) takes the whole namespace with it.

Why not ``unshare`` in the script's own process: after ``unshare(CLONE_NEWPID)`` a process can no
longer create threads (clone(2): EINVAL for CLONE_THREAD), and learner code uses threads (boto3's
S3 transfers, Spark's py4j).  The namespace's init can.

Standard library only: it runs first, with ``-P``/``-I`` (no sys.path entry for the script's folder).
"""

from __future__ import annotations

import ctypes
import os
import runpy
import select
import signal
import sys

_CLONE_NEWUSER, _CLONE_NEWPID, _PR_SET_PDEATHSIG = 0x10000000, 0x20000000, 1
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _new_pid_namespace(libc: ctypes.CDLL) -> str | None:
    """Children made from now on start a new PID namespace; returns why not, or None."""
    uid, gid = os.getuid(), os.getgid()
    flags = _CLONE_NEWPID if os.geteuid() == 0 else _CLONE_NEWPID | _CLONE_NEWUSER  # needs a single thread
    if libc.unshare(flags) != 0:
        return os.strerror(ctypes.get_errno())
    if flags & _CLONE_NEWUSER:  # the same uid inside: files and sockets work as before
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as fh:
                fh.write(text)
    return None


def _run_script(script: str, args: list[str]) -> None:
    sys.argv = [script, *args]
    runpy.run_path(script, run_name="__main__")


def run_confined(script: str, args: list[str]) -> int:
    """Run ``script`` in a new PID namespace as described above; returns the launcher's exit code."""
    libc = ctypes.CDLL(None, use_errno=True)
    why_not = _new_pid_namespace(libc)
    if why_not is not None:  # no namespaces here: as before, children are not confined
        print(f"localcloud: the processes this code starts are not confined ({why_not})", file=sys.stderr)
        _run_script(script, args)
        return 0
    ready_r, ready_w = os.pipe()
    alive_r, alive_w = os.pipe()  # the launcher holds alive_w until it exits
    pid = os.fork()
    if pid == 0:  # pid 1 of the new namespace: the script itself (getppid() is 0 in here)
        os.close(ready_r)
        os.close(alive_w)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if select.select([alive_r], [], [], 0)[0]:
            os._exit(137)  # EOF: the launcher died before PR_SET_PDEATHSIG took hold
        os.close(alive_r)
        # An init ignores every signal it has no handler for: restore the usual endings.
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, lambda signum, frame: os._exit(128 + signum))
        os.close(ready_w)
        _run_script(script, args)  # SystemExit and exceptions end this process the usual way
        return 0
    os.close(ready_w)
    os.close(alive_r)
    for sig in FORWARDED:
        signal.signal(sig, lambda signum, frame: os.kill(pid, signum))
    os.read(ready_r, 1)  # the script's handlers are in place before we forward anything
    os.close(ready_r)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)  # end the way the script ended (a Popen sees -SIG)
        return 128 + sig
    return os.waitstatus_to_exitcode(status)


def main() -> None:
    script, *args = sys.argv[1:]
    sys.exit(run_confined(script, args))


if __name__ == "__main__":
    main()
