"""tinynn.func (tinynn/func/, nn/utils/stateless.py): functional_call (substitutes, gradients to them,
restoring the module, strict, tied weights, buffers), the transforms grad / grad_and_value / vjp /
jvp / linearize / jacrev / jacfwd / hessian and vmap against torch.func, their composition with
autograd (a MAML meta-gradient), per-example gradients, ensembles, float64 gradchecks, and errors."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn import func
from tinynn.func._tree import tree_flatten
from tinynn.nn.utils import stateless
from tests.helpers import assert_close, check_gradients, leaf, needs_torch, rand, torch


def _mlp(lib):
    torch_like = lib.nn
    model = torch_like.Sequential(torch_like.Linear(3, 4), torch_like.Tanh(), torch_like.Linear(4, 2)).double()
    model.load_state_dict({k: lib.tensor(rand(*v.shape, seed=i))
                           for i, (k, v) in enumerate(model.state_dict().items())})
    return model


def _assert_trees_close(ours, theirs, **kw):
    a, spec_a = tree_flatten(ours)
    b, _ = tree_flatten(theirs)
    assert len(a) == len(b) == spec_a.num_leaves
    for k, (x, y) in enumerate(zip(a, b)):
        assert_close(x, y, what=f"leaf {k}", **kw)


# ---------------------------------------------------------------------------- functional_call
def test_functional_call_uses_substitutes_and_restores_the_module():
    model = _mlp(tinynn)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    w = leaf(rand(2, 4, seed=7))
    x = tinynn.tensor(rand(5, 3, seed=8))
    y = func.functional_call(model, {"2.weight": w}, (x,))
    assert_close(y, F.linear(model[1](model[0](x)), w, model[2].bias))
    y.sum().backward()
    assert w.grad is not None and model[2].weight.grad is None and model[0].weight.grad is not None
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    assert model[2].weight is model[2]._parameters["weight"] and isinstance(model[2].weight, nn.Parameter)
    def failing(module, args):
        raise ValueError("boom")

    model[2].register_forward_pre_hook(failing)
    with pytest.raises(ValueError, match="boom"):
        func.functional_call(model, {"2.weight": w}, x)
    assert isinstance(model[2].weight, nn.Parameter)   # restored after the error too


def test_functional_call_args_kwargs_dict_sequences_and_buffers():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("factor", tinynn.ones(1))

        def forward(self, x, shift=0.0):
            return x * self.factor + shift

    m, x = Scale(), tinynn.ones(2)
    assert func.functional_call(m, {"factor": tinynn.tensor([3.0])}, x, {"shift": 1.0}).tolist() == [4.0, 4.0]
    assert func.functional_call(m, [{"factor": tinynn.tensor([2.0])}, {}], (x,)).tolist() == [2.0, 2.0]
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        func.functional_call(m, [{"factor": x}, {"factor": x}], (x,))
    with pytest.raises(ValueError, match="to be a dict, or a list/tuple of dicts"):
        func.functional_call(m, 3, (x,))
    with pytest.raises(TypeError, match="must be a Tensor, got float"):
        func.functional_call(m, {"factor": 2.0}, (x,))


def test_functional_call_strict_and_tied_weights():
    model = nn.Sequential(nn.Embedding(5, 3), nn.Linear(3, 5, bias=False))
    model[1].weight = model[0].weight                 # tied input and output embeddings
    tokens = tinynn.tensor([1, 2])
    new = tinynn.randn(5, 3)
    tied = func.functional_call(model, {"0.weight": new}, (tokens,))
    assert_close(tied, new[tokens] @ new.T)
    untied = func.functional_call(model, {"0.weight": new}, (tokens,), tie_weights=False)
    assert_close(untied, new[tokens] @ model[0].weight.T)
    with pytest.raises(ValueError, match="which are tied"):
        func.functional_call(model, {"0.weight": new, "1.weight": tinynn.randn(5, 3)}, (tokens,))
    with pytest.raises(RuntimeError, match=r"Error\(s\) in reparametrizing for Sequential:\n\tUnexpected key\(s\): "
                                           r"'extra'.\n\tMissing key\(s\): '1.weight'."):
        func.functional_call(model, {"0.weight": new, "extra": new}, (tokens,), tie_weights=False, strict=True)


def test_stateless_functional_call_is_deprecated_but_works():
    model, x = _mlp(tinynn), tinynn.tensor(rand(2, 3))
    with pytest.warns(FutureWarning, match="tinynn.func.functional_call"):
        y = stateless.functional_call(model, dict(model.named_parameters()), (x,))
    assert_close(y, model(x))


def test_functional_call_gradcheck():
    model = _mlp(tinynn)
    check_gradients(lambda w, b, x: func.functional_call(model, {"0.weight": w, "0.bias": b}, (x,)),
                    rand(4, 3, seed=1), rand(4, seed=2), rand(2, 3, seed=3))


@needs_torch
def test_maml_meta_gradient_matches_torch():
    """One MAML step: an inner SGD step built with create_graph, the outer loss differentiated
    through it into the original parameters (the second-order term included)."""
    x_in, y_in, x_out, y_out = rand(6, 3, seed=1), rand(6, 2, seed=2), rand(6, 3, seed=3), rand(6, 2, seed=4)
    grads = []
    for lib in (tinynn, torch):
        model = _mlp(lib)
        params = dict(model.named_parameters())
        inner = lib.nn.functional.mse_loss(lib.func.functional_call(model, params, (lib.tensor(x_in),)),
                                           lib.tensor(y_in))
        g = lib.autograd.grad(inner, list(params.values()), create_graph=True)
        fast = {name: p - 0.1 * gp for (name, p), gp in zip(params.items(), g)}
        outer = lib.nn.functional.mse_loss(lib.func.functional_call(model, fast, (lib.tensor(x_out),)),
                                           lib.tensor(y_out))
        outer.backward()
        grads.append([p.grad for p in model.parameters()])
    for a, b in zip(*grads):
        assert_close(a, b)


# ---------------------------------------------------------------------------- transforms against torch.func
def _transform_cases(lib, fn):
    x, y = lib.tensor(rand(3, seed=1)), lib.tensor(rand(3, seed=2))
    out = {
        "grad": fn.grad(lambda x: (x.sin() * x).sum())(x),
        "grad_argnums": fn.grad(lambda x, y: (x.sin() * y).sum(), argnums=(0, 1))(x, y),
        "grad_and_value_aux": fn.grad_and_value(lambda x: ((x ** 3).sum(), x.cos()), has_aux=True)(x),
        "grad_of_grad": fn.grad(lambda s: fn.grad(lambda t: (t ** 3).sum())(s).sum())(x),
        "grad_dict": fn.grad(lambda d: (d["a"] ** 2 * d["b"]).sum())({"a": x, "b": y}),
        "jvp": fn.jvp(lambda x, y: (x * y).sin(), (x, y), (y, x)),
        "linearize": fn.linearize(lambda x: x.sin(), x)[1](y),
        "jacrev": fn.jacrev(lambda x, y: (x.outer(y), x.sum()), argnums=(0, 1))(x, y),
        "jacfwd": fn.jacfwd(lambda x: x.sin() * x.sum())(x),
        "hessian": fn.hessian(lambda x: (x.sin() * x.pow(2)).sum())(x),
        "hessian_argnums": fn.hessian(lambda x, y: (x * y.exp()).sum() * x.sum(), argnums=(0, 1))(x, y),
    }
    output, vjp_fn = fn.vjp(lambda x, y: (x * y, x.exp()), x, y)
    out["vjp"] = (output, vjp_fn((y, x)))
    out["vmap"] = fn.vmap(lambda a, b: a @ b, in_dims=(0, None))(lib.tensor(rand(4, 3, seed=3)), y)
    out["vmap_nested"] = fn.vmap(fn.vmap(lambda a: a.outer(a)), in_dims=1, out_dims=2)(lib.tensor(rand(4, 5, 3)))
    out["vmap_tree"] = fn.vmap(lambda d: (d["a"] * d["b"], d["a"].sum()), in_dims=({"a": 1, "b": None},),
                               out_dims=(1, 0))({"a": lib.tensor(rand(3, 2, seed=5)), "b": y})
    return out


@needs_torch
def test_transforms_match_torch_func():
    ours, theirs = _transform_cases(tinynn, tinynn.func), _transform_cases(torch, torch.func)
    for name in theirs:
        _assert_trees_close(ours[name], theirs[name], rtol=1e-10, atol=1e-12)


@needs_torch
def test_per_example_gradients_match_torch():
    """vmap(grad(loss)) over a batch: the canonical per-sample-gradient recipe from torch.func's docs."""
    xs, ys = rand(5, 3, seed=1), rand(5, 2, seed=2)
    results = []
    for lib in (tinynn, torch):
        model = _mlp(lib)
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(params, x, y):
            out = lib.func.functional_call(model, params, (x.unsqueeze(0),))
            return ((out - y.unsqueeze(0)) ** 2).mean()

        results.append(lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))(params, lib.tensor(xs), lib.tensor(ys)))
    _assert_trees_close(results[0], results[1], rtol=1e-10, atol=1e-12)
    assert tuple(results[0]["0.weight"].shape) == (5, 4, 3)


