"""gradcheck itself: it passes correct Functions and catches planted wrong backward formulas."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import Function, GradcheckError, gradcheck, gradgradcheck
from tests.helpers import leaf, rand


def make_sigmoid(backward_formula):
    class Sigmoid(Function):
        @staticmethod
        def forward(ctx, x):
            y = 1 / (1 + (-x).exp())
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * backward_formula(y)

    return Sigmoid


def test_correct_function_passes_both_checks():
    correct = make_sigmoid(lambda y: y * (1 - y))
    x = leaf(rand(2, 3, seed=1))
    assert gradcheck(correct.apply, (x,))
    assert gradgradcheck(correct.apply, (x,))
    assert gradcheck(correct.apply, (x,), fast_mode=True)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda y: 2 * y * (1 - y), "factor of 2"),
        (lambda y: -y * (1 - y), "sign is flipped"),
        (lambda y: y * (1 + y), None),
        (lambda y: y * 0, "returned zeros"),
    ],
)
def test_planted_wrong_backward_is_caught_with_a_readable_report(wrong, hint):
    bad = make_sigmoid(wrong)
    x = leaf(rand(2, 3, seed=2))
    with pytest.raises(GradcheckError) as info:
        gradcheck(bad.apply, (x,))
    report = str(info.value)
    assert "input 0" in report and "analytical" in report and "numerical" in report
    assert "d output[0, 0] / d input[0, 0]" in report
    if hint:
        assert hint in report
    assert gradcheck(bad.apply, (x,), raise_exception=False) is False


def test_fast_mode_catches_a_wrong_backward_and_reports_the_element():
    bad = make_sigmoid(lambda y: y * (1 + y))
    with pytest.raises(GradcheckError, match="fast mode found a mismatch"):
        gradcheck(bad.apply, (leaf(rand(4, seed=3)),), fast_mode=True)


def test_wrong_gradient_for_one_element_only_is_located():
    class OffByOne(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, grad):
            g = grad * 3
            g[1] = g[1] + 1  # the planted bug: column 1 of every Jacobian row
            return g

    with pytest.raises(GradcheckError) as info:
        gradcheck(OffByOne.apply, (leaf(np.ones(3)),))
    assert "d output[0] / d input[1]" in str(info.value)
    assert "3 of 9" in str(info.value)


def test_wrong_second_derivative_is_caught_by_gradgradcheck_only():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x.detach()  # detached: the first derivative is right, the second is lost

    x = leaf(rand(3, seed=4))
    assert gradcheck(Square.apply, (x,))
    with pytest.raises(GradcheckError):
        gradgradcheck(Square.apply, (x,))


def test_float32_inputs_warn():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="not float64"):
        assert gradcheck(lambda t: t * 2, (x,), eps=1e-2, atol=1e-2, rtol=1e-2)


def test_no_differentiable_input_is_an_error():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda t: t * 2, (tinynn.ones(2, dtype=tinynn.float64),))


def test_several_inputs_and_outputs():
    a, b = leaf(rand(2, seed=5)), leaf(rand(2, seed=6))
    assert gradcheck(lambda a, b: (a * b, a.exp() + b), (a, b))
