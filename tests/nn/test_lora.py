"""LoRA (tinynn/nn/lora.py, lora_layers.py): LoRALinear and LoRAMultiheadAttention (float64 gradchecks w.r.t. the
input and the adapters, the zero start, merge/unmerge round trips, errors, parity with a PyTorch
re-implementation of the same formula on the same weights) and the whole-model helpers (apply_lora
on nn.TransformerEncoder and on q_proj/v_proj models with exact parameter counts, trainable flags,
adapter-only state dicts, merge_and_unload)."""
import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tests.helpers import assert_close, check_gradients, leaf, needs_torch, rand, torch


def _linear(n_in=5, n_out=3, bias=True, seed=0):
    tinynn.manual_seed(seed)
    return nn.Linear(n_in, n_out, bias=bias, dtype=tinynn.float64)


def _trained(layer, seed=1):
    """Give every lora_B (and lora_A) random values, as after some training (B = 0 hides A's gradient)."""
    for k, (name, p) in enumerate(layer.named_parameters()):
        if "lora_" in name:
            p.data = tinynn.tensor(rand(*p.shape, seed=seed + k), dtype=p.dtype, device=p.device)
    return layer


def _mha(E=4, heads=2, batch_first=True, seed=0, **kwargs):
    tinynn.manual_seed(seed)
    mha = nn.MultiheadAttention(E, heads, batch_first=batch_first, dtype=tinynn.float64, **kwargs)
    with tinynn.no_grad():   # non-zero biases, so that a mix-up of the bias paths would show
        for name, p in mha.named_parameters():
            if "bias" in name:
                p.copy_(tinynn.tensor(rand(*p.shape, seed=9)))
    return mha


# ---------------------------------------------------------------------------------- LoRALinear
def test_lora_linear_parameters_and_zero_start():
    base = _linear(16, 3)
    layer = nn.LoRALinear(base, r=4, lora_alpha=8)
    assert layer.base is base and layer.scaling == 2.0 and layer.r == 4 and not layer.merged
    assert tuple(layer.lora_A.shape) == (4, 16) and tuple(layer.lora_B.shape) == (3, 4)
    assert layer.lora_A.dtype == tinynn.float64 and layer.lora_B.dtype == tinynn.float64  # follows base
    assert np.all(layer.lora_B.detach().numpy() == 0)
    a = layer.lora_A.detach().numpy()
    assert np.abs(a).max() <= 1 / math.sqrt(16) and a.std() > 0.05   # kaiming-uniform(a=sqrt 5): U(-1/4, 1/4)
    flags = {name: p.requires_grad for name, p in layer.named_parameters()}
    assert flags == {"base.weight": False, "base.bias": False, "lora_A": True, "lora_B": True}
    x = tinynn.tensor(rand(2, 7, 16))
    assert np.array_equal(layer(x).detach().numpy(), base(x).detach().numpy())   # B = 0: exactly the pretrained layer
    assert "r=4, lora_alpha=8, scaling=2, merged=False" in repr(layer)
    assert (layer.in_features, layer.out_features) == (16, 3)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(r=0), ValueError, "r must be >= 1, got r=0"),
    (dict(r=2.5), TypeError, "must be an int >= 1, got float"),
    (dict(r=True), TypeError, "got bool"),
    (dict(lora_alpha=0), ValueError, "lora_alpha must be a positive number, got 0"),
    (dict(lora_dropout=1.0), ValueError, "lora_dropout must be in [0, 1), got 1.0"),
])
def test_lora_linear_rejects_bad_hyperparameters(kwargs, error, words):
    with pytest.raises(error) as info:
        nn.LoRALinear(_linear(), **kwargs)
    assert words in str(info.value)


def test_lora_linear_needs_a_linear():
    with pytest.raises(TypeError, match="wraps an nn.Linear, got Conv1d"):
        nn.LoRALinear(nn.Conv1d(2, 3, 1))


@pytest.mark.parametrize("bias, r, alpha, dropout, shape", [
    (True, 2, 4, 0.0, (3, 5)),
    (False, 3, 1, 0.0, (2, 2, 5)),
    (True, 1, 16, 0.5, (4, 5)),          # dropout > 0, checked in eval mode
])
def test_lora_linear_gradcheck(bias, r, alpha, dropout, shape):
    layer = _trained(nn.LoRALinear(_linear(bias=bias), r=r, lora_alpha=alpha, lora_dropout=dropout))
    if dropout:
        layer.eval()
    check_gradients(lambda x, a, b: layer(x), rand(*shape), layer.lora_A, layer.lora_B)


