"""Attention (tinynn/nn/functional/attention.py, tinynn/nn/attention.py): F.scaled_dot_product_attention
and nn.MultiheadAttention — float64 gradchecks, PyTorch parity (outputs, attention weights, input and
parameter gradients), masks in both conventions, dropout, initialisation and errors."""
import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import (
    assert_close, assert_matches_torch, assert_module_matches_torch, check_gradients, leaf, needs_torch, rand, torch,
)


def _qkv(L=3, S=5, E=4, Ev=3, batch=(2,), seed=0):
    return rand(*batch, L, E, seed=seed), rand(*batch, S, E, seed=seed + 1), rand(*batch, S, Ev, seed=seed + 2)


# ---------------------------------------------------------------------------- scaled_dot_product_attention
BOOL_MASK = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1], [1, 0, 0, 0, 0]], dtype=bool)  # (L=3, S=5)
FLOAT_MASK = rand(2, 3, 5, seed=7) + np.where(BOOL_MASK, 0.0, -np.inf)               # (2, L, S)

SDPA_CASES = {
    "plain": dict(),
    "bool_mask": dict(attn_mask=BOOL_MASK),
    "float_mask": dict(attn_mask=FLOAT_MASK),
    "causal": dict(is_causal=True),
    "scale": dict(scale=0.3),
    "bool_mask_and_scale": dict(attn_mask=BOOL_MASK, scale=1.7),
}


def _sdpa_call(lib, kwargs):
    mask = kwargs.get("attn_mask")
    rest = {k: v for k, v in kwargs.items() if k != "attn_mask"}
    fn = tinynn.nn.functional if lib is tinynn else torch.nn.functional
    to = (lambda a: tinynn.tensor(a)) if lib is tinynn else (lambda a: torch.tensor(a))

    def call(q, k, v):
        return fn.scaled_dot_product_attention(q, k, v, attn_mask=None if mask is None else to(mask), **rest)

    return call


@pytest.mark.parametrize("case", sorted(SDPA_CASES))
def test_sdpa_gradcheck(case):
    q, k, v = _qkv()
    check_gradients(_sdpa_call(tinynn, SDPA_CASES[case]), q, k, v, second_order=case in ("plain", "float_mask"))


@needs_torch
@pytest.mark.parametrize("case", sorted(SDPA_CASES))
def test_sdpa_matches_torch(case):
    assert_matches_torch(_sdpa_call(tinynn, SDPA_CASES[case]), _sdpa_call(torch, SDPA_CASES[case]), *_qkv())


@needs_torch
@pytest.mark.parametrize("L,S", [(5, 3), (3, 5)])
def test_sdpa_causal_rectangular_is_top_left_aligned(L, S):
    q, k, v = _qkv(L=L, S=S, batch=(2, 2))
    assert_matches_torch(_sdpa_call(tinynn, dict(is_causal=True)), _sdpa_call(torch, dict(is_causal=True)), q, k, v)
    # row 0 sees only key 0: its output is value row 0
    out = F.scaled_dot_product_attention(leaf(q), leaf(k), leaf(v), is_causal=True)
    assert_close(out.detach()[..., 0, :], v[..., 0, :])


@needs_torch
def test_sdpa_float_mask_gets_gradient_like_torch():
    q, k, v = _qkv()
    mask = rand(2, 3, 5, seed=9)
    fn_ours = lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m)  # noqa: E731
    fn_torch = lambda q, k, v, m: torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m)  # noqa: E731
    assert_matches_torch(fn_ours, fn_torch, q, k, v, mask)
    check_gradients(fn_ours, q, k, v, mask, second_order=False)


@needs_torch
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_fully_masked_row_gives_zeros_like_torch(kind):
    """PyTorch's SDPA gives a row with no key left zero weights (not NaN), and so does tinynn."""
    mask = BOOL_MASK.copy()
    mask[1] = False
    if kind == "float":
        mask = np.where(mask, 0.5, -np.inf)
    case = dict(attn_mask=mask)
    q, k, v = _qkv()
    assert_matches_torch(_sdpa_call(tinynn, case), _sdpa_call(torch, case), q, k, v)
    out = _sdpa_call(tinynn, case)(leaf(q), leaf(k), leaf(v))
    assert np.all(out.detach().numpy()[:, 1] == 0.0)
    check_gradients(_sdpa_call(tinynn, case), q, k, v, second_order=False)


