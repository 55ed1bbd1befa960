"""Real-browser check: JupyterLab in headless Chromium runs 00_setup; the widgets render, nothing errors.

JupyterLab runs on a free loopback port with its own config, runtime, settings and workspace
folders, on a *copy* of notebooks/00_setup.ipynb (the committed outputs stay untouched); its
kernel uses this pytest session's private localcloud (LAB_DIR / LOCALCLOUD_PORT from
conftest.py).  Chromium is Debian's (``make chromium`` installs it), driven by Playwright;
the test skips when either is missing.  Screenshots are kept in .lab/artifacts/:
browser-00_setup.png (the dashboard) and browser-00_setup-quiz.png (a quiz answered by keyboard).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from localcloud.testing import free_port

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "00_setup.ipynb"
CHROMIUM = "/usr/bin/chromium"
ARTIFACT = ROOT / ".lab" / "artifacts" / "browser-00_setup.png"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RUN_TIMEOUT_S = 240  # the whole notebook, run in the browser (generous: CI machines are small)

if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(
        f"no {CHROMIUM}: install Debian's chromium (`make chromium`, needs root) for the browser test",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .)")


def _http(url: str, method: str = "GET", timeout: float = 2.0) -> int | None:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status
    except (urllib.error.URLError, OSError):
        return None


def _pids_mentioning(text: str) -> list[int]:
    """Live processes whose command line mentions ``text`` (kernels name their runtime dir)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes():
                stat = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()
                if stat[0] != "Z":
                    found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def _write_settings(settings: Path) -> None:
    """No news/update pop-ups over the page; every cell attached to the DOM (no windowing); the
    notebook's own kernel starts without a "Select Kernel" dialog (seen on a loaded machine)."""
    for name, doc in {
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        "notebook-extension/tracker": {"windowingMode": "none", "autoStartDefaultKernel": True},
    }.items():
        path = settings / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc))


@pytest.fixture
def jupyterlab(jupyterlab_dir):
    """JupyterLab on a free port over a temp copy of 00_setup; shut down (kernels too) afterwards."""
    return jupyterlab_dir[0]


@pytest.fixture
def jupyterlab_dir(tmp_path):
    """(url, folder it serves, its environment): JupyterLab over a temp copy of 00_setup; shut down
    (kernels too) afterwards."""
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    shutil.copy(NOTEBOOK, nbdir / NOTEBOOK.name)
    runtime = tmp_path / "runtime"
    _write_settings(tmp_path / "settings")
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
        JUPYTER_PLATFORM_DIRS="1",
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "jupyterlab.log", "wb")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter-lab"),
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            "--ServerApp.allow_root=True",
            f"--ServerApp.root_dir={nbdir}",
        ],
        cwd=nbdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while _http(f"{url}/api/status") != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "jupyterlab.log").read_text()[-3000:])
            time.sleep(0.2)
        yield url, nbdir, env
    finally:
        _http(f"{url}/api/shutdown", method="POST")  # stops its kernels too
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        deadline = time.monotonic() + 10
        while (orphans := _pids_mentioning(str(runtime))) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in orphans:
            os.kill(pid, signal.SIGKILL)
        assert not orphans, f"JupyterLab left kernel processes behind: {orphans}"
        from helpers import lab  # a run stopped half-way must not leave lab 00's bucket for other tests

        lab.start("00")
        lab.teardown(lab="00")


