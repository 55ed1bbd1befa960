"""Every lab follows templates/lab_template.ipynb and is committed executed, clean and small."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
REQUIRED_HEADINGS = [
    "Objectives",
    "Prerequisites",
    "Step 1",
    "Troubleshooting",
    "Check yourself",
    "Clean up",
    "Key takeaways",
    "Next",
]


def load(path):
    return json.loads(path.read_text())


def markdown(nb) -> str:
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_there_are_notebooks_and_only_numbered_ones():
    assert NOTEBOOKS
    for p in NOTEBOOKS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name), p.name
    names = [p.name[:2] for p in NOTEBOOKS]
    assert names[0] == "00" and names[-1] == "99" and len(set(names)) == len(names)


@pytest.mark.parametrize("path", NOTEBOOKS + [ROOT / "templates" / "lab_template.ipynb"], ids=lambda p: p.name)
def test_follows_the_template(path):
    nb = load(path)
    md = markdown(nb)
    assert md.lstrip().startswith("# "), "starts with a title"
    headings = re.findall(r"^##+ (.+)$", md, re.M)
    for h in REQUIRED_HEADINGS:
        assert any(x.startswith(h) for x in headings), f"missing heading '## {h}'"
    steps = [int(m) for m in re.findall(r"^## Step (\d+)", md, re.M)]
    assert steps == list(range(1, len(steps) + 1)), f"steps are numbered 1..n in order: {steps}"
    first = "".join(code_cells(nb)[0]["source"])
    number = path.name[:2] if path.parent.name == "notebooks" else "NN"
    assert f'lab.start("{number}")' in first, "first code cell starts the lab with its own number"
    time_line = re.search(r"^\*\*Time:\*\* (?:(?!\n\n).)*", md, re.M | re.S)  # one paragraph
    assert time_line and "local" in time_line[0] and "AWS" in time_line[0], "a time estimate, local and on AWS"
    quiz = [c for c in code_cells(nb) if "selfcheck.quiz(" in "".join(c["source"])]
    assert len(quiz) == 1 and f'selfcheck.quiz("{number}"' in "".join(quiz[0]["source"]), (
        "one quiz, read from helpers/quizzes/NN.toml"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_executed_and_clean(path):
    raw = path.read_text()
    nb = json.loads(raw)
    assert len(raw) < 500_000, "notebooks stay small"
    assert "widgets" not in nb["metadata"], "no widget state (run tools/run_notebooks.py)"
    counts = []
    for cell in code_cells(nb):
        src = "".join(cell["source"])
        assert "sys.path" not in src, "helpers are installed (pip install -e .), never path-hacked"
        assert "execution" not in cell["metadata"], "no execution timestamps"
        assert cell["execution_count"] is not None, f"cell not executed: {src[:60]}"
        counts.append(cell["execution_count"])
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"committed error output in: {src[:60]}"
            assert not re.search(r"/root/|/home/\w+/|/tmp/\w{6,}", json.dumps(out)), "machine path in output"
    assert counts == list(range(1, len(counts) + 1)), "executed top to bottom in one run"
