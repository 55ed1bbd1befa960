"""Self-check questions answered and checked inside the notebook (introduced in 00_setup).

A lab's *Check yourself* section ends with::

    from helpers import selfcheck

    selfcheck.quiz("02")                       # the questions of helpers/quizzes/02.toml
    selfcheck.quiz("00", find_buckets_task)    # ... followed by the lab's code task(s)

Multiple-choice questions are radio buttons with a *Check* button and feedback; a code
task checks the learner's function (looked up by name in the notebook, so the latest
definition counts) with a ``check(fn)`` function that raises ``AssertionError``.  The
answer key lives in ``helpers/quizzes/<name>.toml``, like the answers at the back of a
textbook: out of the cell the learner reads, each right option with a *why* and each
wrong option with its own *why not*, shown when the learner picks it.  A list of
:class:`Choice` objects (``selfcheck.quiz([selfcheck.Choice(...), ...])``) still works.

Saved notebooks and GitHub show a text (and HTML) version listing the questions and
options, never the answers.  :func:`verify` is for tests: it presses the buttons the way
a learner would and fails unless the right answer is accepted and every wrong one rejected.
"""

from __future__ import annotations

import html
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as widgets

from .show import StaticViews

RIGHT = "✓"
WRONG = "✗"
QUIZZES = Path(__file__).resolve().parent / "quizzes"


@dataclass
class Choice:
    """A multiple-choice question; ``answer`` is the index of the right option.

    ``why_not`` maps a wrong option's index to why it is wrong (shown when it is picked).
    """

    question: str
    options: list[str]
    answer: int
    why: str = ""  # shown once the learner picks the right answer
    why_not: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 <= self.answer < len(self.options) or len(self.options) < 2:
            raise ValueError(f"{self.question!r}: answer must index one of at least two options")
        if len(set(self.options)) != len(self.options):
            raise ValueError(f"{self.question!r}: options must differ")
        if self.answer in self.why_not or not set(self.why_not) <= set(range(len(self.options))):
            raise ValueError(f"{self.question!r}: why_not explains wrong options only")

    def feedback(self, picked: int | None) -> tuple[bool, str]:
        if picked is None:
            return False, "Pick an answer first (keyboard: Tab to an option, Space picks it)."
        if picked == self.answer:
            return True, f"{RIGHT} Right. {self.why}".strip()
        reason = self.why_not.get(picked) or "read the question again, or the step it is about."
        return False, f"{WRONG} Not this one: {reason}"


@dataclass
class CodeTask:
    """A small code task: the learner defines ``name``; ``check(fn)`` raises AssertionError if wrong."""

    prompt: str
    name: str
    check: Callable[[Callable], None] = field(repr=False)
    why: str = ""

    def feedback(self, fn: Callable | None) -> tuple[bool, str]:
        if fn is None:
            return False, f"{WRONG} {self.name} is not defined yet: write it in its cell and run that cell."
        try:
            self.check(fn)
        except AssertionError as exc:
            return False, f"{WRONG} Not yet: {exc or 'the result is not what the task asks for'}"
        except Exception as exc:  # the learner's code raised: say what, not a stack trace
            return False, f"{WRONG} Your {self.name} raised {type(exc).__name__}: {exc}"
        return True, f"{RIGHT} {self.name} works. {self.why}".strip()


