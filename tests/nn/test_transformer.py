"""Transformer encoder (tinynn/nn/transformer.py): TransformerEncoderLayer and TransformerEncoder —
float64 gradchecks w.r.t. inputs and every parameter, PyTorch parity (outputs, input and parameter
gradients) for norm_first, activations, masks, batch_first, unbatched input, the stack with a final
norm; bool and float masks mixed (PyTorch's deprecation warning), causal-mask detection; dropout
in training mode, deep copies, errors. The decoder side: tests/nn/test_transformer_decoder.py."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_close, assert_module_matches_torch, check_gradients, leaf, needs_torch, rand, torch

D, H, FF, S, N = 4, 2, 6, 3, 2
KPM = np.array([[False, False, True], [False, True, False]])  # (N, S), True = padding
MASK_BOOL = np.array([[False, True, False], [False, False, True], [True, False, False]])
MASK_FLOAT = rand(S, S, seed=4)
CAUSAL = np.triu(np.full((S, S), -np.inf), 1)

ACTIVATIONS = {  # name: (tinynn's, torch's)
    "relu": ("relu", "relu"),
    "gelu": ("gelu", "gelu"),
    "callable_tanh": (tinynn.tanh, lambda x: torch.tanh(x)),
    "module_gelu_tanh": (lambda: nn.GELU(approximate="tanh"), lambda: torch.nn.GELU(approximate="tanh")),
}

# name: (layer kwargs, activation, forward kwargs, input layout)
LAYER_CASES = {
    "post_norm_relu": (dict(), "relu", dict(), "seq_first"),
    "pre_norm_relu_kpm": (dict(norm_first=True), "relu", dict(src_key_padding_mask=KPM), "seq_first"),
    "post_norm_gelu_bool_mask": (dict(), "gelu", dict(src_mask=MASK_BOOL), "seq_first"),
    "pre_norm_gelu_float_mask_kpm": (dict(norm_first=True), "gelu",
                                     dict(src_mask=MASK_FLOAT, src_key_padding_mask=KPM), "seq_first"),
    "callable_batch_first_causal": (dict(batch_first=True), "callable_tanh", dict(src_mask=CAUSAL, is_causal=True),
                                    "batch_first"),
    "module_activation_pre_norm_no_bias": (dict(norm_first=True, bias=False), "module_gelu_tanh",
                                           dict(src_key_padding_mask=KPM), "seq_first"),
    "unbatched_eps": (dict(layer_norm_eps=1e-3), "relu", dict(src_mask=MASK_BOOL, src_key_padding_mask=KPM[1]),
                      "unbatched"),
}


def _activation(name, lib):
    act = ACTIVATIONS[name][0 if lib is tinynn else 1]
    return act() if name.startswith("module") else act


def _src(layout):
    return {"seq_first": rand(S, N, D, seed=1), "batch_first": rand(N, S, D, seed=1),
            "unbatched": rand(S, D, seed=1)}[layout]


def _layer(lib, layer_kwargs, activation):
    mod = nn if lib is tinynn else torch.nn
    dtype = tinynn.float64 if lib is tinynn else torch.float64
    return mod.TransformerEncoderLayer(D, H, FF, activation=_activation(activation, lib), dtype=dtype,
                                       **layer_kwargs).eval()


def _randomise(module, seed=3):
    """Non-zero biases and non-unit norms, so that every parameter shapes the output."""
    for i, p in enumerate(module.parameters()):
        p.data = tinynn.tensor(rand(*p.shape, seed=seed + i) * 0.5 + (1.0 if p.ndim == 1 else 0.0))
    return module


def _call(forward_kwargs, layout):
    masks = {k: v for k, v in forward_kwargs.items() if isinstance(v, np.ndarray)}
    flags = {k: v for k, v in forward_kwargs.items() if k not in masks}
    names = list(masks)

    def call(module, src, *mask_values):
        return module(src, **dict(zip(names, mask_values)), **flags)

    return call, [masks[k] for k in names]


@pytest.mark.filterwarnings("ignore:Support for mismatched")  # mixed bool/float masks: tested below
@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_encoder_layer_gradcheck_inputs_and_parameters(name):
    layer_kwargs, activation, forward_kwargs, layout = LAYER_CASES[name]
    tinynn.manual_seed(0)
    layer = _randomise(_layer(tinynn, layer_kwargs, activation))
    call, masks = _call(forward_kwargs, layout)
    masks = [tinynn.tensor(m) for m in masks]
    check_gradients(lambda src, *params: call(layer, src, *masks), leaf(_src(layout)), *layer.parameters(),
                    second_order=False)


@pytest.mark.filterwarnings("ignore:Support for mismatched")  # mixed bool/float masks: tested below
@needs_torch
@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_encoder_layer_matches_torch(name):
    layer_kwargs, activation, forward_kwargs, layout = LAYER_CASES[name]
    tinynn.manual_seed(1)
    ours = _randomise(_layer(tinynn, layer_kwargs, activation))
    theirs = _layer(torch, layer_kwargs, activation)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    call, masks = _call(forward_kwargs, layout)
    arrays = [_src(layout)] + masks
    assert_module_matches_torch(ours, theirs, arrays, call, differentiable=[True] + [False] * len(masks))


def test_encoder_layer_second_order_gradients():
    layer = _randomise(_layer(tinynn, dict(norm_first=True), "gelu"))
    check_gradients(lambda src, w: layer(src, src_key_padding_mask=tinynn.tensor(KPM)), _src("seq_first"),
                    layer.linear1.weight, fast_mode=True)


@pytest.mark.filterwarnings("ignore:Support for mismatched")  # mixed bool/float masks: tested below
@needs_torch
@pytest.mark.parametrize("mask_kind", ["none", "causal_detected", "float_and_kpm", "bool_kpm"])
def test_encoder_stack_with_final_norm_matches_torch(mask_kind):
    tinynn.manual_seed(2)
    ours = nn.TransformerEncoder(_layer(tinynn, dict(norm_first=True), "gelu"), num_layers=2,
                                 norm=nn.LayerNorm(D, dtype=tinynn.float64))
    _randomise(ours)
    theirs = torch.nn.TransformerEncoder(_layer(torch, dict(norm_first=True), "gelu"), num_layers=2,
                                         norm=torch.nn.LayerNorm(D, dtype=torch.float64), enable_nested_tensor=False)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    forward_kwargs = {"none": dict(), "causal_detected": dict(mask=CAUSAL),
                      "float_and_kpm": dict(mask=MASK_FLOAT, src_key_padding_mask=KPM),
                      "bool_kpm": dict(mask=MASK_BOOL, src_key_padding_mask=KPM)}[mask_kind]
    call, masks = _call(forward_kwargs, "seq_first")
    assert_module_matches_torch(ours, theirs, [_src("seq_first")] + masks, call,
                                differentiable=[True] + [False] * len(masks))


def test_encoder_stack_gradcheck():
    tinynn.manual_seed(3)
    stack = _randomise(nn.TransformerEncoder(_layer(tinynn, dict(), "relu"), num_layers=2,
                                             norm=nn.LayerNorm(D, dtype=tinynn.float64)))
    kpm = tinynn.tensor(KPM)
    check_gradients(lambda src, *params: stack(src, src_key_padding_mask=kpm), leaf(_src("seq_first")),
                    *stack.parameters(), second_order=False, fast_mode=True)


def test_encoder_copies_are_independent_and_keep_ties():
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0)
    layer.norm2.weight = layer.norm1.weight  # a tie inside the layer
    stack = nn.TransformerEncoder(layer, num_layers=3)
    first, second = stack.layers[0], stack.layers[1]
    assert first.norm2.weight is first.norm1.weight  # the tie survives the copy
    assert first.norm1.weight is not second.norm1.weight and first.norm1.weight is not layer.norm1.weight
    for (name, a), (_, b) in zip(layer.state_dict().items(), second.state_dict().items()):
        assert_close(a, b, rtol=0, atol=0, what=name)
    with tinynn.no_grad():
        first.linear1.weight.mul_(0.0)
    assert np.abs(second.linear1.weight.detach().numpy()).sum() > 0
    assert first.activation is F.relu and first.norm_first is False
    assert len(list(stack.parameters())) == 3 * (len(list(layer.parameters())))


def test_encoder_layer_dropout_only_in_training():
    tinynn.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3, dtype=tinynn.float64)
    reference = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=tinynn.float64)
    reference.load_state_dict(layer.state_dict())
    src = tinynn.tensor(rand(5, 3, 8, seed=2))
    layer.eval()
    assert_close(layer(src), reference(src), rtol=0, atol=0, what="eval mode is dropout-free")
    layer.train()
    tinynn.manual_seed(7)
    first = layer(src).detach().numpy()
    tinynn.manual_seed(7)
    assert np.array_equal(first, layer(src).detach().numpy())
    assert np.abs(first - reference(src).detach().numpy()).max() > 1e-3


@needs_torch
def test_generate_square_subsequent_mask_matches_torch():
    ours = nn.generate_square_subsequent_mask(4)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert ours.dtype == tinynn.float32
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert nn.generate_square_subsequent_mask(3, dtype=tinynn.float64).dtype == tinynn.float64


def test_causal_mask_is_detected_as_causal():
    """is_causal=None: the stack recognises the causal mask (float or bool) of the sequence's length."""
    from tinynn.nn.transformer import detect_is_causal_mask

    assert detect_is_causal_mask(nn.generate_square_subsequent_mask(4))
    assert detect_is_causal_mask(nn.generate_square_subsequent_mask(4) != 0, size=4)
    assert not detect_is_causal_mask(nn.generate_square_subsequent_mask(4), size=3)  # another length
    assert not detect_is_causal_mask(tinynn.tensor(MASK_FLOAT)) and not detect_is_causal_mask(None)
    assert not detect_is_causal_mask(nn.generate_square_subsequent_mask(3).expand(2, 3, 3), size=3)
    assert detect_is_causal_mask(tinynn.tensor(MASK_FLOAT), is_causal=True)  # a given hint is trusted
    assert not detect_is_causal_mask(nn.generate_square_subsequent_mask(3), is_causal=False)
    stack = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, FF, dropout=0.0), 2)
    src = tinynn.randn(S, N, D)
    mask = nn.generate_square_subsequent_mask(S)
    assert_close(stack(src, mask=mask), stack(src, mask=mask, is_causal=False), rtol=1e-6, atol=1e-7)
    assert_close(stack(src, mask=mask != 0), stack(src, mask=mask, is_causal=False), rtol=1e-6, atol=1e-7)


