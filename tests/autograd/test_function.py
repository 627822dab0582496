"""User-written autograd Functions (PyTorch's custom-function API)."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import Function, gradcheck, gradgradcheck
from tests.helpers import assert_close, leaf, rand


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        result = x.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return grad * result


class MulAdd(Function):
    """out = a * b + c, with a non-tensor scale argument."""

    @staticmethod
    def forward(ctx, a, b, c, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return (a * b + c) * scale

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b, need_c, _ = ctx.needs_input_grad
        return (
            grad * b * ctx.scale if need_a else None,
            grad * a * ctx.scale if need_b else None,
            grad * ctx.scale if need_c else None,
            None,
        )


class SplitHalves(Function):
    @staticmethod
    def forward(ctx, x):
        n = x.shape[0] // 2
        return x[:n] * 1, x[n:] * 2

    @staticmethod
    def backward(ctx, g1, g2):
        return tinynn.cat([g1, g2 * 2])


def test_saved_output_gives_correct_first_and_second_derivatives():
    x = leaf(rand(3, seed=1))
    assert gradcheck(Exp.apply, (x,))
    assert gradgradcheck(Exp.apply, (x,))


def test_needs_input_grad_and_non_tensor_arguments():
    a, b = leaf(rand(2, seed=1)), leaf(rand(2, seed=2))
    c = tinynn.tensor(rand(2, seed=3))  # no grad
    out = MulAdd.apply(a, b, c, 3.0)
    out.sum().backward()
    assert_close(a.grad, 3 * b.detach().numpy())
    assert c.grad is None
    assert gradcheck(lambda a, b: MulAdd.apply(a, b, c, 0.5), (a, b))


def test_grad_fn_name_of_a_function():
    out = Exp.apply(leaf(np.ones(2)))
    assert out.grad_fn.name() == "ExpBackward"


def test_multiple_outputs_get_zero_gradients_when_unused():
    x = leaf(np.arange(4.0))
    first, second = SplitHalves.apply(x)
    second.sum().backward()
    assert_close(x.grad, np.array([0.0, 0.0, 2.0, 2.0]))


def test_forward_runs_without_recording():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(tinynn.is_grad_enabled())
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Probe.apply(leaf(np.ones(2)))
    assert seen == [False]


def test_non_differentiable_outputs():
    class ArgmaxAndMax(Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.argmax()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(x)
            ctx.idx = idx.item()
            return x.max(), idx

        @staticmethod
        def backward(ctx, g_max, g_idx):
            (x,) = ctx.saved_tensors
            out = tinynn.zeros_like(x)
            out[ctx.idx] = 1.0
            return out * g_max

    x = leaf(np.array([1.0, 5.0, 2.0]))
    m, i = ArgmaxAndMax.apply(x)
    assert not i.requires_grad and m.requires_grad
    m.backward()
    assert_close(x.grad, np.array([0.0, 1.0, 0.0]))


def test_wrong_number_of_gradients_is_reported():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return (g,)

    a, b = leaf(np.ones(2)), leaf(np.ones(2))
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(a, b).sum().backward()


def test_forward_must_return_tensors():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a):
            return a.numpy()

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="must return Tensors"):
        Bad.apply(tinynn.ones(2))


def test_missing_backward_explains():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

    with pytest.raises(NotImplementedError, match="backward"):
        NoBackward.apply(leaf(np.ones(2))).sum().backward()