def _user_function(name: str) -> Callable | None:
    """The learner's current definition of ``name`` in the notebook, if any."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is always installed with the labs
        return None
    shell = get_ipython()
    fn = shell.user_ns.get(name) if shell is not None else None
    return fn if callable(fn) else None


def check_code(task: CodeTask, fn: Callable | None = None) -> None:
    """Run a code task's check now and print the result (a cell right after the exercise).

    It never raises: in the exercise notebook the function may not exist yet.
    """
    print(task.feedback(fn if fn is not None else _user_function(task.name))[1])


class _QuestionView(widgets.VBox):
    def __init__(self, number: int, item: Choice | CodeTask) -> None:
        super().__init__()
        self.item = item
        self.add_class("lab-quiz-question")
        self.feedback = widgets.HTML(layout=widgets.Layout(min_height="1.5em"))
        self.ok: bool | None = None
        if isinstance(item, Choice):
            head = widgets.HTML(f"<strong>{number}.</strong> {html.escape(item.question)}")
            self.radio = widgets.RadioButtons(
                options=list(item.options), value=None, layout=widgets.Layout(width="max-content")
            )
            self.button = widgets.Button(description="Check", tooltip=f"Check your answer to question {number}")
            body = [head, self.radio]
        else:
            head = widgets.HTML(f"<strong>{number}. Code task.</strong> {html.escape(item.prompt)}")
            self.radio = None
            self.button = widgets.Button(
                description="Check my code", tooltip=f"Run the check of {item.name} (question {number})"
            )
            body = [head]
        self.button.on_click(lambda _b: self.check())
        self.children = [*body, widgets.HBox([self.button, self.feedback])]

    def check(self) -> bool:
        if isinstance(self.item, Choice):
            picked = None if self.radio.index is None else self.radio.index
            self.ok, text = self.item.feedback(picked)
        else:
            self.ok, text = self.item.feedback(_user_function(self.item.name))
        self.feedback.value = html.escape(text)
        return self.ok


class Quiz(StaticViews, widgets.VBox):
    """The questions as widgets; text/plain and text/html list them without answers."""

    def __init__(self, questions: list[Choice | CodeTask], title: str = "Check yourself") -> None:
        super().__init__()
        if not questions:
            raise ValueError("a quiz needs at least one question")
        self.add_class("lab-quiz")
        self.title = title
        self.questions = list(questions)
        self.views = [_QuestionView(i, q) for i, q in enumerate(self.questions, 1)]
        intro = widgets.HTML(
            f"<strong>{html.escape(title)}</strong> · pick an answer, then <em>Check</em> "
            f"(keyboard: Tab to an option, Space picks it, Tab to Check, Enter)"
        )
        self.children = [intro, *self.views]

    def as_text(self) -> str:
        lines = [f"{self.title}: {len(self.questions)} question(s); answer them in the live notebook."]
        for i, q in enumerate(self.questions, 1):
            if isinstance(q, Choice):
                lines.append(f"{i}. {q.question}")
                lines += [f"   {chr(ord('a') + j)}) {opt}" for j, opt in enumerate(q.options)]
            else:
                lines.append(f"{i}. Code task: {q.prompt}")
        return "\n".join(lines)

    def as_html(self) -> str:
        e = html.escape
        parts = [
            f'<div class="lab-quiz-static"><p><strong>{e(self.title)}</strong> (answer in the live notebook)</p><ol>'
        ]
        for q in self.questions:
            if isinstance(q, Choice):
                opts = "".join(f"<li>{e(o)}</li>" for o in q.options)
                parts.append(f'<li>{e(q.question)}<ol type="a">{opts}</ol></li>')
            else:
                parts.append(f"<li><em>Code task:</em> {e(q.prompt)}</li>")
        parts.append("</ol></div>")
        return "".join(parts)


class QuizFileError(ValueError):
    """A quiz data file is missing or malformed (the message names the file and the question)."""


def load(name: str) -> tuple[str, list[Choice]]:
    """The title and questions of ``helpers/quizzes/<name>.toml``.

    The file holds ``title`` and ``[[question]]`` tables, each with ``ask`` and its
    ``[[question.option]]`` tables: ``text``, and either ``right = true`` with ``why`` or
    ``why_not``.  Exactly one option is right; every option explains itself.
    """
    path = QUIZZES / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in QUIZZES.glob("*.toml")))
        raise QuizFileError(f"no quiz {name!r}: helpers/quizzes/ has {known}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    questions = []
    for n, q in enumerate(data.get("question", []), 1):
        where = f"{path.name} question {n}"
        options = q.get("option", [])
        right = [i for i, o in enumerate(options) if o.get("right") is True]
        if len(right) != 1:
            raise QuizFileError(f"{where}: exactly one option needs right = true (found {len(right)})")
        (answer,) = right
        why = options[answer].get("why", "")
        missing = [o["text"] for i, o in enumerate(options) if i != answer and not o.get("why_not")]
        if not why or missing:
            raise QuizFileError(f"{where}: the right option needs a why, every wrong one a why_not {missing}")
        try:
            questions.append(
                Choice(
                    q["ask"],
                    [o["text"] for o in options],
                    answer=answer,
                    why=why,
                    why_not={i: o["why_not"] for i, o in enumerate(options) if i != answer},
                )
            )
        except (KeyError, ValueError) as exc:
            raise QuizFileError(f"{where}: {exc}") from exc
    if not questions:
        raise QuizFileError(f"{path.name} has no [[question]]")
    return data.get("title", "Check yourself"), questions


def quiz(questions: str | list[Choice | CodeTask], *tasks: CodeTask, title: str | None = None) -> Quiz:
    """The questions as an interactive quiz (display it as a cell's last expression).

    ``questions`` is a quiz's name (``"02"`` reads ``helpers/quizzes/02.toml``) or a list
    of questions; ``tasks`` (the lab's code tasks) follow the questions.
    """
    if isinstance(questions, str):
        file_title, items = load(questions)
        return Quiz([*items, *tasks], title or file_title)
    return Quiz([*questions, *tasks], title or "Check yourself")


def verify(item: Choice | CodeTask, right: Callable | None = None, wrong: Sequence[Callable] = ()) -> None:
    """For tests: the right answer is accepted and every wrong one rejected.

    A :class:`Choice` is answered through its widget (radio buttons, *Check* button) with
    every option in turn; a :class:`CodeTask` is checked with ``right`` (a correct
    implementation) and each of ``wrong`` (incorrect ones).  Raises AssertionError.
    """
    view = _QuestionView(1, item)
    if isinstance(item, Choice):
        view.radio.index = None
        view.button.click()
        assert view.ok is False, f"{item.question!r}: no answer picked must not pass"
        for i, option in enumerate(item.options):
            view.radio.index = i
            view.button.click()
            expected = i == item.answer
            verdict = "rejected" if expected else "accepted"
            assert view.ok is expected, f"{item.question!r}: option {option!r} {verdict}"
            assert view.feedback.value.startswith(RIGHT if expected else WRONG)
            reason = item.why if expected else item.why_not.get(i, "")
            assert html.escape(reason) in view.feedback.value, f"{item.question!r}: {option!r} hides its explanation"
        return
    if right is None:
        raise ValueError("verify(CodeTask) needs right=, a correct implementation")
    ok, text = item.feedback(right)
    assert ok, f"{item.name}: a correct implementation was rejected: {text}"
    for fn in wrong:
        ok, text = item.feedback(fn)
        assert not ok, f"{item.name}: a wrong implementation ({getattr(fn, '__name__', fn)}) was accepted"