def test_causal_mask_of_the_wrong_length_is_an_error_not_a_causal_hint():
    stack = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, FF, dropout=0.0), 2)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is \(4, 4\), but should be \(3, 3\)"):
        stack(tinynn.randn(S, N, D), mask=nn.generate_square_subsequent_mask(S + 1))


@needs_torch
@pytest.mark.parametrize("stack", [False, True])
def test_bool_and_float_masks_mixed_warn_and_match_torch(stack):
    """PyTorch accepts a float mask with a bool key-padding mask (and warns that mixing is deprecated)."""
    tinynn.manual_seed(4)
    ours = _randomise(_layer(tinynn, dict(), "relu"))
    theirs = _layer(torch, dict(), "relu")
    if stack:
        ours = _randomise(nn.TransformerEncoder(ours, 2))
        theirs = torch.nn.TransformerEncoder(theirs, 2, enable_nested_tensor=False)
        call = lambda module, src, mask, kpm: module(src, mask=mask, src_key_padding_mask=kpm)  # noqa: E731
    else:
        call = lambda module, src, mask, kpm: module(src, src_mask=mask, src_key_padding_mask=kpm)  # noqa: E731
    name = "mask" if stack else "src_mask"
    with pytest.warns(UserWarning, match=f"Support for mismatched src_key_padding_mask and {name} is deprecated"):
        assert_module_matches_torch(ours, theirs, [_src("seq_first"), MASK_FLOAT, KPM], call,
                                    differentiable=[True, False, False])