def test_lora_linear_forward_formula_and_frozen_base():
    layer = _trained(nn.LoRALinear(_linear(), r=2, lora_alpha=6))
    x = leaf(rand(4, 5))
    y = layer(x)
    w, b = layer.base.weight.detach().numpy(), layer.base.bias.detach().numpy()
    a, bm = layer.lora_A.detach().numpy(), layer.lora_B.detach().numpy()
    assert_close(y, x.detach().numpy() @ w.T + b + 3.0 * (x.detach().numpy() @ a.T) @ bm.T, atol=1e-12)
    y.sum().backward()
    assert layer.base.weight.grad is None and layer.base.bias.grad is None
    assert layer.lora_A.grad is not None and np.abs(layer.lora_B.grad.detach().numpy()).sum() > 0


def test_lora_dropout_acts_on_the_adapter_only():
    layer = nn.LoRALinear(_linear(8, 6), r=2, lora_alpha=4, lora_dropout=0.5)
    x = tinynn.tensor(rand(50, 8))
    assert np.array_equal(layer(x).detach().numpy(), layer.base(x).detach().numpy())   # train mode, B = 0: the frozen path is intact
    _trained(layer)
    train_out = layer(x).detach().numpy()
    layer.eval()
    eval_out = layer(x).detach().numpy()
    assert np.abs(train_out - eval_out).max() > 1e-3


def test_lora_linear_merge_unmerge_round_trip():
    layer = _trained(nn.LoRALinear(_linear(), r=2, lora_alpha=4))
    w0 = layer.base.weight.detach().numpy().copy()
    x = tinynn.tensor(rand(6, 5))
    before = layer(x).detach().numpy()
    layer.merge()
    assert layer.merged
    assert_close(layer.base.weight, w0 + 2.0 * layer.lora_B.detach().numpy() @ layer.lora_A.detach().numpy(),
                 atol=1e-12)
    assert_close(layer(x), before, rtol=0, atol=1e-12)                 # the adapter is not added twice
    with pytest.warns(UserWarning, match="already merged"):
        layer.merge()
    layer.unmerge()
    assert not layer.merged
    assert_close(layer.base.weight, w0, rtol=0, atol=1e-12)
    assert_close(layer(x), before, rtol=0, atol=1e-12)
    with pytest.warns(UserWarning, match="not merged"):
        layer.unmerge()