@needs_torch
def test_sdpa_grouped_query_attention_matches_torch():
    q, k, v = rand(2, 4, 3, 4, seed=1), rand(2, 2, 5, 4, seed=2), rand(2, 2, 5, 3, seed=3)
    assert_matches_torch(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
        lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True), q, k, v)


def test_sdpa_is_the_softmax_formula():
    q, k, v = _qkv(batch=())
    out = F.scaled_dot_product_attention(leaf(q), leaf(k), leaf(v), attn_mask=tinynn.tensor(BOOL_MASK))
    scores = np.where(BOOL_MASK, q @ k.T / 2.0, -np.inf)  # 1 / sqrt(E) with E = 4
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    assert_close(out.detach(), weights @ v, rtol=1e-12)


def test_sdpa_dropout_drops_and_rescales_weights():
    """With v = identity the output is the (dropped) weight matrix itself: each entry is 0 or w / (1 - p)."""
    p, L = 0.3, 32
    q, k = rand(4, L, 8, seed=1), rand(4, L, 8, seed=2)
    v = tinynn.tensor(np.broadcast_to(np.eye(L), (4, L, L)).copy())
    clean = F.scaled_dot_product_attention(leaf(q), leaf(k), v).detach().numpy()
    tinynn.manual_seed(3)
    dropped = F.scaled_dot_product_attention(leaf(q), leaf(k), v, dropout_p=p).detach().numpy()
    zero = dropped == 0
    np.testing.assert_allclose(dropped[~zero], clean[~zero] / (1 - p), rtol=1e-12)
    assert abs(zero.mean() - p) < 0.03
    tinynn.manual_seed(3)
    again = F.scaled_dot_product_attention(leaf(q), leaf(k), v, dropout_p=p).detach().numpy()
    np.testing.assert_array_equal(dropped, again)
    everything = F.scaled_dot_product_attention(leaf(q), leaf(k), v, dropout_p=1.0).detach().numpy()
    assert np.all(everything == 0)


def test_attention_weights_op_second_order_and_both_backward_paths_agree():
    """The fused op's one backward formula runs on raw arrays (plain backward) and on Tensors (a graph,
    for higher derivatives); both must give the same first derivatives, and the graph must gradgradcheck."""
    from tinynn.ops.attention import attention_weights

    q, k, mask = rand(2, 3, 4, seed=1), rand(5, 4, seed=2), rand(2, 1, 5, seed=3)  # k and mask broadcast
    fn = lambda q, k, m: attention_weights(q, k, m, 0.7)  # noqa: E731
    check_gradients(fn, q, k, mask)
    upstream = tinynn.tensor(rand(2, 3, 5, seed=4))
    inputs = [leaf(q), leaf(k), leaf(mask)]
    plain = tinynn.autograd.grad(fn(*inputs), inputs, upstream)
    graph = tinynn.autograd.grad(fn(*inputs), inputs, upstream, create_graph=True)
    for a, b, name in zip(plain, graph, "qkm"):
        assert b.requires_grad
        assert_close(a, b.detach(), rtol=1e-13, atol=1e-15, what=name)


def test_sdpa_keeps_float32():
    q, k, v = (tinynn.randn(2, 3, 4), tinynn.randn(2, 5, 4), tinynn.randn(2, 5, 3))
    assert F.scaled_dot_product_attention(q, k, v, is_causal=True).dtype == tinynn.float32
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=tinynn.tensor(BOOL_MASK))
    assert out.dtype == tinynn.float32


def test_sdpa_errors():
    q, k, v = (tinynn.randn(2, 3, 4), tinynn.randn(2, 5, 4), tinynn.randn(2, 5, 3))
    with pytest.raises(RuntimeError, match="same E"):
        F.scaled_dot_product_attention(q, tinynn.randn(2, 5, 6), v)
    with pytest.raises(RuntimeError, match="same S"):
        F.scaled_dot_product_attention(q, k, tinynn.randn(2, 4, 3))
    with pytest.raises(RuntimeError, match="is_causal"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=tinynn.tensor(BOOL_MASK), is_causal=True)
    with pytest.raises(RuntimeError, match="does not broadcast"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=tinynn.ones(3, 4, dtype=tinynn.bool))
    with pytest.raises(RuntimeError, match="bool or floating"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=tinynn.ones(3, 5, dtype=tinynn.int64))
    with pytest.raises(RuntimeError, match="floating dtype"):
        F.scaled_dot_product_attention(q, k.double(), v)
    with pytest.raises(ValueError, match="dropout_p"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.5)


