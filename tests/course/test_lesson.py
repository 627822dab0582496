"""tinynn.course.Lesson run as a script: settings, the printed section notes, figures; and every
lesson in lessons/ uses it the same way (no lesson imports a helper by path)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tinynn.course.script import read_cells

LESSONS = Path(__file__).resolve().parents[2] / "lessons"

TOY = '''# %% [markdown]
# # Lesson 98: a toy
#
# A toy lesson that checks the course helpers end to end. Nothing else here.

# %%
import matplotlib.pyplot as plt

from tinynn.course import Lesson, Progress

lesson = Lesson(98, "a toy", full_takes="no time")
print("settings:", lesson.full, lesson.seed, lesson.figures, lesson.script.name)

# %% [markdown]
# ## The first section
# What to look for: a figure saved.

# %%
lesson.section()
fig, ax = plt.subplots()
ax.plot([0, 1], [1, 0])
print("save returns", lesson.save(fig, "line.png"))
progress = Progress(10, lines=2, label="step")
for step in range(1, 11):
    progress(step, loss=1.0 / step)
lesson.summary(value=1.5)
'''


def run_toy(tmp_path, *args, env=None):
    script = tmp_path / "98_toy.py"
    script.write_text(TOY)
    environment = dict(os.environ, MPLBACKEND="Agg")
    environment.pop("TINYNN_FULL", None)
    environment.update(env or {})
    result = subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_a_script_prints_each_section_before_its_output(tmp_path):
    stdout = run_toy(tmp_path)
    lines = stdout.splitlines()
    assert lines[0] == "Lesson 98: a toy  (quick mode; --full trains longer; figures go to figures/98)"
    assert lines[1] == "A toy lesson that checks the course helpers end to end. Nothing else here."  # short: whole
    assert lines[2] == "settings: False 0 figures/98 98_toy.py"
    section = lines.index("The first section")
    assert lines[section + 1:section + 3] == ["-----------------", "What to look for: a figure saved."]
    assert lines[section + 3] == "  figure saved: figures/98/line.png" and lines[section + 4] == "save returns None"
    assert (tmp_path / "figures" / "98" / "line.png").stat().st_size > 0   # beside where it runs
    assert [line.split()[1] for line in lines if line.startswith("  step")] == ["5/10", "10/10"]
    assert json.loads(lines[-1][len("summary: "):])["value"] == 1.5


def test_full_mode_from_the_flag_or_the_environment_and_other_arguments(tmp_path):
    assert "settings: True 0" in run_toy(tmp_path, "--full")
    assert "settings: True 0" in run_toy(tmp_path, env={"TINYNN_FULL": "1"})
    assert "settings: False 0" in run_toy(tmp_path, env={"TINYNN_FULL": "0"})
    stdout = run_toy(tmp_path, "--seed", "3", "--figures", str(tmp_path / "elsewhere"))
    assert f"settings: False 3 {tmp_path / 'elsewhere'}" in stdout
    assert (tmp_path / "elsewhere" / "line.png").exists()


def test_a_quiet_lesson_prints_nothing_of_its_own(tmp_path, capsys):
    from tinynn.course import Lesson

    lesson = Lesson(97, "quiet", quiet=True)
    lesson.section()
    assert capsys.readouterr().out == ""
    assert not lesson.notebook and not (Path.cwd() / "figures" / "97").exists()


@pytest.mark.parametrize("script", sorted(LESSONS.glob("[0-9][0-9]_*.py")), ids=lambda p: p.name[:2])
def test_every_lesson_uses_the_course_helpers_and_opens_each_section(script):
    source = script.read_text()
    assert "_common" not in source and "__file__" not in source      # it runs wherever it is written
    assert re.search(r"^from tinynn\.course import .*Lesson", source, re.M)
    lines = source.splitlines()
    made = next(i for i, line in enumerate(lines, 1) if line.startswith("lesson = Lesson("))
    cells = read_cells(script)
    for before, cell in zip(cells, cells[1:]):
        if cell.kind == "code" and before.kind == "markdown" and cell.line > made:
            first = next(line for line in lines[cell.line:] if line.strip())
            assert first == "lesson.section()", f"{script.name}: the code cell at line {cell.line}"