@needs_torch
def test_lora_linear_matches_torch_formula():
    layer = _trained(nn.LoRALinear(_linear(5, 4), r=3, lora_alpha=5))
    x_np = rand(2, 3, 5, seed=4)
    x = leaf(x_np)
    (layer(x) * tinynn.tensor(rand(2, 3, 4, seed=5))).sum().backward()
    tw, tb = (torch.tensor(p.detach().numpy()) for p in (layer.base.weight, layer.base.bias))
    ta = torch.tensor(layer.lora_A.detach().numpy(), requires_grad=True)
    tbm = torch.tensor(layer.lora_B.detach().numpy(), requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    ty = torch.nn.functional.linear(tx, tw, tb) + (5 / 3) * (tx @ ta.T) @ tbm.T
    (ty * torch.tensor(rand(2, 3, 4, seed=5))).sum().backward()
    assert_close(layer(x), ty)
    for ours, theirs, what in ((x.grad, tx.grad, "x"), (layer.lora_A.grad, ta.grad, "A"), (layer.lora_B.grad, tbm.grad, "B")):
        assert_close(ours, theirs, what=what)


# ---------------------------------------------------------------------------------- LoRAMultiheadAttention
def test_lora_mha_zero_start_and_shapes():
    mha = _mha(E=6, heads=3)
    x = tinynn.tensor(rand(2, 5, 6))
    expected = mha(x, x, x)[0].detach().numpy()
    lora = nn.LoRAMultiheadAttention(mha, r=2, lora_alpha=4, qkv=("v", "q"))
    assert lora.qkv == ("q", "v")
    names = {n: tuple(p.shape) for n, p in lora.named_parameters() if p.requires_grad}
    assert names == {"lora_A_q": (2, 6), "lora_B_q": (6, 2), "lora_A_v": (2, 6), "lora_B_v": (6, 2)}
    assert all(not p.requires_grad for p in mha.parameters())
    assert_close(lora(x, x, x)[0], expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("qkv, out_proj, batch_first", [
    (("q", "v"), False, True),
    (("k",), True, False),
    (("q", "k", "v"), True, True),
])
def test_lora_mha_gradcheck(qkv, out_proj, batch_first):
    lora = _trained(nn.LoRAMultiheadAttention(_mha(batch_first=batch_first), r=2, lora_alpha=3, qkv=qkv,
                                              out_proj=out_proj))
    adapters = [p for n, p in lora.named_parameters() if "lora_" in n]
    assert len(adapters) == 2 * (len(qkv) + out_proj)
    check_gradients(lambda x, *ps: lora(x, x, x)[0], rand(2, 3, 4), *adapters, second_order=False)


def test_lora_mha_cross_attention_with_separate_kdim_vdim_gradcheck():
    lora = _trained(nn.LoRAMultiheadAttention(_mha(kdim=3, vdim=5), r=1, lora_alpha=2, qkv=("k", "v")))
    assert tuple(lora.lora_A_k.shape) == (1, 3) and tuple(lora.lora_A_v.shape) == (1, 5)
    k, v = leaf(rand(2, 4, 3, seed=1)), leaf(rand(2, 4, 5, seed=2))
    check_gradients(lambda q, k, v, *ps: lora(q, k, v)[0], rand(2, 3, 4), k, v, lora.lora_A_k, lora.lora_B_k,
                    lora.lora_A_v, lora.lora_B_v, second_order=False)


def test_lora_mha_merge_unmerge_round_trip():
    mha = _mha()
    w0, out0 = mha.in_proj_weight.detach().numpy().copy(), mha.out_proj.weight.detach().numpy().copy()
    lora = _trained(nn.LoRAMultiheadAttention(mha, r=2, lora_alpha=4, qkv=("q", "v"), out_proj=True))
    x = tinynn.tensor(rand(2, 3, 4))
    mask = tinynn.tensor(np.array([[False, False, True], [False, False, False]]))
    before, weights_before = (t.detach().numpy() for t in lora(x, x, x, key_padding_mask=mask))
    lora.merge()
    delta_k = lora.base.in_proj_weight.detach().numpy()[4:8] - w0[4:8]
    assert np.abs(delta_k).max() == 0                      # k was not adapted
    after, weights_after = (t.detach().numpy() for t in lora(x, x, x, key_padding_mask=mask))
    assert_close(after, before, rtol=0, atol=1e-12)
    assert_close(weights_after, weights_before, rtol=0, atol=1e-12)
    lora.unmerge()
    assert_close(lora.base.in_proj_weight, w0, rtol=0, atol=1e-12)
    assert_close(lora.base.out_proj.base.weight, out0, rtol=0, atol=1e-12)
    assert_close(lora(x, x, x, key_padding_mask=mask)[0], before, rtol=0, atol=1e-12)


@needs_torch
def test_lora_mha_matches_torch_on_the_adapted_weights():
    """tinynn's adapter against torch's MultiheadAttention forward, fed W + s B A computed in torch."""
    mha = _mha(E=6, heads=2)
    lora = _trained(nn.LoRAMultiheadAttention(mha, r=2, lora_alpha=4, qkv=("q", "v"), out_proj=True))
    x_np, up = rand(2, 5, 6, seed=3), rand(2, 5, 6, seed=4)
    x = leaf(x_np)
    (lora(x, x, x, need_weights=False)[0] * tinynn.tensor(up)).sum().backward()
    theirs = torch.nn.MultiheadAttention(6, 2, batch_first=True, dtype=torch.float64)
    adapters = {n: torch.tensor(p.detach().numpy(), requires_grad=True) for n, p in lora.named_parameters()
                if "lora_" in n}
    frozen = {n: torch.tensor(p.detach().numpy()) for n, p in mha.named_parameters() if "lora_" not in n}
    s = 2.0
    w_q, w_k, w_v = frozen["in_proj_weight"].chunk(3)
    in_proj = torch.cat([w_q + s * adapters["lora_B_q"] @ adapters["lora_A_q"], w_k,
                         w_v + s * adapters["lora_B_v"] @ adapters["lora_A_v"]])
    out_w = frozen["out_proj.base.weight"] + s * adapters["base.out_proj.lora_B"] @ adapters["base.out_proj.lora_A"]
    tx = torch.tensor(x_np, requires_grad=True).transpose(0, 1)
    ty, _ = torch.nn.functional.multi_head_attention_forward(
        tx, tx, tx, 6, 2, in_proj, frozen["in_proj_bias"], None, None, False, 0.0, out_w,
        frozen["out_proj.base.bias"], need_weights=False)
    ty = ty.transpose(0, 1)
    (ty * torch.tensor(up)).sum().backward()
    assert_close(lora(x, x, x)[0], ty)
    for name, p in lora.named_parameters():
        if "lora_" in name:
            assert_close(p.grad, adapters[name].grad, what=name)


@pytest.mark.parametrize("kwargs, words", [
    (dict(lora_dropout=0.1), "lora_dropout (dropout on the adapter's input) is not supported"),
    (dict(qkv=("q", "x")), "qkv must name distinct projections"),
    (dict(qkv=()), "needs something to adapt"),
])
def test_lora_mha_errors(kwargs, words):
    with pytest.raises(ValueError) as info:
        nn.LoRAMultiheadAttention(_mha(), **kwargs)
    assert words in str(info.value)
    with pytest.raises(TypeError, match="wraps an nn.MultiheadAttention, got Linear"):
        nn.LoRAMultiheadAttention(_linear())


# ---------------------------------------------------------------------------------- whole models
def _encoder(E=8, heads=2, ff=16, layers=2):
    tinynn.manual_seed(0)
    layer = nn.TransformerEncoderLayer(E, heads, ff, dropout=0.0, batch_first=True, dtype=tinynn.float64)
    return nn.TransformerEncoder(layer, layers)


class QVModel(nn.Module):
    """A block with separate q/k/v/o Linears, as in Hugging Face models (names q_proj, v_proj, ...)."""

    def __init__(self, d=6):
        super().__init__()
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (nn.Linear(d, d, dtype=tinynn.float64) for _ in range(4))
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d, dtype=tinynn.float64), nn.ReLU(),
                                 nn.Linear(2 * d, d, dtype=tinynn.float64))

    def forward(self, x):
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        attn = tinynn.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
        return self.mlp(self.o_proj(attn @ v))


