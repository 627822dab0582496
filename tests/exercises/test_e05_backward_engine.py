"""Exercise 05, the backward engine: the reference passes every check and gives tinynn's gradients on the
models the milestones train, the student file is reported not done, and planted mistakes (.grad or a
node's gradient overwritten instead of added, no unbroadcast, no dtype cast, the given unbroadcast
ignored, a pre-order, a recursive or a repeating topological order, tinynn's own backward) fail with
a message that names them."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
import tinynn.exercises as exercises
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids, solution_block)
from tinynn.exercises.source import e04_unbroadcast, e05_backward_engine as engine

EXERCISE = exercises.find("e05_backward_engine")
FUNCTIONS = ["topological_order", "backward"]

# topological_order's solution, replaced by a wrong one
PREORDER = """    order, seen, stack = [], set(), [root.grad_fn]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            order.append(node)
            stack.extend(e[0] for e in node.next_edges if e is not None and e[1] is not None)
    return order
"""
RECURSIVE = """    order, seen = [], set()

    def visit(node):
        if node not in seen:
            seen.add(node)
            for e in node.next_edges:
                if e is not None and e[1] is not None:
                    visit(e[0])
            order.append(node)

    visit(root.grad_fn)
    return order[::-1]
"""
REPEATING = """    order, stack = [], [root.grad_fn]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(e[0] for e in node.next_edges if e is not None and e[1] is not None)
    return order
"""

MUTANTS = [
    ("target.grad = tinynn.tensor(g) if target.grad is None else target.grad + tinynn.tensor(g)",
     "target.grad = tinynn.tensor(g)", "backward",
     ["a leaf used twice in one op", "x.grad", "the second edge into x replaced the first (ADD to .grad)"]),
    ("target.grad = tinynn.tensor(g) if target.grad is None else target.grad + tinynn.tensor(g)",
     "target.grad = tinynn.tensor(g)", "backward", ["two backward calls", "only the last call's gradient"]),
    ("slots[output_nr] = g if slots[output_nr] is None else slots[output_nr] + g", "slots[output_nr] = g", "backward",
     ["a tensor used twice", "x.grad", "yours", "tinynn's backward", "must be ADDED"]),
    ("                if g.shape != shape:\n                    g = unbroadcast(g, shape)\n", "", "backward",
     ["broadcasting", "different size", "unbroadcast each gradient"]),
    ("g = g.astype(dtype, copy=False)", "pass", "backward", ["float32 x", "different type", "input_meta[i]'s dtype"]),
    ("    if unbroadcast is None:\n        unbroadcast = library_unbroadcast\n",
     "    unbroadcast = library_unbroadcast\n",
     "backward", ["never called f(grad of shape (3, 4), (4,))", "use the unbroadcast you are given"]),
    ("    if unbroadcast is None:\n        unbroadcast = library_unbroadcast\n",
     "    if unbroadcast is None:\n        unbroadcast = library_unbroadcast\n    return root.backward(grad)\n",
     "backward", ["your code called tinynn.Tensor.backward", "exercise 05"]),
]


def _same_gradients(loss_fn, params):
    engine.backward(loss_fn(), unbroadcast=e04_unbroadcast.unbroadcast)
    mine = [p.grad.numpy().copy() for p in params]
    for p in params:
        p.grad = None
    loss_fn().backward()
    for a, p in zip(mine, params):
        np.testing.assert_allclose(a, p.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=17, points=25)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


def test_declarations():
    assert_declarations(EXERCISE, lesson=4)
    assert {"tinynn.Tensor.backward", "tinynn.autograd.backward", "tinynn.autograd.grad"} <= set(EXERCISE.forbidden)
    assert EXERCISE.parts == {"engine": ["topological_order", "backward"]}


def test_reference_engine_gives_tinynns_gradients_on_the_milestones_models():
    """Convolution, batch norm, pooling, an LSTM, a transformer layer, an embedding: what milestones train."""
    tinynn.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(64, 10))
    x, y = tinynn.randn(5, 1, 8, 8), tinynn.tensor(np.array([1, 2, 3, 4, 5]))
    _same_gradients(lambda: F.cross_entropy(cnn(x), y), list(cnn.parameters()))
    lstm, head = nn.LSTM(6, 8, batch_first=True), nn.Linear(8, 5)
    xs, ys = tinynn.randn(3, 7, 6), tinynn.tensor(np.arange(21) % 5)
    _same_gradients(lambda: F.cross_entropy(head(lstm(xs)[0]).reshape(-1, 5), ys),
                    list(lstm.parameters()) + list(head.parameters()))
    layer, embedding = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True), nn.Embedding(10, 16)
    ids = tinynn.tensor(np.array([[1, 2, 2, 7], [3, 1, 0, 9]]))
    _same_gradients(lambda: (layer(embedding(ids)) ** 2).mean(), list(layer.parameters()) + list(embedding.parameters()))


def test_reference_order_puts_each_node_before_its_inputs():
    x = tinynn.tensor(np.ones(3), requires_grad=True)
    p = x * 2.0
    loss = (p.exp() + p).sum()
    names = [node.name() for node in engine.topological_order(loss)]
    assert names == ["SumBackward", "AddBackward", "ExpBackward", "MulBackward"]
    assert engine.topological_order(x) == []


@pytest.mark.parametrize("body, function, words", [
    (PREORDER, "topological_order", ["the order of a tensor used twice", "MulBackward (at 2) comes before ExpBackward",
                                     "which uses its output", "Kahn"]),
    (RECURSIVE, "backward", ["a chain of 3000 operations", "RecursionError", "not with recursion"]),
    (REPEATING, "topological_order", ["MulBackward is in your list twice", "keep a set of the nodes already seen"]),
], ids=["preorder", "recursive", "repeating"])
def test_a_wrong_order_is_caught_and_named(tmp_path, body, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, solution_block(EXERCISE, "topological_order"), body))
    assert_mistake_caught(report, function, words, with_name=True)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, with_name=True)
