"""helpers.selfcheck: right answers accepted, wrong ones rejected, text fallback without answers."""

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers import selfcheck

ROOT = Path(__file__).resolve().parent.parent


def _q():
    return selfcheck.Choice(
        "Which region takes no LocationConstraint?",
        ["eu-west-1", "us-east-1", "ap-south-1"],
        answer=1,
        why="us-east-1 is S3's original region.",
    )


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
    assert text == (
        "Check yourself: 2 question(s); answer them in the live notebook.\n"
        "1. Which region takes no LocationConstraint?\n"
        "   a) eu-west-1\n   b) us-east-1\n   c) ap-south-1\n"
        "2. Code task: Write is_even(n)."
    )
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


def _capture(captured):
    """A stand-in for selfcheck.quiz: collects the questions (a quiz file's, or a list's) and tasks."""

    def quiz(questions, *tasks, **_kw):
        captured.extend(selfcheck.load(questions)[1] if isinstance(questions, str) else questions)
        captured.extend(tasks)

    return quiz


@pytest.mark.skipif(not QUIZZES, reason="no notebook has a quiz yet")
@pytest.mark.parametrize("name,cell_id,src", QUIZZES, ids=[f"{n}:{c}" for n, c, _ in QUIZZES])
def test_every_notebook_question_accepts_its_answer_and_rejects_the_others(name, cell_id, src):
    captured = []
    fake = SimpleNamespace(Choice=selfcheck.Choice, CodeTask=selfcheck.CodeTask, quiz=_capture(captured))
    src = re.sub(r"^from helpers import selfcheck\s*$", "", src, flags=re.M)
    exec(compile(src, f"{name}:{cell_id}", "exec"), {"__builtins__": __builtins__}, _Anything(selfcheck=fake))
    choices = [q for q in captured if isinstance(q, selfcheck.Choice)]
    assert choices, "a quiz has at least one multiple-choice question"
    for q in choices:
        selfcheck.verify(q)
    assert len({q.answer for q in choices}) > 1 or len(choices) == 1, "the right answer is not always the same letter"


# --- quiz data files: the answer keys kept out of the notebooks (issue 19) -----------------------

QUIZ_FILES = sorted(p.stem for p in selfcheck.QUIZZES.glob("*.toml"))


def test_there_are_quiz_files():
    assert {"00", "01", "02", "03", "04", "07", "09", "99"} <= set(QUIZ_FILES)


@pytest.mark.parametrize("name", QUIZ_FILES)
def test_every_quiz_file_loads_explains_every_option_and_varies_the_answer(name):
    title, questions = selfcheck.load(name)
    assert title.startswith("Check yourself")
    for q in questions:
        assert 0 <= q.answer < len(q.options) >= 3, f"{q.question!r}: three options or more, answer in range"
        assert q.why.strip(), f"{q.question!r}: the right option explains itself"
        wrong = set(range(len(q.options))) - {q.answer}
        assert set(q.why_not) == wrong and all(q.why_not[i].strip() for i in wrong), (
            f"{q.question!r}: every wrong option needs its own why_not"
        )
        assert len(set(q.why_not.values())) == len(wrong), f"{q.question!r}: each why_not says its own thing"
        selfcheck.verify(q)  # through the widget: the right one accepted with its why, each wrong with its why-not
    assert len({q.answer for q in questions}) > 1 or len(questions) == 1, "the right answer is not always the same"


def test_a_quiz_by_name_renders_like_the_list_form_and_takes_code_tasks_last():
    title, questions = selfcheck.load("02")
    by_name = selfcheck.quiz("02", _is_even_task())
    as_list = selfcheck.quiz([*questions, _is_even_task()], title=title)
    assert by_name.as_text() == as_list.as_text() and by_name.as_html() == as_list.as_html()
    assert by_name.as_text().endswith("Code task: Write is_even(n).")
    for q in questions:  # the static views never give the key away
        assert q.why not in by_name.as_text() and q.why not in by_name.as_html()
    assert selfcheck.quiz("04").title == "Check yourself · Athena"
    assert selfcheck.quiz("04", title="Other").title == "Other"


def test_a_wrong_pick_says_why_not():
    _title, questions = selfcheck.load("00")
    q = questions[0]
    wrong = next(i for i in range(len(q.options)) if i != q.answer)
    ok, text = q.feedback(wrong)
    assert not ok and text == f"✗ Not this one: {q.why_not[wrong]}"


def test_bad_quiz_files_are_refused_with_the_file_and_question(tmp_path, monkeypatch):
    monkeypatch.setattr(selfcheck, "QUIZZES", tmp_path)
    (tmp_path / "two_right.toml").write_text(
        '[[question]]\nask = "?"\n[[question.option]]\ntext = "a"\nright = true\nwhy = "w"\n'
        '[[question.option]]\ntext = "b"\nright = true\nwhy = "w"\n'
    )
    (tmp_path / "no_why_not.toml").write_text(
        '[[question]]\nask = "?"\n[[question.option]]\ntext = "a"\nright = true\nwhy = "w"\n'
        '[[question.option]]\ntext = "b"\n'
    )
    with pytest.raises(selfcheck.QuizFileError, match="two_right.toml question 1: exactly one"):
        selfcheck.load("two_right")
    with pytest.raises(selfcheck.QuizFileError, match="no_why_not.toml question 1: .*why_not"):
        selfcheck.load("no_why_not")
    with pytest.raises(selfcheck.QuizFileError, match="no quiz 'nope'"):
        selfcheck.quiz("nope")


def test_no_notebook_shows_an_answer_key():
    leaks = [
        f"{path.relative_to(ROOT)}:{cell.get('id')}"
        for folder in ("notebooks", "exercises")
        for path in sorted((ROOT / folder).glob("*.ipynb"))
        for cell in json.loads(path.read_text())["cells"]
        if cell["cell_type"] == "code"
        and re.search(r"selfcheck\.Choice\(|\banswer\s*=\s*\d+\s*[,)]", "".join(cell["source"]))
    ]
    assert not leaks, f"answer keys in notebook cells (move them to helpers/quizzes/): {leaks}"
