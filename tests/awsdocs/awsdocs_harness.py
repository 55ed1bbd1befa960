"""Running AWS's own Python examples (vendored unmodified under ``vendor/``, see ``vendor/SOURCE.md``)
against the session's localcloud, without a person at the keyboard.

* :func:`example` imports an example's modules the way its README runs them: from its own folder
  (the current directory, so relative file names and its ``sys.path.append("../..")`` work), with
  the repository's ``python/`` folder on ``sys.path`` for ``demo_tools``; its modules are forgotten
  afterwards (several examples have a module called ``scenario_get_started_instances``).
* :class:`Answers` stands in for the person: ``input()`` (which ``demo_tools.question`` and the
  Glue example's ``Question`` call) is answered by the first rule whose pattern matches the
  prompt; a prompt without a rule fails the test at once, so nothing ever waits for a keyboard.
* :func:`fast_time` shortens the examples' own waits (``time.sleep(360)``, ``wait(10)``); boto3's
  waiters and localcloud keep real time.
"""

from __future__ import annotations

import builtins
import io
import re
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

from helpers import lab

VENDOR = Path(__file__).resolve().parent / "vendor"
PYTHON = VENDOR / "python"
EXAMPLES = PYTHON / "example_code"

REPEATS = 5  # the same prompt this many times in a row: the example keeps rejecting the answer
Answer = str | Callable[[str, str], str]  # a fixed answer, or f(prompt, what the example printed so far)


class Answers:
    """``input()`` for an example: ``rules`` are (regex on the prompt, answer) pairs, first match wins."""

    def __init__(self, rules: list[tuple[str, Answer]], printed: io.StringIO) -> None:
        self.rules = [(re.compile(p), a) for p, a in rules]
        self.printed = printed
        self.asked: list[tuple[str, str]] = []  # (prompt, answer) in order

    def __call__(self, prompt: object = "") -> str:
        text = str(prompt)
        recent = [p for p, _ in self.asked[-REPEATS:]]
        if len(recent) == REPEATS and all(p == text for p in recent):
            raise AssertionError(f"the example asked {text!r} {REPEATS} times: it rejects the answer")
        for pattern, answer in self.rules:
            if pattern.search(text):
                value = answer(text, self.printed.getvalue()) if callable(answer) else answer
                self.asked.append((text, value))
                print(f"{text}{value}")  # as a terminal would show it
                return value
        raise AssertionError(f"the example asked something this test has no answer for: {text!r}")


def choose(option: str) -> Callable[[str, str], str]:
    """Answer a numbered menu (``1. mysql8.0`` lines, also tab-indented as the Glue example prints its
    job list) with ``option``'s number: the examples build some menus from sets, so the number
    differs from run to run."""

    def pick(prompt: str, printed: str) -> str:
        numbered = re.findall(r"^[ \t]*(\d+)\. (.*)$", printed, re.M)
        last_menu = {}
        for number, text in numbered:  # the last menu printed is the one being asked
            if number == "1":
                last_menu = {}
            last_menu[text.strip()] = number
        if option not in last_menu:
            raise AssertionError(f"{option!r} is not among the example's choices {sorted(last_menu)}")
        return last_menu[option]

    return pick


class _Tee(io.TextIOBase):
    def __init__(self, *streams) -> None:
        self.streams = streams

    def write(self, s: str) -> int:
        for st in self.streams:
            st.write(s)
        return len(s)

    def flush(self) -> None:
        for st in self.streams:
            st.flush()


class FastClock:
    """A stand-in for an example module's ``time``: ``sleep(s)`` waits s/factor (at most ``cap``)
    and moves this clock's ``time()`` on by the whole ``s``, so loops timed by the example
    (``while time.time() - start < 2``) run as often as they would in real time."""

    def __init__(self, factor: float = 50.0, cap: float = 0.5) -> None:
        self.factor, self.cap, self.skipped = factor, cap, 0.0

    def sleep(self, seconds: float) -> None:
        real = min(seconds / self.factor, self.cap)
        time.sleep(real)
        self.skipped += seconds - real

    def time(self) -> float:
        return time.time() + self.skipped

    def monotonic(self) -> float:
        return time.monotonic() + self.skipped


def fast_time(factor: float = 50.0, cap: float = 0.5) -> FastClock:
    return FastClock(factor, cap)


@contextmanager
def example(monkeypatch: pytest.MonkeyPatch, folder: str):
    """Run inside an example's folder; yields ``load(module name)``; forgets its modules after."""
    monkeypatch.chdir(EXAMPLES / folder)
    monkeypatch.syspath_prepend(str(PYTHON))
    monkeypatch.syspath_prepend(str(EXAMPLES / folder))  # sys.path is put back afterwards
    before = set(sys.modules)

    def load(name: str) -> ModuleType:
        __import__(name)
        return sys.modules[name]

    try:
        yield load
    finally:
        for name in set(sys.modules) - before:
            path = getattr(sys.modules[name], "__file__", None) or ""
            if path.startswith(str(VENDOR)):
                del sys.modules[name]


def install_answers(monkeypatch: pytest.MonkeyPatch, printed: io.StringIO, rules: list[tuple[str, Answer]]) -> Answers:
    """Answer ``input()`` with ``rules`` and copy what the example prints into ``printed``."""
    monkeypatch.setattr(sys, "stdout", _Tee(sys.stdout, printed))
    a = Answers(rules, printed)
    monkeypatch.setattr(builtins, "input", a)
    return a


@pytest.fixture
def answers(monkeypatch):
    """``answers(rules)`` installs an :class:`Answers` as ``input`` (and a copy of stdout it reads)."""
    printed = io.StringIO()

    def install(rules: list[tuple[str, Answer]]) -> Answers:
        # installed from the test body: pytest's output capture is in place by then
        return install_answers(monkeypatch, printed, rules)

    install.printed = printed
    return install


@pytest.fixture(scope="session")
def local_target():
    """The session's localcloud as the examples' default boto3 session sees it (``lab.start``)."""
    return lab.start("00")
