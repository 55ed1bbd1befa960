"""JupyterLab as `make lab` starts it (`jupyter lab --config=tools/jupyter/jupyter_server_config.py`).

The server's root is the project folder, so the file browser shows notebooks/, exercises/ and the
README, and every terminal it opens runs tools/jupyter/terminal.bashrc: it starts in the project
folder whatever folder the browser shows (the labs print paths relative to it, e.g. lab 01's
``ssh -i .lab/keys/...``), with .venv/bin first on PATH and, on the local target, the aws CLI
pointed at this course's localcloud.  The dev container and Binder use the same file.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TERMINAL_RC = Path(__file__).resolve().with_name("terminal.bashrc")

c = get_config()  # type: ignore[name-defined]  # noqa: F821  (traitlets provides it)
c.ServerApp.root_dir = str(ROOT)
# bash with the course's rc file, interactive; the learner's ~/.bashrc is read first by that file.
c.ServerApp.terminado_settings = {"shell_command": ["bash", "--rcfile", str(TERMINAL_RC), "-i"]}