def test_apply_lora_on_transformer_encoder_counts_and_zero_start():
    enc = _encoder()
    total_before = sum(p.numel() for p in enc.parameters())
    x = tinynn.tensor(rand(2, 5, 8))
    expected = enc(x).detach().numpy()
    assert nn.apply_lora(enc, ["self_attn"], r=2, lora_alpha=4) is enc
    assert all(isinstance(layer.self_attn, nn.LoRAMultiheadAttention) for layer in enc.layers)
    trainable, total = nn.count_parameters(enc)
    assert trainable == 2 * 2 * 2 * (8 + 8)            # layers * (q, v) * r * (in + out)
    assert total == total_before + trainable
    assert_close(enc(x), expected, rtol=0, atol=1e-12)
    enc(x).sum().backward()
    with_grad = {n for n, p in enc.named_parameters() if p.grad is not None}
    assert with_grad == {n for n, _ in enc.named_parameters() if "lora_" in n}


def test_apply_lora_out_proj_inside_attention_is_adapted():
    """out_proj is read by the attention functional, never called: the adapter must still act."""
    enc = _encoder(layers=1)
    nn.apply_lora(enc, ["out_proj"], r=1)
    attn = enc.layers[0].self_attn
    assert isinstance(attn, nn.LoRAMultiheadAttention) and attn.qkv == ()
    assert isinstance(attn.base.out_proj, nn.LoRALinear)
    assert nn.count_parameters(enc)[0] == 1 * (8 + 8)
    x = tinynn.tensor(rand(2, 5, 8))
    before = enc(x).detach().numpy()
    _trained(enc)
    assert np.abs(enc(x).detach().numpy() - before).max() > 1e-3
    nn.apply_lora(enc, ["linear1"], r=1)      # a second call adds adapters elsewhere
    assert nn.count_parameters(enc)[0] == 16 + 1 * (8 + 16)
    with pytest.raises(ValueError, match="already has a LoRA adapter"):
        nn.apply_lora(enc, ["linear1"])


def test_apply_lora_on_q_proj_v_proj_model():
    model = QVModel()
    x = tinynn.tensor(rand(3, 4, 6))
    expected = model(x).detach().numpy()
    nn.apply_lora(model, ["q_proj", "v_proj"], r=2, lora_alpha=8, lora_dropout=0.1)
    assert isinstance(model.q_proj, nn.LoRALinear) and isinstance(model.k_proj, nn.Linear)
    assert model.q_proj.lora_dropout.p == 0.1 and model.q_proj.scaling == 4.0
    trainable, total = nn.count_parameters(model)
    assert (trainable, total) == (2 * 2 * (6 + 6), 4 * 42 + 84 + 78 + trainable)
    model.eval()
    assert_close(model(x), expected, rtol=0, atol=1e-12)
    line = nn.print_trainable_parameters(model)
    assert line == f"trainable params: 48 || all params: {total:,} || trainable%: {100 * 48 / total:.4f}"