def _menu(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_00_setup_runs_in_jupyterlab_and_the_widgets_render(jupyterlab):
    committed = _digest(NOTEBOOK)
    for old in ARTIFACT.parent.glob(f"{ARTIFACT.stem}*.png"):  # never mistake an old picture for this run's
        old.unlink()
    try:
        _run_00_setup_in_browser(jupyterlab)
    except (AssertionError, pytest.fail.Exception, sync_api.Error) as first:
        # A loaded machine can miss one of the browser's timeouts once; a second failure is real.
        print(f"first browser attempt failed, trying once more: {str(first)[:300]}")
        _run_00_setup_in_browser(jupyterlab)
    assert _digest(NOTEBOOK) == committed, "the committed notebook must not change"


def _run_00_setup_in_browser(jupyterlab: str) -> None:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            # A JupyterLab dialog (e.g. "Select Kernel" when kernel specs load slowly) would
            # cover the page: accept its default button whenever one shows up.
            page.add_locator_handler(page.locator(".jp-Dialog"), lambda d: d.locator(".jp-mod-accept").click())
            page.goto(f"{jupyterlab}/lab/tree/{NOTEBOOK.name}")
            page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=60_000)

            # The copy carries the committed outputs: clear them, so what follows is this run's.
            _menu(page, "Edit", "Clear Outputs of All Cells")
            page.wait_for_function(
                "() => ![...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]"
                ".some(p => /\\d/.test(p.textContent))",
                timeout=10_000,
            )
            _menu(page, "Run", "Run All Cells")

            n_code = len([c for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"])
            page.wait_for_function(
                """n => {
                    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
                        .map(p => p.textContent.trim());
                    return prompts.length === n && prompts.every(t => /^\\[\\d+\\]:$/.test(t));
                }""",
                arg=n_code,
                timeout=RUN_TIMEOUT_S * 1000,
            )
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=30_000)

            errors = [
                t
                for t in page.locator(
                    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
                ).all_inner_texts()
                if "Traceback" in t or re.search(r"^\w*(Error|Exception)\b", t, re.M)
            ]
            assert not errors, "a cell failed in the browser:\n" + "\n---\n".join(e[:1500] for e in errors)

            try:  # widgets render asynchronously, after their output arrives
                page.wait_for_selector(".lab-dashboard .widget-gridbox", state="attached", timeout=30_000)
            except sync_api.TimeoutError:
                page.locator(".jp-Notebook h2", has_text="Your lab dashboard").scroll_into_view_if_needed()
                page.screenshot(path=str(ARTIFACT.with_name("browser-00_setup-failed.png")))
                pytest.fail(
                    "the dashboard widget did not render (only its text fallback, or nothing); "
                    "see .lab/artifacts/browser-00_setup-failed.png"
                )
            dash = page.locator(".lab-dashboard")
            assert dash.count() == 1
            dash.scroll_into_view_if_needed()
            assert "aws-de-labs-monthly" in dash.inner_text()
            assert dash.locator("button", has_text="Delete all").count() == 1

            dash.scroll_into_view_if_needed()
            ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACT))

            # The quiz works from the keyboard: Tab to the right option, Space picks it,
            # Tab on to the Check button (ipywidgets makes every option a tab stop), Enter.
            first = page.locator(".lab-quiz .lab-quiz-question").first
            first.scroll_into_view_if_needed()
            first.locator("input[type=radio]").first.focus()
            page.keyboard.press("Tab")
            page.keyboard.press("Space")
            for _ in range(4):
                page.keyboard.press("Tab")
                if page.evaluate("() => document.activeElement.tagName") == "BUTTON":
                    break
            focused = page.evaluate("() => document.activeElement.outerHTML.slice(0, 300)")
            page.keyboard.press("Enter")
            try:
                first.locator("text=✓ Right").wait_for(timeout=10_000)
            except sync_api.TimeoutError:
                page.screenshot(path=str(ARTIFACT.with_name("browser-00_setup-quiz-failed.png")))
                pytest.fail(f"the quiz did not answer the keyboard (focus after Tab: {focused})")
            page.screenshot(path=str(ARTIFACT.with_name("browser-00_setup-quiz.png")))
        finally:
            browser.close()


# ---- lab.diagram(): the committed SVG pictures render in JupyterLab and in `make html` -----------------
DIAGRAM_NOTEBOOK = ROOT / "notebooks" / "09_rds_high_availability.ipynb"  # two diagrams: before/after failover


def _svg_outputs(path: Path) -> list[str]:
    return [
        "".join(o["data"]["image/svg+xml"])
        for c in json.loads(path.read_text())["cells"]
        for o in c.get("outputs", [])
        if "image/svg+xml" in o.get("data", {})
    ]


def _assert_diagrams_drawn(page, selector: str, expected: int, where: str) -> None:
    """Every diagram has a real size on the page: an <svg> with graphviz nodes, or JupyterLab's <img> of it."""
    page.wait_for_selector(selector, state="attached", timeout=60_000)
    svgs = page.locator(selector)
    assert svgs.count() == expected, f"{where}: {svgs.count()} diagrams drawn, {expected} in the notebook"
    for i in range(expected):
        svg = svgs.nth(i)
        svg.scroll_into_view_if_needed()
        box = svg.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 50, f"{where}: diagram {i} has no size: {box}"
        if svg.evaluate("e => e.tagName.toLowerCase()") == "img":  # JupyterLab draws SVG as an image
            assert svg.evaluate("e => e.complete && e.naturalWidth > 0"), f"{where}: diagram {i} did not load"
        else:
            assert svg.locator("g.node").count() >= 2, f"{where}: diagram {i} has no graphviz nodes"


def test_lab_diagrams_render_in_jupyterlab_and_in_static_html(jupyterlab_dir, tmp_path):
    expected = len(_svg_outputs(DIAGRAM_NOTEBOOK))
    assert expected >= 2, "lab 09 draws its topology before and after failover"
    url, nbdir, env = jupyterlab_dir
    copy = nbdir / DIAGRAM_NOTEBOOK.name
    shutil.copy(DIAGRAM_NOTEBOOK, copy)
    # JupyterLab shows SVG only for trusted outputs (a learner's own run is); trust the copy, in the
    # server's own data folder (where it keeps notebook signatures).
    jupyter = str(Path(sys.executable).parent / "jupyter")
    subprocess.run([jupyter, "trust", str(copy)], check=True, capture_output=True, env=env)
    html_dir = tmp_path / "html"  # what `make html` runs
    subprocess.run(
        [str(Path(sys.executable).parent / "jupyter"), "nbconvert", "--to", "html", "--log-level", "WARN"]
        + ["--output-dir", str(html_dir), str(DIAGRAM_NOTEBOOK)],
        check=True,
        capture_output=True,
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.add_locator_handler(page.locator(".jp-Dialog"), lambda d: d.locator(".jp-mod-accept").click())
            page.goto(f"{url}/lab/tree/{copy.name}")
            _assert_diagrams_drawn(page, ".jp-RenderedSVG img, .jp-RenderedSVG svg", expected, "JupyterLab")
            page.goto((html_dir / DIAGRAM_NOTEBOOK.with_suffix(".html").name).as_uri())
            _assert_diagrams_drawn(page, ".jp-RenderedSVG img, .jp-RenderedSVG svg", expected, "make html")
        finally:
            browser.close()