def test_grad_is_differentiable_when_its_input_is_in_a_graph():
    """grad(f)(p) for p that requires grad keeps the graph (MAML with torch.func), else is detached."""
    p = leaf(rand(3))
    g = func.grad(lambda x: (x ** 3).sum())(p)
    assert g.requires_grad
    g.sum().backward()
    assert_close(p.grad, 6 * p.detach().numpy())
    assert not func.grad(lambda x: (x ** 3).sum())(tinynn.tensor(rand(3))).requires_grad


def test_transform_gradchecks():
    check_gradients(func.grad(lambda x: (x.sin() * x).sum()), rand(3))
    check_gradients(lambda x: func.jacrev(lambda t: t.exp() * t.sum())(x), rand(2), second_order=False)
    check_gradients(func.vmap(lambda row, w: (row * w).tanh(), in_dims=(0, None)), rand(3, 2), rand(2, seed=1))


def test_vmap_randomness_and_empty_batch():
    xs = tinynn.zeros(3, 2)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        func.vmap(lambda x: x + tinynn.randn(2))(xs)
    same = func.vmap(lambda x: x + tinynn.randn(2), randomness="same")(xs)
    different = func.vmap(lambda x: x + tinynn.randn(2), randomness="different")(xs)
    assert np.allclose(same.numpy(), same.numpy()[0]) and not np.allclose(different.numpy(), different.numpy()[0])
    empty = func.vmap(lambda x: x.sum(-1, keepdim=True) * 2)(tinynn.zeros(0, 4))
    assert tuple(empty.shape) == (0, 1)