# ---------------------------------------------------------------------------- MultiheadAttention
E, H, L, S, N = 4, 2, 3, 4, 2
KPM = np.array([[False, False, True, False], [False, True, False, True]])       # (N, S), True = pad
ATTN_BOOL = np.array([[False, True, False, False], [True, False, False, True], [False, False, True, False]])
ATTN_FLOAT = rand(L, S, seed=11)
ATTN_3D_BOOL = np.stack([np.roll(ATTN_BOOL, i, axis=1) for i in range(N * H)])  # (N * H, L, S)
ATTN_3D_FLOAT = rand(N * H, L, S, seed=12)
CAUSAL = np.triu(np.full((L, L), -np.inf), 1)

# name: (module kwargs, forward kwargs, (query, key, value) shapes or "self" for self-attention)
MHA_CASES = {
    "self_plain": (dict(), dict(), "self"),
    "kpm_bool": (dict(), dict(key_padding_mask=KPM), "cross"),
    "kpm_float_key_is_value": (dict(), dict(key_padding_mask=np.where(KPM, -1e9, 0.3)), "key_is_value"),
    "attn_2d_bool": (dict(), dict(attn_mask=ATTN_BOOL), "cross"),
    "attn_2d_float_and_kpm": (dict(), dict(attn_mask=ATTN_FLOAT, key_padding_mask=KPM), "cross"),
    "attn_3d_bool_per_head": (dict(), dict(attn_mask=ATTN_3D_BOOL, average_attn_weights=False), "cross"),
    "attn_3d_float_no_weights": (dict(), dict(attn_mask=ATTN_3D_FLOAT, need_weights=False), "cross"),
    "kdim_vdim": (dict(kdim=3, vdim=5), dict(key_padding_mask=KPM), "kv_dims"),
    "kdim_vdim_no_weights": (dict(kdim=3, vdim=5), dict(attn_mask=ATTN_BOOL, need_weights=False), "kv_dims"),
    "batch_first": (dict(batch_first=True), dict(key_padding_mask=KPM, average_attn_weights=False), "cross"),
    "batch_first_self_causal": (dict(batch_first=True), dict(attn_mask=CAUSAL, is_causal=True), "self"),
    "causal_no_weights": (dict(), dict(attn_mask=CAUSAL, is_causal=True, need_weights=False), "self"),
    "unbatched": (dict(), dict(attn_mask=ATTN_FLOAT), "unbatched"),
    "unbatched_kpm_3d_mask": (dict(), dict(key_padding_mask=KPM[0], attn_mask=ATTN_3D_BOOL[:H]), "unbatched"),
    "no_bias": (dict(bias=False), dict(attn_mask=ATTN_BOOL), "cross"),
    "bias_kv_zero_attn": (dict(add_bias_kv=True, add_zero_attn=True), dict(key_padding_mask=KPM,
                                                                              attn_mask=ATTN_BOOL), "cross"),
}


def _mha_inputs(kind, batch_first):
    if kind == "self":
        shape = (N, L, E) if batch_first else (L, N, E)
        return [rand(*shape, seed=1)]
    if kind == "unbatched":
        return [rand(L, E, seed=1), rand(S, E, seed=2), rand(S, E, seed=3)]
    kdim, vdim = (3, 5) if kind == "kv_dims" else (E, E)
    dims = [(L, E), (S, kdim)] if kind == "key_is_value" else [(L, E), (S, kdim), (S, vdim)]
    return [rand(*((N, a, b) if batch_first else (a, N, b)), seed=i + 1) for i, (a, b) in enumerate(dims)]


