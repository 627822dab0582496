"""How tensors print (tinynn/printing.py): PyTorch's text, character for character."""
import re

import pytest

import tinynn
from tests.helpers import needs_torch, torch

pytestmark = pytest.mark.cpu_only  # reprs of CPU tensors (tests/cuda checks the GPU suffix)


@pytest.fixture(autouse=True)
def default_print_options():
    yield
    tinynn.set_printoptions(profile="default")
    if torch is not None:
        torch.set_printoptions(profile="default")


@pytest.mark.parametrize("make, text", [
    (lambda: tinynn.tensor([1.0, 2.0, 3.0]), "tensor([1., 2., 3.])"),
    (lambda: tinynn.tensor([1.5, -2.25]), "tensor([ 1.5000, -2.2500])"),
    (lambda: tinynn.tensor([[1, 2], [3, 40]]), "tensor([[ 1,  2],\n        [ 3, 40]])"),
    (lambda: tinynn.tensor([True, False]), "tensor([ True, False])"),
    (lambda: tinynn.tensor(3.5), "tensor(3.5000)"),
    (lambda: tinynn.tensor(3), "tensor(3)"),
    (lambda: tinynn.tensor([]), "tensor([])"),
    (lambda: tinynn.zeros(2, 0), "tensor([], size=(2, 0))"),
    (lambda: tinynn.tensor([], dtype=tinynn.int64), "tensor([], dtype=tinynn.int64)"),
    (lambda: tinynn.tensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (lambda: tinynn.tensor([1.0, 2.0], requires_grad=True) * 2, "tensor([2., 4.], grad_fn=<MulBackward>)"),
    (lambda: tinynn.tensor([1.0, 2.0], dtype=tinynn.float64), "tensor([1., 2.], dtype=tinynn.float64)"),
    (lambda: tinynn.tensor([1, 2], dtype=tinynn.int32), "tensor([1, 2], dtype=tinynn.int32)"),
    (lambda: tinynn.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: tinynn.tensor([float("nan"), 1.5, float("inf")]), "tensor([   nan, 1.5000,    inf])"),
    (lambda: tinynn.arange(2000), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    (lambda: tinynn.arange(2000.0), "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
                                    "        1.9990e+03])"),
])
def test_repr_text(make, text):
    assert repr(make()) == text


def test_long_rows_wrap_at_80_columns_and_suffixes_wrap_too():
    text = repr(tinynn.arange(20.0, dtype=tinynn.float64) / 3)
    lines = text.split("\n")
    assert lines[0] == "tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,"
    assert lines[-1] == "        6.0000, 6.3333], dtype=tinynn.float64)"
    assert all(len(line) <= 80 for line in lines)
    wrapped = repr(tinynn.ones(18, dtype=tinynn.float64, requires_grad=True))
    assert wrapped == "tensor([" + "1., " * 17 + "1.],\n       dtype=tinynn.float64, requires_grad=True)"


def test_summarized_matrix_and_print_options():
    text = repr(tinynn.arange(1001).reshape(7, 143))
    assert text.split("\n")[3] == "        ...,"
    assert text.split("\n")[0] == "tensor([[   0,    1,    2,  ...,  140,  141,  142],"
    tinynn.set_printoptions(precision=2)
    assert repr(tinynn.tensor([1.23456])) == "tensor([1.23])"
    tinynn.set_printoptions(sci_mode=True)  # precision stays 2; sci_mode goes back to automatic next call
    assert repr(tinynn.tensor([1.5])) == "tensor([1.50e+00])"
    tinynn.set_printoptions(threshold=4, edgeitems=1)
    assert repr(tinynn.arange(10)) == "tensor([0,  ..., 9])"
    tinynn.set_printoptions(profile="full")
    assert "..." not in repr(tinynn.arange(2000))


CASES = [
    "tensor([1., 2., 3.])", "tensor([1.5, -2.25])", "tensor([[1, 2], [3, 4]])", "tensor([True, False])",
    "tensor(3.5)", "tensor(3)", "tensor(True)", "tensor(-0.0)", "tensor([])", "zeros(2, 0)",
    "zeros(0, dtype=T.int32)", "tensor([], dtype=T.int64)", "tensor([], dtype=T.float64)",
    "tensor([1., 2.], requires_grad=True)", "tensor([1., 2.], requires_grad=True) * 2",
    "tensor([[1., 2.]], requires_grad=True).sum()", "arange(20., requires_grad=True) / 3",
    "tensor([1., 2.], dtype=T.float64)", "tensor([1., 2.], dtype=T.float16)", "tensor([1, 2], dtype=T.int32)",
    "tensor([1, 2], dtype=T.uint8)", "tensor([1, -2], dtype=T.int8)", "tensor([1.5, 2.5], dtype=T.float16)",
    "arange(2000)", "arange(2000.)", "arange(1001).reshape(7, 143)", "arange(24).reshape(2, 3, 4)",
    "arange(24.).reshape(2, 3, 4)", "arange(3000.).reshape(10, 10, 30) / 7", "zeros(3, 1000)",
    "tensor([1e-5, 1.0])", "tensor([1e8, 1.0])", "tensor([123456.789, 1.0])", "tensor([0.1, 100.5])",
    "tensor([float('nan'), 1.5, float('inf')])", "tensor([float('nan'), 1., -float('inf')])",
    "tensor([[1.5, -2.0], [1000.25, 3.0]])", "tensor([1e-10])", "tensor(1e-10)", "tensor([0.0, -0.0])",
    "tensor([1, -20, 300])", "tensor([0.001, 0.01])", "tensor([12345.6789])", "tensor([[True, False], [False, True]])",
    "tensor([1e-4, 1.0])", "tensor([9.99e7])", "tensor([1e9])", "arange(10.) / 3", "tensor([[1e-5, 1.], [2., 3.]])",
    "tensor([1., 2.], dtype=T.float64, requires_grad=True)", "ones(20, dtype=T.float64, requires_grad=True)",
    "tensor([1e-3, 1e3])", "tensor([[[1.]]])", "ones(2, 2, 2, 2)", "tensor([1e4, 1e-4])", "arange(1100).float()",
    "tensor([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3]])", "tensor([3.14159265])",
    "tensor([-1e-5, 1.0])", "tensor([True] * 1500)", "tensor(123456789.)", "tensor([65504.], dtype=T.float16)",
    "arange(40, dtype=T.float64).reshape(4, 10) / 3", "arange(-1.5, 1.5, 0.3)", "linspace(-1, 1, 7)",
]


def torch_text(text: str) -> str:
    """PyTorch's repr in tinynn's words: the module name, and its numbered node names unnumbered."""
    return re.sub(r"Backward\d+>", "Backward>", text.replace("torch.", "tinynn."))


@needs_torch
@pytest.mark.parametrize("expression", CASES)
def test_repr_matches_torch(expression):
    ours = repr(eval("T." + expression, {"T": tinynn}))
    theirs = torch_text(repr(eval("T." + expression, {"T": torch})))
    assert ours == theirs


@needs_torch
@pytest.mark.parametrize("options", [
    dict(precision=2), dict(sci_mode=True), dict(sci_mode=False), dict(threshold=5),
    dict(edgeitems=1, threshold=10), dict(linewidth=40), dict(profile="short"), dict(profile="full"),
])
@pytest.mark.parametrize("expression", [
    "tensor([1.123456, 2.5, 1e-5])", "arange(30.) / 3", "arange(2000).reshape(20, 100)",
    "tensor([1., 100000.])", "arange(12).reshape(3, 4)",
])
def test_print_options_match_torch(options, expression):
    tinynn.set_printoptions(**options)
    torch.set_printoptions(**options)
    ours = repr(eval("T." + expression, {"T": tinynn}))
    theirs = torch_text(repr(eval("T." + expression, {"T": torch})))
    assert ours == theirs


def test_str_and_format():
    t = tinynn.tensor([1.0, 2.0])
    assert str(t) == repr(t)
    assert f"{tinynn.tensor(2.5):.2f}" == "2.50"