def test_stack_module_state_ensemble():
    models = [_mlp(tinynn) for _ in range(3)]
    for i, m in enumerate(models):
        with tinynn.no_grad():
            m[0].bias.add_(float(i))
    params, buffers = func.stack_module_state(models)
    assert tuple(params["0.weight"].shape) == (3, 4, 3) and params["0.weight"].requires_grad and buffers == {}
    x = tinynn.tensor(rand(2, 3))
    out = func.vmap(lambda p: func.functional_call(models[0], p, (x,)))(params)
    for i, m in enumerate(models):
        assert_close(out[i], m(x))
    with pytest.raises(RuntimeError, match="same class"):
        func.stack_module_state([models[0], nn.Linear(3, 2)])
    with pytest.raises(RuntimeError, match="at least one model"):
        func.stack_module_state([])


def test_transform_errors():
    x = tinynn.tensor(rand(3))
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, got tensor with 1 dims"):
        func.grad(lambda x: x)(x)
    with pytest.raises(RuntimeError, match="Got argnum=1, but only 1 positional inputs"):
        func.grad(lambda x: x.sum(), argnums=1)(x)
    with pytest.raises(RuntimeError, match="argnums must be int or Tuple"):
        func.grad(lambda x: x.sum(), argnums=1.0)(x)
    with pytest.raises(ValueError, match="must be Tensor, got <class 'float'>"):
        func.grad(lambda x: x.sum())(3.0)
    with pytest.raises(RuntimeError, match="floating point"):
        func.grad(lambda x: x.sum())(tinynn.arange(3))
    with pytest.raises(RuntimeError, match="should be a tuple: \\(output, aux\\)"):
        func.grad(lambda x: x.sum(), has_aux=True)(x)
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        func.jvp(lambda x: x, x, x)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        func.vjp(lambda x: x.sin(), x)[1](x.sum())
    with pytest.raises(ValueError, match="same size in the mapped dimension, got sizes \\[2, 3\\]"):
        func.vmap(lambda a, b: a + b)(tinynn.zeros(2, 3), tinynn.zeros(3, 3))
    with pytest.raises(ValueError, match="expected in_dim to satisfy -2 <= in_dim < 2"):
        func.vmap(lambda a: a, in_dims=2)(tinynn.zeros(2, 3))
    with pytest.raises(ValueError, match="must only return Tensors"):
        func.vmap(lambda a: 3.0)(tinynn.zeros(2, 3))
    with pytest.raises(ValueError, match="cannot vmap over non-Tensor arguments"):
        func.vmap(lambda a: a)(3.0)
    assert func.grad(lambda x: tinynn.tensor(3.0))(x).tolist() == [0.0, 0.0, 0.0]   # a constant: zero gradient