def _mha_case(name):
    """(module kwargs, the input arrays, a call(module, *tensors) that works for tinynn and torch)."""
    module_kwargs, forward_kwargs, kind = MHA_CASES[name]
    arrays = _mha_inputs(kind, module_kwargs.get("batch_first", False))
    masks = {k: v for k, v in forward_kwargs.items() if isinstance(v, np.ndarray)}
    flags = {k: v for k, v in forward_kwargs.items() if k not in masks}
    names = list(masks)

    def call(module, *tensors):
        lib = tinynn if isinstance(module, nn.Module) else torch
        inputs, mask_values = tensors[:len(arrays)], tensors[len(arrays):]
        if kind == "self":
            q = k = v = inputs[0]
        elif kind == "key_is_value":
            q, k, v = inputs[0], inputs[1], inputs[1]
        else:
            q, k, v = inputs
        out, weights = module(q, k, v, **dict(zip(names, mask_values)), **flags)
        assert (weights is None) == (flags.get("need_weights", True) is False)
        assert lib is tinynn or isinstance(out, torch.Tensor)
        return out if weights is None else (out, weights)

    all_arrays = arrays + [masks[k] for k in names]
    differentiable = [True] * len(arrays) + [False] * len(names)
    return module_kwargs, all_arrays, call, differentiable


@pytest.mark.parametrize("name", sorted(MHA_CASES))
def test_mha_gradcheck_inputs_and_parameters(name):
    module_kwargs, arrays, call, differentiable = _mha_case(name)
    tinynn.manual_seed(0)
    module = nn.MultiheadAttention(E, H, dtype=tinynn.float64, **module_kwargs)
    if module.in_proj_bias is not None:  # PyTorch starts the biases at zero; make them count here
        for p in (module.in_proj_bias, module.out_proj.bias):
            p.data = tinynn.tensor(rand(*p.shape, seed=5))
    params = list(module.parameters())
    inputs = [leaf(a) if d else tinynn.tensor(a) for a, d in zip(arrays, differentiable)]
    check_gradients(lambda *xs: call(module, *xs[:len(inputs)]), *inputs, *params, second_order=False)


@needs_torch
@pytest.mark.parametrize("name", sorted(MHA_CASES))
def test_mha_matches_torch(name):
    module_kwargs, arrays, call, differentiable = _mha_case(name)
    tinynn.manual_seed(1)
    ours = nn.MultiheadAttention(E, H, dtype=tinynn.float64, **module_kwargs)
    if ours.in_proj_bias is not None:
        ours.in_proj_bias.data = tinynn.tensor(rand(3 * E, seed=6))
    theirs = torch.nn.MultiheadAttention(E, H, dtype=torch.float64, **module_kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_module_matches_torch(ours, theirs, arrays, call, differentiable=differentiable)


def test_mha_second_order_gradients():
    module = nn.MultiheadAttention(E, H, dtype=tinynn.float64)
    x = rand(L, N, E, seed=1)
    check_gradients(lambda x, w: module(x, x, x, key_padding_mask=tinynn.tensor(KPM[:, :L]))[0], x,
                    module.in_proj_weight, fast_mode=True)


@needs_torch
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_fully_masked_query_like_torch(need_weights):
    """PyTorch gives NaN with need_weights=True (plain softmax) and zeros without (SDPA); so does tinynn."""
    mask = ATTN_BOOL.copy()
    mask[1] = True
    ours = nn.MultiheadAttention(E, H, dtype=tinynn.float64)
    theirs = torch.nn.MultiheadAttention(E, H, dtype=torch.float64)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    q, k, v = _mha_inputs("cross", False)
    a, wa = ours(tinynn.tensor(q), tinynn.tensor(k), tinynn.tensor(v), attn_mask=tinynn.tensor(mask),
                 need_weights=need_weights)
    b, wb = theirs(torch.tensor(q), torch.tensor(k), torch.tensor(v), attn_mask=torch.tensor(mask),
                   need_weights=need_weights)
    assert_close(a, b, what="output")
    assert np.isnan(a.detach().numpy()[1]).all() == need_weights
    if need_weights:
        assert_close(wa, wb, what="weights")


def test_mha_dropout_only_in_training():
    tinynn.manual_seed(0)
    module = nn.MultiheadAttention(8, 2, dropout=0.5, dtype=tinynn.float64)
    x = tinynn.tensor(rand(5, 3, 8, seed=1))
    module.eval()
    eval_out, eval_w = module(x, x, x, average_attn_weights=False)
    assert_close(eval_w.sum(-1), np.ones((3, 2, 5)), rtol=1e-12)  # plain softmax rows
    module.train()
    tinynn.manual_seed(1)
    train_out, train_w = module(x, x, x, average_attn_weights=False)
    tinynn.manual_seed(1)
    again, _ = module(x, x, x, average_attn_weights=False)
    assert_close(train_out, again, rtol=0, atol=0)
    assert not np.allclose(train_out.detach().numpy(), eval_out.detach().numpy())
    w, kept = train_w.detach().numpy(), train_w.detach().numpy() != 0
    assert 0.35 < 1 - kept.mean() < 0.65  # about half the weights dropped, the rest doubled
    assert_close(w[kept], 2 * eval_w.detach().numpy()[kept], rtol=1e-12)


def test_mha_initialisation_follows_pytorch():
    tinynn.manual_seed(0)
    e = 64
    m = nn.MultiheadAttention(e, 4, add_bias_kv=True)
    bound = math.sqrt(6 / (e + 3 * e))  # xavier_uniform_ on the (3E, E) stack
    w = m.in_proj_weight.detach().numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.all(m.in_proj_bias.detach().numpy() == 0) and np.all(m.out_proj.bias.detach().numpy() == 0)
    out_w = m.out_proj.weight.detach().numpy()
    assert np.abs(out_w).max() <= 1 / math.sqrt(e) and np.abs(out_w).max() > 0.9 / math.sqrt(e)
    bias_k = np.concatenate([m.bias_k.detach().numpy().ravel(), m.bias_v.detach().numpy().ravel()])
    assert abs(bias_k.std() - 1 / math.sqrt(e)) < 0.3 / math.sqrt(e)  # xavier_normal_ on (1, 1, E)
    separate = nn.MultiheadAttention(e, 4, kdim=8, vdim=16, bias=False)
    assert separate.in_proj_weight is None and separate.in_proj_bias is None and separate.out_proj.bias is None
    assert [tuple(p.shape) for p in separate.parameters()] == [(e, e), (e, 8), (e, 16), (e, e)]


def test_mha_state_dict_round_trip_and_keys():
    m = nn.MultiheadAttention(6, 3, kdim=2, vdim=4, add_bias_kv=True)
    assert list(m.state_dict()) == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias",
                                    "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"]
    other = nn.MultiheadAttention(6, 3, kdim=2, vdim=4, add_bias_kv=True)
    other.load_state_dict(m.state_dict())
    for (name, a), (_, b) in zip(m.state_dict().items(), other.state_dict().items()):
        assert_close(a, b, rtol=0, atol=0, what=name)


