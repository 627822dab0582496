"""Exercise 29, the GCN layer: the reference passes every check, the student file is reported not done,
and planted mistakes (repeated edges counted once, a missing transpose, NaN for an isolated node, no
self-loops, the bias before the propagation, a detour through NumPy, the library's GCNConv) fail with a
message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e29_gcn_layer")
FUNCTIONS = ["edge_index_to_adjacency", "normalized_adjacency", "gcn_layer"]

MUTANTS = [
    ("    np.add.at(adjacency, (edge_index[0], edge_index[1]), 1.0)",
     "    adjacency[edge_index[0], edge_index[1]] += 1.0", "edge_index_to_adjacency",
     ["a repeated edge", "A:", "expected 2, got 1", "each repeated edge counted once"]),
    ("    a_hat = adjacency.T  ", "    a_hat = adjacency  ", "normalized_adjacency",
     ["a directed graph", "P:", "with Â not transposed"]),
    ("    degree = a_hat.sum(axis=1)  ", "    return a_hat / a_hat.sum(axis=1, keepdims=True)  ",
     "normalized_adjacency", ["the mean over the neighbours, instead of the symmetric"]),
    ("    inv_sqrt = np.zeros_like(degree)\n    inv_sqrt[degree > 0] = 1.0 / np.sqrt(degree[degree > 0])",
     "    inv_sqrt = 1.0 / np.sqrt(degree)", "normalized_adjacency",
     ["an isolated node 3", "add_self_loops=False", "you have nan values"]),
    ("    if add_self_loops:\n        a_hat = a_hat + np.eye", "    if False:\n        a_hat = a_hat + np.eye",
     "normalized_adjacency", ["add_self_loops=True", "P without the self-loops"]),
    ("    y = propagation @ (x @ weight.T)\n    if bias is not None:\n        y = y + bias",
     "    y = x @ weight.T\n    if bias is not None:\n        y = y + bias\n    y = propagation @ y",
     "gcn_layer", ["y:", "the bias added before the propagation"]),
    ("    y = propagation @ (x @ weight.T)", "    y = propagation @ tinynn.tensor((x @ weight.T).detach().numpy())",
     "gcn_layer", ["gradient of x: none", "a detour through .numpy() cuts the graph"]),
    ("    propagation = tinynn.tensor(normalized_adjacency(adjacency, add_self_loops), dtype=x.dtype)",
     "    return tinynn.nn.GCNConv(x.shape[1], weight.shape[0])(x, tinynn.tensor(adjacency))",
     "gcn_layer", ["your code called tinynn.nn.GCNConv"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=19, points=26, functions=FUNCTIONS)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="first", with_name=True)
