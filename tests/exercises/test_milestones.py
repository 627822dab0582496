"""Milestones (tinynn/exercises/milestones/): with the reference solutions in place of a student's files,
every milestone uses the student's parts only and reaches its target; a wrong or missing part falls
back to tinynn's and says which exercise to go back to."""
import sys

import pytest

from tinynn.exercises.classroom import solutions
from tinynn.exercises.milestones import MILESTONES, module_of, run_milestone

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the sandbox's limits need POSIX")


@pytest.fixture(scope="module")
def student_folder(tmp_path_factory):
    """A complete 'student' folder: every exercise's reference solution."""
    folder = tmp_path_factory.mktemp("student")
    solutions(folder)
    return folder


@pytest.mark.parametrize("number", sorted(MILESTONES))
def test_milestone_reaches_its_target_with_the_students_parts(number, student_folder):
    lines = []
    result = run_milestone(number, use=student_folder, log=lines.append)
    assert result.reached, "\n".join(lines)
    assert result.yours == list(module_of(number).PARTS), "\n".join(lines)   # every part was the student's
    text = "\n".join(lines)
    assert f"milestone {number}:" in text and "reached" in text and "your parts:" in text


def test_a_wrong_part_falls_back_to_tinynns_and_names_the_exercise(tmp_path, student_folder):
    for path in student_folder.glob("e*.py"):
        (tmp_path / path.name).write_text(path.read_text())
    linear = tmp_path / "e03_linear.py"
    linear.write_text(linear.read_text().replace("grad_x = grad @ weight", "grad_x = grad @ weight * 2", 1))
    (tmp_path / "e07_softmax_cross_entropy.py").unlink()
    lines = []
    result = run_milestone(1, use=tmp_path, log=lines.append)
    parts = result.parts
    assert parts["linear"].owner == "tinynn's" and "go back to exercise 03" in parts["linear"].note
    assert parts["cross_entropy"].owner == "tinynn's" and "do exercise 07" in parts["cross_entropy"].note
    assert parts["sgd"].owner == "yours"
    assert result.reached                                   # tinynn's parts stand in, so the model still learns
    assert "go back to exercise 03" in "\n".join(lines)


def test_the_gpt_milestone_runs_exercise_19s_attention_inside_exercise_20s():
    """Exercise 20 calls a module-level scaled_dot_product_attention; milestone 4 rebinds it to the part."""
    import tinynn
    from tinynn.exercises.milestones.m4_gpt import _GPT
    from tinynn.exercises.milestones.parts import load_parts

    parts = load_parts(module_of(4).PARTS)
    calls = []
    attention = parts["attention"].impl.scaled_dot_product_attention

    def recording(*args, **kwargs):
        calls.append(args[0].shape)
        return attention(*args, **kwargs)

    parts["attention"].impl.scaled_dot_product_attention = recording
    model = _GPT(parts, vocab=11)
    logits = model.logits(tinynn.zeros(2, 5, dtype=tinynn.int64))
    assert logits.shape == (2, 5, 11)
    assert len(calls) == 2 and calls[0] == (2, 4, 5, 16)                 # one per block: (N, heads, L, d)
    import tinynn.exercises.source.e20_multihead_attention as e20
    assert e20.scaled_dot_product_attention is tinynn.nn.functional.scaled_dot_product_attention   # unchanged
