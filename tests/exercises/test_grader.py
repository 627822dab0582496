"""The grader: the reference solutions pass, planted mistakes are caught and named, unfinished work is
reported as not done, and the command line's exit codes and JSON are what an autograder needs."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import assert_declarations
from tinynn.exercises.__main__ import main
from tinynn.exercises.catalog import STUDENT_DIR

EXERCISES = exercises.all_exercises()

# (exercise, text in the reference solution, what it becomes, the function whose check must fail,
#  words the failure message must contain). The first of each exercise is the classic mistake.
MUTANTS = [
    ("02", "return grad * y * (1 - y)", "return grad * y", "Sigmoid.backward",
     ["gradient of x", "analytic", "numeric", "the factor (1 - y) is missing"]),
    ("02", "    z = np.exp(-np.abs(x))", "    return 1 / (1 + np.exp(-x))\n    z = 0", "sigmoid",
     ["FloatingPointError: overflow", "line", "stable form"]),
    ("03", "grad_weight = grad.T @ x ", "grad_weight = x.T @ grad ", "LinearFunction.backward",
     ["gradient of weight", "shape (3, 2) but expected (2, 3)", "transposed?"]),
    ("03", "grad_bias = grad.sum(0) if", "grad_bias = grad if", "LinearFunction.backward",
     ["gradient of bias", "forgot to sum over the batch dimension"]),
    ("07", "grad * tinynn.tensor((probs - one_hot) / n)", "grad * tinynn.tensor(probs / n)",
     "SoftmaxCrossEntropy.backward", ["gradient of logits", "first at index", "one-hot targets are not subtracted"]),
    ("13", "cols[a, e] = xpad[", "cols[:, a, e] = xpad[", "im2col", ["cols:", "first at index", "(c, a, e), channel first"]),
    ("13", "e:e + stride * (wo - 1) + 1:stride, :] += cols[a, e]", "e:e + stride * (wo - 1) + 1:stride, :] = cols[a, e]",
     "col2im", ["gradient of x", "'=' where overlapping windows need '+='"]),
    ("14", "+= dy * (winner == a * k + e)", "+= dy", "max_pool2d_backward",
     ["gradient of x", "dy sent to every position of its window"]),
    ("14", "better = x[offset(a, e)] > best", "better = x[offset(a, e)] >= best", "max_pool2d_backward",
     ["on a tie", "the last maximum of a tied window"]),
    ("18", "a_i, a_f, a_g, a_o = gates.chunk(4, dim=1)", "a_f, a_i, a_g, a_o = gates.chunk(4, dim=1)", "lstm_cell",
     ["lstm_cell: h'", "the forget and input gates swapped"]),
    ("18", "    return h_next, c_next", "    return tinynn.tensor(h_next.detach().numpy()), c_next", "lstm_cell",
     ["not connected to the autograd graph"]),
    ("19", "scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))", "scores = q @ k.transpose(-2, -1)",
     "attention_weights", ["weights:", "without the 1/sqrt(E) scale"]),
    ("19", "masked_fill(~mask, float(\"-inf\"))\n    return scores.softmax(dim=-1)\n",
     "masked_fill(mask, float(\"-inf\"))\n    return scores.softmax(dim=-1)\n", "attention_weights", ["the mask inverted"]),
    ("09", "m_hat = exp_avg / (1 - beta1 ** step)\n    v_hat = exp_avg_sq / (1 - beta2 ** step)",
     "m_hat = exp_avg\n    v_hat = exp_avg_sq", "adam_step", ["the update", "without the bias corrections"]),
    ("09", "(np.sqrt(v_hat) + eps)", "np.sqrt(v_hat + eps)", "adam_step", ["eps inside the square root"]),
    ("31", "(x @ self.lora_A.T) @ self.lora_B.T * self.scaling", "(x @ self.lora_A.T) @ self.lora_B.T",
     "LoRALinear.forward", ["y:", "without the alpha / r scaling"]),
    ("31", "self.weight = nn.Parameter(base.weight.detach(), requires_grad=False)",
     "self.weight = nn.Parameter(base.weight.detach())", "LoRALinear.__init__", ["weight.requires_grad is True"]),
    ("32", "np.clip(np.round(w / scale), -127, 127)", "np.clip(np.floor(w / scale), -127, 127)", "quantize",
     ["q:", "floor instead of round-to-nearest"]),
    ("32", "np.clip(np.round(w / scale), -127, 127)", "np.round(w / scale)", "quantize", ["no clamp"]),
]


def _mutant(tmp_path, number: str, old: str, new: str):
    source = exercises.find(number).source.read_text()
    assert source.count(old) == 1, f"the planted change no longer applies to exercise {number}: {old!r}"
    path = tmp_path / f"mutant_{number}.py"
    path.write_text(source.replace(old, new))
    return path


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.stem)
def test_reference_solution_passes(exercise):
    report = exercises.check(exercise.number, exercise.source)
    failures = [f"{r.function}: {r.name}: {r.message}" for r in report.results if r.status != "pass"]
    assert report.passed, "\n".join(failures)
    assert len(report.results) >= 5
    assert report.summary().startswith(f"exercise {exercise.number} passed: {len(report.results)} of {len(report.results)} "
                                       "checks")
    functions_checked = {r.function for r in report.results}
    assert set(exercise.functions) <= functions_checked, "a student function that no check exercises"


@pytest.mark.parametrize("number, old, new, function, words", MUTANTS,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MUTANTS)])
def test_planted_mistake_is_caught_and_named(tmp_path, number, old, new, function, words):
    report = exercises.check(number, _mutant(tmp_path, number, old, new))
    assert not report.passed
    failed = [r for r in report.results if r.status in ("fail", "error") and r.function == function]
    assert failed, f"no failed check of {function}: {[(r.function, r.status) for r in report.results]}"
    message = failed[0].message
    for word in words:
        assert word in message, f"{word!r} not in: {message}"
    assert report.summary().startswith(f"exercise {number} failed:")


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.stem)
def test_every_exercise_declares_a_lesson_parts_and_forbidden_names_that_exist(exercise):
    assert_declarations(exercise, exercise.lesson)
    assert 0 <= exercise.lesson <= 24


def test_the_exercises_follow_the_lessons():
    lessons = [e.lesson for e in EXERCISES]
    assert lessons == sorted(lessons) and set(range(1, 25)) <= set(lessons)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.stem)
def test_untouched_student_file_is_not_done_for_each_function(exercise):
    report = exercises.check(exercise.number)           # the file in lessons/exercises
    assert report.file == str(STUDENT_DIR / exercise.source.name)
    assert not report.passed
    assert all(r.status == "not_done" for r in report.results)
    assert report.not_done_functions() == exercise.functions
    text = report.to_text()
    for function in exercise.functions:
        assert f"todo  {function}: not done yet" in text
    assert f"NotImplementedError: exercise {exercise.number}: {exercise.functions[0]}" in text
    assert f"({len(report.results)} not done yet)" in text.splitlines()[-1]
    assert main(["check", exercise.number]) == 1


def test_a_file_that_does_not_import_is_reported_with_its_line(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import numpy as np\n\ndef sigmoid(x)\n    return x\n")
    report = exercises.check("02", path)
    assert not report.passed and report.results[0].status == "error"
    assert "SyntaxError" in report.results[0].message and "line 3" in report.results[0].message


def test_a_renamed_function_is_reported(tmp_path):
    path = _mutant(tmp_path, "14", "def max_pool2d(", "def maxpool(")
    report = exercises.check("14", path)
    messages = [r.message for r in report.results if r.function == "max_pool2d"]
    assert messages and "your file has no 'max_pool2d'" in messages[0]


def test_cli_exit_codes_and_json(tmp_path, capsys):
    source = exercises.find("09").source
    assert main(["check", "9", str(source)]) == 0
    assert "exercise 09 passed: 15 of 15 checks" in capsys.readouterr().out
    assert main(["check", "09", str(source), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["passed"] is True and result["checks_passed"] == result["checks_total"] == 15
    assert {c["status"] for c in result["checks"]} == {"pass"}

    mutant = _mutant(tmp_path, *MUTANTS[2][:3])
    assert main(["check", "03", str(mutant), "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["passed"] is False and result["not_done"] == []
    failed = [c for c in result["checks"] if c["status"] == "fail"]
    assert failed and failed[0]["function"] == "LinearFunction.backward" and "transposed?" in failed[0]["message"]

    assert main(["check", "99", str(source)]) == 2
    assert "there is no exercise '99'" in capsys.readouterr().err
    assert main(["check", "09", str(tmp_path / "missing.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["grade", "09"])
    assert exit_info.value.code == 2
    assert main(["build", "--check"]) == 0
    assert main(["list"]) == 0 and "quantization in NumPy: int8 absmax" in capsys.readouterr().out
    assert main(["show", "e13"]) == 0 and "im2col" in capsys.readouterr().out


def test_cli_as_a_program():
    """One real process: `python -m tinynn.exercises check` as an autograder would call it."""
    source = exercises.find("02").source
    done = subprocess.run([sys.executable, "-m", "tinynn.exercises", "check", "02", str(source)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("exercise 02 passed: 27 of 27 checks")
    todo = subprocess.run([sys.executable, "-m", "tinynn.exercises", "check", "02"],
                          capture_output=True, text=True, timeout=120)
    assert todo.returncode == 1 and "not done yet" in todo.stdout