def test_bool_mask_equals_its_float_mask():
    """A bool mask (True = masked out) is the float mask with -inf where True and 0 elsewhere."""
    tinynn.manual_seed(5)
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, dtype=tinynn.float64)
    src = tinynn.tensor(rand(S, N, D, seed=5))
    as_float = np.where(MASK_BOOL, -np.inf, 0.0)
    kpm_float = np.where(KPM, -np.inf, 0.0)
    assert_close(layer(src, src_mask=tinynn.tensor(MASK_BOOL), src_key_padding_mask=tinynn.tensor(KPM)),
                 layer(src, src_mask=tinynn.tensor(as_float), src_key_padding_mask=tinynn.tensor(kpm_float)),
                 rtol=0, atol=0)


def test_errors():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(D, H, activation="tanh")
    with pytest.raises(TypeError, match="activation"):
        nn.TransformerEncoderLayer(D, H, activation=3)
    with pytest.raises(TypeError, match="encoder_layer"):
        nn.TransformerEncoder("layer", 2)
    layer = nn.TransformerEncoderLayer(D, H, FF)
    with pytest.raises(RuntimeError, match="is_causal"):
        layer(tinynn.randn(S, N, D), is_causal=True)
    with pytest.raises(RuntimeError, match="2D attn_mask"):
        layer(tinynn.randn(S, N, D), src_mask=tinynn.zeros(S + 1, S + 1))
    with pytest.raises(AssertionError, match="only bool and floating types of src_mask are supported"):
        layer(tinynn.randn(S, N, D), src_mask=tinynn.zeros(S, S, dtype=tinynn.int64))
    with pytest.raises(AssertionError, match="only bool and floating types of src_key_padding_mask"):
        layer(tinynn.randn(S, N, D), src_key_padding_mask=tinynn.zeros(N, S, dtype=tinynn.int64))
    with pytest.raises(TypeError, match="src_mask should be a Tensor or None, got ndarray"):
        layer(tinynn.randn(S, N, D), src_mask=MASK_BOOL)
    with pytest.raises(AssertionError, match="divisible by num_heads"):
        nn.TransformerEncoderLayer(5, 2)