def test_apply_lora_regex_target_and_errors():
    model = QVModel()
    nn.apply_lora(model, r"mlp\.[02]", r=1)            # a string is a regex over the whole name
    assert isinstance(model.mlp[0], nn.LoRALinear) and isinstance(model.mlp[2], nn.LoRALinear)
    assert nn.count_parameters(model)[0] == (6 + 12) + (12 + 6)
    with pytest.raises(ValueError) as info:
        nn.apply_lora(QVModel(), ["query"])
    assert "no module matches target_modules=['query']" in str(info.value) and "'q_proj'" in str(info.value)
    with pytest.raises(TypeError, match="target 'mlp.1' is a ReLU"):
        nn.apply_lora(QVModel(), ["1"])
    with pytest.raises(ValueError, match="r must be >= 1"):
        nn.apply_lora(QVModel(), ["q_proj"], r=0)


@pytest.mark.parametrize("bias, expected_extra", [("none", 0), ("all", 4 * 6 + 12 + 6), ("lora_only", 2 * 6)])
def test_mark_only_lora_as_trainable_bias_modes(bias, expected_extra):
    model = nn.apply_lora(QVModel(), ["q_proj", "v_proj"], r=2, bias=bias)
    assert nn.count_parameters(model)[0] == 48 + expected_extra
    assert set(nn.lora_state_dict(model, bias=bias)) == {n for n, p in model.named_parameters() if p.requires_grad}
    with pytest.raises(ValueError, match="bias must be 'none', 'all' or 'lora_only', got 'some'"):
        nn.mark_only_lora_as_trainable(model, bias="some")


def test_adapter_only_state_dict_round_trip(tmp_path):
    enc = _trained(nn.apply_lora(_encoder(), ["self_attn", "linear1"], r=2))
    state = nn.lora_state_dict(enc)
    assert set(state) == {n for n, _ in enc.named_parameters() if "lora_" in n}
    assert sum(v.numel() for v in state.values()) == nn.count_parameters(enc)[0]
    tinynn.save(state, tmp_path / "adapter.npz")
    fresh = nn.apply_lora(_encoder(), ["self_attn", "linear1"], r=2)     # same pretrained weights, new adapters
    x = tinynn.tensor(rand(2, 5, 8))
    assert np.abs(fresh(x).detach().numpy() - enc(x).detach().numpy()).max() > 1e-3
    nn.load_lora_state_dict(fresh, tinynn.load(tmp_path / "adapter.npz"))
    assert_close(fresh(x), enc(x), rtol=0, atol=1e-12)
    with pytest.raises(RuntimeError, match="keys not in the model"):
        nn.load_lora_state_dict(nn.apply_lora(_encoder(), ["self_attn"], r=2), state)
    partial = {k: v for k, v in state.items() if "layers.1" not in k}
    with pytest.raises(RuntimeError, match="LoRA parameters missing.*layers.1"):
        nn.load_lora_state_dict(fresh, partial)
    nn.load_lora_state_dict(fresh, partial, strict=False)


def test_merge_lora_and_merge_and_unload_give_the_plain_model_back():
    plain_keys = list(_encoder().state_dict())
    enc = _trained(nn.apply_lora(_encoder(), ["self_attn", "out_proj", "linear2"], r=2))
    x = tinynn.tensor(rand(2, 5, 8))
    before = enc(x).detach().numpy()
    nn.merge_lora(enc)
    assert all(m.merged for m in enc.modules() if isinstance(m, (nn.LoRALinear, nn.LoRAMultiheadAttention)))
    assert_close(enc(x), before, rtol=0, atol=1e-12)
    nn.unmerge_lora(enc)
    assert_close(enc(x), before, rtol=0, atol=1e-12)
    enc = nn.merge_and_unload(enc)
    assert not any(isinstance(m, (nn.LoRALinear, nn.LoRAMultiheadAttention)) for m in enc.modules())
    assert list(enc.state_dict()) == plain_keys
    assert_close(enc(x), before, rtol=1e-10, atol=1e-12)
    layer = nn.merge_and_unload(_trained(nn.LoRALinear(_linear())))   # the model itself may be the LoRA layer
    assert type(layer) is nn.Linear