def test_mha_errors():
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(6, 4)
    m = nn.MultiheadAttention(E, H)
    x = tinynn.randn(L, N, E)
    with pytest.raises(RuntimeError, match="unbatched 2D or batched 3D"):
        m(x[None], x[None], x[None])
    with pytest.raises(RuntimeError, match="2D attn_mask"):
        m(x, x, x, attn_mask=tinynn.zeros(L, L + 1))
    with pytest.raises(RuntimeError, match="3D attn_mask"):
        m(x, x, x, attn_mask=tinynn.zeros(3, L, L))
    with pytest.raises(RuntimeError, match="is_causal"):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="key_padding_mask"):
        m(x, x, x, key_padding_mask=tinynn.zeros(N, L + 1, dtype=tinynn.bool))
    with pytest.raises(RuntimeError, match="only bool and floating"):
        m(x, x, x, key_padding_mask=tinynn.zeros(N, L, dtype=tinynn.int64))
    with pytest.raises(RuntimeError, match="expected query's last dim"):
        m(tinynn.randn(L, N, E + 2), x, x)


@needs_torch
def test_functional_mha_with_static_keys_and_values_matches_torch():
    """static_k / static_v (N * heads, S, head_dim) replace the projected keys and values."""
    w_in, b_in, w_out, b_out = rand(3 * E, E, seed=1), rand(3 * E, seed=2), rand(E, E, seed=3), rand(E, seed=4)
    q, k = rand(L, N, E, seed=5), rand(S, N, E, seed=6)
    static_k, static_v = rand(N * H, S + 1, E // H, seed=7), rand(N * H, S + 1, E // H, seed=8)

    def call(lib):
        fn = F.multi_head_attention_forward if lib is tinynn else torch.nn.functional.multi_head_attention_forward

        def run(q, k, w_in, b_in, w_out, b_out, sk, sv):
            return fn(q, k, k, E, H, w_in, b_in, None, None, False, 0.0, w_out, b_out, static_k=sk, static_v=sv,
                      average_attn_weights=False)
        return run

    assert_matches_torch(call(tinynn), call(torch), q, k, w_in, b_in, w_out, b_out, static_k, static_v)
