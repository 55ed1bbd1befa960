"""helpers.selfcheck: right answers accepted, wrong ones rejected, text fallback without answers."""

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers import selfcheck

ROOT = Path(__file__).resolve().parent.parent


def _q():
    return selfcheck.Choice("Which region takes no LocationConstraint?", ["eu-west-1", "us-east-1", "ap-south-1"],
                            answer=1, why="us-east-1 is S3's original region.")


def _is_even_task():
    def check(fn):
        assert fn(2) is True and fn(3) is False, "is_even(2) is True and is_even(3) is False"
    return selfcheck.CodeTask("Write is_even(n).", "is_even", check=check)


def test_choice_accepts_the_right_option_only():
    q = _q()
    assert q.feedback(1) == (True, "✓ Right. us-east-1 is S3's original region.")
    assert not q.feedback(0)[0] and not q.feedback(2)[0] and not q.feedback(None)[0]
    selfcheck.verify(q)  # through the widget: radio buttons + Check button


def test_verify_catches_a_question_that_accepts_a_wrong_answer(monkeypatch):
    q = _q()
    monkeypatch.setattr(q, "feedback", lambda picked: (picked is not None, "✓"))
    with pytest.raises(AssertionError, match="accepted"):
        selfcheck.verify(q)


def test_badly_written_questions_are_refused():
    with pytest.raises(ValueError):
        selfcheck.Choice("?", ["a", "b"], answer=2)
    with pytest.raises(ValueError):
        selfcheck.Choice("?", ["a", "a"], answer=0)
    with pytest.raises(ValueError):
        selfcheck.quiz([])


def test_code_task_checks_the_learners_function(capsys):
    task = _is_even_task()
    selfcheck.verify(task, right=lambda n: n % 2 == 0, wrong=[lambda n: True, lambda n: n % 2])
    ok, text = task.feedback(lambda n: 1 / 0)
    assert not ok and "ZeroDivisionError" in text
    ok, text = task.feedback(None)
    assert not ok and "not defined yet" in text
    selfcheck.check_code(task, lambda n: n % 2 == 1)
    assert capsys.readouterr().out.startswith("✗ Not yet: is_even(2) is True")
    with pytest.raises(AssertionError, match="was accepted"):
        selfcheck.verify(task, right=lambda n: n % 2 == 0, wrong=[lambda n: n % 2 == 0])


def test_code_task_finds_the_function_by_name_in_the_notebook(monkeypatch, capsys):
    ns = {}
    monkeypatch.setattr(selfcheck, "_user_function", lambda name: ns.get(name))
    task = _is_even_task()
    view = selfcheck.quiz([task]).views[0]
    assert view.check() is False and "not defined yet" in view.feedback.value
    ns["is_even"] = lambda n: n % 2 == 0  # the learner defines it; the same button now passes
    view.button.click()
    assert view.ok is True and view.feedback.value.startswith("✓")


def test_text_fallback_lists_questions_and_options_without_answers():
    quiz = selfcheck.quiz([_q(), _is_even_task()])
    assert "lab-quiz" in quiz._dom_classes
    text = quiz.as_text()
    assert text == ("Check yourself: 2 question(s); answer them in the live notebook.\n"
                    "1. Which region takes no LocationConstraint?\n"
                    "   a) eu-west-1\n   b) us-east-1\n   c) ap-south-1\n"
                    "2. Code task: Write is_even(n).")
    bundle = quiz._repr_mimebundle_()
    assert bundle["text/plain"] == text and "application/vnd.jupyter.widget-view+json" in bundle
    assert "original region" not in bundle["text/html"] and "original region" not in text
    buttons = [v.button for v in quiz.views]
    assert all(b.description and b.tooltip for b in buttons)


def _notebook_quizzes():
    """(notebook, cell id, questions) for every selfcheck.quiz([...]) cell in the labs."""
    found = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            src = "".join(cell["source"])
            if cell["cell_type"] == "code" and "selfcheck.quiz(" in src:
                found.append((path.name, cell.get("id"), src))
    return found


QUIZZES = _notebook_quizzes()


class _Anything(dict):
    """Names a quiz cell takes from earlier cells (code tasks, clients): stand-ins."""

    def __missing__(self, key):
        return SimpleNamespace(name=key)


@pytest.mark.skipif(not QUIZZES, reason="no notebook has a quiz yet")
@pytest.mark.parametrize("name,cell_id,src", QUIZZES, ids=[f"{n}:{c}" for n, c, _ in QUIZZES])
def test_every_notebook_question_accepts_its_answer_and_rejects_the_others(name, cell_id, src):
    captured = []
    fake = SimpleNamespace(Choice=selfcheck.Choice, CodeTask=selfcheck.CodeTask,
                           quiz=lambda qs, *a, **k: captured.extend(qs))
    src = re.sub(r"^from helpers import selfcheck\s*$", "", src, flags=re.M)
    exec(compile(src, f"{name}:{cell_id}", "exec"), {"__builtins__": __builtins__}, _Anything(selfcheck=fake))
    choices = [q for q in captured if isinstance(q, selfcheck.Choice)]
    assert choices, "a quiz has at least one multiple-choice question"
    for q in choices:
        selfcheck.verify(q)
    assert len({q.answer for q in choices}) > 1 or len(choices) == 1, "the right answer is not always the same letter"
