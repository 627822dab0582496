"""Transformer decoder and the whole model (tinynn/nn/transformer_decoder.py): TransformerDecoderLayer,
TransformerDecoder, Transformer — float64 gradchecks w.r.t. target, memory and every parameter,
PyTorch parity (outputs, input and parameter gradients, same weights through state_dict) for every
mask kind (float, bool, 3-D, key padding, causal hints and detection), norm_first, batch_first,
activations, unbatched input, custom stacks; PyTorch's initialisation and state-dict names, both
ways; dropout in training mode; errors with PyTorch's messages."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tests.helpers import assert_close, assert_module_matches_torch, check_gradients, leaf, needs_torch, rand, torch
from tests.nn.test_transformer import _activation, _randomise

# PyTorch warns when a float attention mask meets a bool padding mask (deprecated, still supported) and
# about its nested-tensor fast path; tinynn's numbers are the same either way
pytestmark = [pytest.mark.filterwarnings("ignore:Support for mismatched"),
              pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")]

D, H, FF, T, S, N = 4, 2, 6, 3, 4, 2
TGT_KPM = np.array([[False, False, True], [False, True, False]])  # (N, T), True = padding
MEM_KPM = np.array([[False, False, False, True], [False, True, True, False]])  # (N, S)
TGT_BOOL = np.array([[False, True, False], [False, False, True], [True, False, False]])
TGT_FLOAT = rand(T, T, seed=4)
CAUSAL = np.triu(np.full((T, T), -np.inf), 1)
MEM_FLOAT = rand(T, S, seed=5)
MEM_BOOL = np.array([[False, True, False, False], [True, False, False, True], [False, False, True, False]])
MEM_CAUSAL = np.triu(np.full((T, S), -np.inf), 1)  # top-left aligned, as memory_is_causal means
TGT_3D = rand(N * H, T, T, seed=6)
MEM_3D = rand(N * H, T, S, seed=7) > 0.5

# name: (layer kwargs, activation, forward kwargs, input layout)
LAYER_CASES = {
    "post_norm_relu": (dict(), "relu", dict(), "seq_first"),
    "post_norm_causal_hint_and_padding": (dict(), "relu", dict(tgt_mask=CAUSAL, tgt_is_causal=True,
                                                               tgt_key_padding_mask=TGT_KPM,
                                                               memory_key_padding_mask=MEM_KPM), "seq_first"),
    "pre_norm_gelu_causal_hint_only": (dict(norm_first=True), "gelu", dict(tgt_mask=CAUSAL, tgt_is_causal=True),
                                       "seq_first"),
    "pre_norm_float_masks": (dict(norm_first=True), "relu", dict(tgt_mask=TGT_FLOAT, memory_mask=MEM_FLOAT),
                             "seq_first"),
    "bool_masks_and_padding": (dict(), "gelu", dict(tgt_mask=TGT_BOOL, memory_mask=MEM_BOOL,
                                                    tgt_key_padding_mask=TGT_KPM, memory_key_padding_mask=MEM_KPM),
                               "seq_first"),
    "masks_3d": (dict(), "relu", dict(tgt_mask=TGT_3D, memory_mask=MEM_3D), "seq_first"),
    "memory_is_causal": (dict(), "relu", dict(memory_mask=MEM_CAUSAL, memory_is_causal=True), "seq_first"),
    "batch_first_callable": (dict(batch_first=True), "callable_tanh",
                             dict(tgt_mask=CAUSAL, memory_key_padding_mask=MEM_KPM), "batch_first"),
    "batch_first_pre_norm_no_bias": (dict(batch_first=True, norm_first=True, bias=False), "module_gelu_tanh",
                                     dict(tgt_key_padding_mask=TGT_KPM), "batch_first"),
    "unbatched_eps": (dict(layer_norm_eps=1e-3), "relu", dict(tgt_mask=TGT_BOOL, tgt_key_padding_mask=TGT_KPM[1],
                                                              memory_key_padding_mask=MEM_KPM[1]), "unbatched"),
}


def _inputs(layout, seed=1):
    """(tgt, memory) arrays for a layout."""
    shapes = {"seq_first": ((T, N, D), (S, N, D)), "batch_first": ((N, T, D), (N, S, D)),
              "unbatched": ((T, D), (S, D))}[layout]
    return rand(*shapes[0], seed=seed), rand(*shapes[1], seed=seed + 1)


def _lib(lib):
    """(nn module, float64) of tinynn or torch."""
    return (nn, tinynn.float64) if lib is tinynn else (torch.nn, torch.float64)


def _decoder_layer(lib, layer_kwargs, activation):
    mod, dtype = _lib(lib)
    return mod.TransformerDecoderLayer(D, H, FF, activation=_activation(activation, lib), dtype=dtype,
                                       **layer_kwargs).eval()


def _call(forward_kwargs, n_inputs=2):
    """call(module, *inputs, *masks) with the masks of ``forward_kwargs`` passed by name, and the masks."""
    masks = {k: v for k, v in forward_kwargs.items() if isinstance(v, np.ndarray)}
    flags = {k: v for k, v in forward_kwargs.items() if k not in masks}
    names = list(masks)

    def call(module, *values):
        return module(*values[:n_inputs], **dict(zip(names, values[n_inputs:])), **flags)

    return call, [masks[k] for k in names]


# ---------------------------------------------------------------------------- TransformerDecoderLayer
@needs_torch
@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_decoder_layer_matches_torch(name):
    layer_kwargs, activation, forward_kwargs, layout = LAYER_CASES[name]
    tinynn.manual_seed(1)
    ours = _randomise(_decoder_layer(tinynn, layer_kwargs, activation))
    theirs = _decoder_layer(torch, layer_kwargs, activation)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    call, masks = _call(forward_kwargs)
    assert_module_matches_torch(ours, theirs, [*_inputs(layout), *masks], call,
                                differentiable=[True, True] + [False] * len(masks))


@pytest.mark.parametrize("name", ["bool_masks_and_padding", "pre_norm_float_masks", "batch_first_pre_norm_no_bias"])
def test_decoder_layer_gradcheck_inputs_and_parameters(name):
    layer_kwargs, activation, forward_kwargs, layout = LAYER_CASES[name]
    tinynn.manual_seed(0)
    layer = _randomise(_decoder_layer(tinynn, layer_kwargs, activation))
    call, masks = _call(forward_kwargs)
    masks = [tinynn.tensor(m) for m in masks]
    tgt, memory = _inputs(layout)
    check_gradients(lambda tgt, memory, *params: call(layer, tgt, memory, *masks), leaf(tgt), leaf(memory),
                    *layer.parameters(), second_order=False, fast_mode=True)


def test_decoder_layer_second_order_gradients():
    layer = _randomise(_decoder_layer(tinynn, dict(norm_first=True), "gelu"))
    tgt, memory = _inputs("seq_first")
    mask, kpm = tinynn.tensor(CAUSAL), tinynn.tensor(MEM_KPM)
    check_gradients(lambda tgt, memory: layer(tgt, memory, tgt_mask=mask, memory_key_padding_mask=kpm), tgt, memory,
                    fast_mode=True)


def test_decoder_layer_dropout_only_in_training():
    tinynn.manual_seed(0)
    layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.3, dtype=tinynn.float64)
    reference = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, dtype=tinynn.float64)
    reference.load_state_dict(layer.state_dict())
    tgt, memory = tinynn.tensor(rand(5, 3, 8, seed=2)), tinynn.tensor(rand(4, 3, 8, seed=3))
    layer.eval()
    assert_close(layer(tgt, memory), reference(tgt, memory), rtol=0, atol=0, what="eval mode is dropout-free")
    layer.train()
    tinynn.manual_seed(7)
    first = layer(tgt, memory).detach().numpy()
    tinynn.manual_seed(7)
    assert np.array_equal(first, layer(tgt, memory).detach().numpy())
    assert np.abs(first - reference(tgt, memory).detach().numpy()).max() > 1e-3


# ---------------------------------------------------------------------------- TransformerDecoder
@needs_torch
@pytest.mark.parametrize("mask_kind", ["none", "causal_detected", "bool_causal_detected", "float_and_padding"])
def test_decoder_stack_with_final_norm_matches_torch(mask_kind):
    tinynn.manual_seed(2)
    ours = nn.TransformerDecoder(_decoder_layer(tinynn, dict(norm_first=True), "gelu"), num_layers=2,
                                 norm=nn.LayerNorm(D, dtype=tinynn.float64))
    _randomise(ours)
    theirs = torch.nn.TransformerDecoder(_decoder_layer(torch, dict(norm_first=True), "gelu"), num_layers=2,
                                         norm=torch.nn.LayerNorm(D, dtype=torch.float64))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    forward_kwargs = {"none": dict(), "causal_detected": dict(tgt_mask=CAUSAL),
                      "bool_causal_detected": dict(tgt_mask=CAUSAL != 0),
                      "float_and_padding": dict(tgt_mask=TGT_FLOAT, memory_mask=MEM_FLOAT,
                                                tgt_key_padding_mask=TGT_KPM, memory_key_padding_mask=MEM_KPM)}
    call, masks = _call(forward_kwargs[mask_kind])
    assert_module_matches_torch(ours, theirs, [*_inputs("seq_first"), *masks], call,
                                differentiable=[True, True] + [False] * len(masks))


def test_decoder_stack_detects_the_causal_mask():
    """tgt_is_causal=None: each layer is told the mask is causal exactly when it is."""
    seen = []

    class Recorder(nn.Module):
        def forward(self, tgt, memory, **kwargs):
            seen.append(kwargs["tgt_is_causal"])
            return tgt

    stack = nn.TransformerDecoder(Recorder(), num_layers=2)
    tgt, memory = tinynn.randn(T, N, D), tinynn.randn(S, N, D)
    stack(tgt, memory, tgt_mask=nn.Transformer.generate_square_subsequent_mask(T))
    stack(tgt, memory, tgt_mask=nn.Transformer.generate_square_subsequent_mask(T) != 0)
    stack(tgt, memory, tgt_mask=tinynn.tensor(TGT_FLOAT))
    stack(tgt, memory)
    stack(tgt, memory, tgt_mask=tinynn.tensor(TGT_FLOAT), tgt_is_causal=True)
    assert seen == [True, True, True, True, False, False, False, False, True, True]


def test_decoder_stack_gradcheck():
    tinynn.manual_seed(3)
    stack = _randomise(nn.TransformerDecoder(_decoder_layer(tinynn, dict(), "relu"), num_layers=2,
                                             norm=nn.LayerNorm(D, dtype=tinynn.float64)))
    mask, kpm = tinynn.tensor(CAUSAL), tinynn.tensor(MEM_KPM)
    tgt, memory = _inputs("seq_first")
    check_gradients(lambda tgt, memory, *params: stack(tgt, memory, tgt_mask=mask, memory_key_padding_mask=kpm),
                    leaf(tgt), leaf(memory), *stack.parameters(), second_order=False, fast_mode=True)


# ---------------------------------------------------------------------------- Transformer
SRC_KPM = MEM_KPM
SRC_BOOL = np.array([[False, True, False, False], [False, False, False, True], [True, False, False, False],
                     [False, False, False, False]])
SRC_CAUSAL = np.triu(np.full((S, S), -np.inf), 1)

# name: (model kwargs, forward kwargs, layout)
MODEL_CASES = {
    "seq_first_every_mask": (dict(), dict(src_mask=SRC_BOOL, tgt_mask=CAUSAL, memory_mask=MEM_FLOAT,
                                          src_key_padding_mask=SRC_KPM, tgt_key_padding_mask=TGT_KPM,
                                          memory_key_padding_mask=SRC_KPM), "seq_first"),
    "batch_first_pre_norm_gelu_tutorial_masks": (dict(batch_first=True, norm_first=True, activation="gelu"),
                                                 dict(src_mask=np.zeros((S, S), dtype=bool), tgt_mask=CAUSAL,
                                                      src_key_padding_mask=SRC_KPM, tgt_key_padding_mask=TGT_KPM,
                                                      memory_key_padding_mask=SRC_KPM), "batch_first"),
    "causal_hints": (dict(), dict(src_mask=SRC_CAUSAL, tgt_mask=CAUSAL, src_is_causal=True, tgt_is_causal=True),
                     "seq_first"),
    "unbatched_no_bias": (dict(bias=False), dict(tgt_mask=CAUSAL, src_key_padding_mask=SRC_KPM[1],
                                                 memory_key_padding_mask=SRC_KPM[1]), "unbatched"),
}


def _model(lib, **kwargs):
    mod, dtype = _lib(lib)
    return mod.Transformer(D, H, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=FF, dropout=0.0,
                           dtype=dtype, **kwargs).eval()


def _src_tgt(layout):
    tgt, _ = _inputs(layout, seed=8)
    _, src = _inputs(layout, seed=10)
    return src, tgt


@needs_torch
@pytest.mark.parametrize("name", sorted(MODEL_CASES))
def test_transformer_matches_torch(name):
    model_kwargs, forward_kwargs, layout = MODEL_CASES[name]
    tinynn.manual_seed(4)
    ours = _randomise(_model(tinynn, **model_kwargs))
    theirs = _model(torch, **model_kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    call, masks = _call(forward_kwargs)
    assert_module_matches_torch(ours, theirs, [*_src_tgt(layout), *masks], call,
                                differentiable=[True, True] + [False] * len(masks))


@needs_torch
def test_transformer_with_custom_stacks_matches_torch():
    def stacks(lib):
        mod, dtype = _lib(lib)
        encoder = mod.TransformerEncoder(mod.TransformerEncoderLayer(D, H, FF, 0.0, dtype=dtype), 1)
        decoder = mod.TransformerDecoder(mod.TransformerDecoderLayer(D, H, FF, 0.0, dtype=dtype), 3,
                                         norm=mod.LayerNorm(D, dtype=dtype))
        return dict(custom_encoder=encoder, custom_decoder=decoder)

    tinynn.manual_seed(5)
    ours_stacks = stacks(tinynn)
    ours = _randomise(_model(tinynn, **ours_stacks))
    assert ours.encoder is ours_stacks["custom_encoder"] and ours.decoder is ours_stacks["custom_decoder"]
    theirs = _model(torch, **stacks(torch))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert len(ours.decoder.layers) == 3 and ours.encoder.norm is None
    call, masks = _call(dict(tgt_mask=CAUSAL, memory_key_padding_mask=SRC_KPM))
    assert_module_matches_torch(ours, theirs, [*_src_tgt("seq_first"), *masks], call,
                                differentiable=[True, True, False, False])


@needs_torch
def test_transformer_loads_torchs_weights():
    """PyTorch's state dict loads into tinynn's Transformer (the other way is tested above)."""
    torch.manual_seed(0)
    theirs = _model(torch, batch_first=True)
    ours = _model(tinynn, batch_first=True)
    ours.load_state_dict({k: tinynn.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    src, tgt = _src_tgt("batch_first")
    mask = nn.Transformer.generate_square_subsequent_mask(T, dtype=tinynn.float64)
    out = ours(tinynn.tensor(src), tinynn.tensor(tgt), tgt_mask=mask)
    expected = theirs(torch.tensor(src), torch.tensor(tgt), tgt_mask=torch.tensor(mask.numpy()))
    assert_close(out, expected, what="Transformer with PyTorch's weights")


def test_transformer_gradcheck():
    tinynn.manual_seed(6)
    model = _randomise(nn.Transformer(D, H, 1, 1, FF, dropout=0.0, dtype=tinynn.float64))
    mask, kpm = nn.Transformer.generate_square_subsequent_mask(T, dtype=tinynn.float64), tinynn.tensor(SRC_KPM)
    src, tgt = _src_tgt("seq_first")
    check_gradients(lambda src, tgt, *params: model(src, tgt, tgt_mask=mask, src_key_padding_mask=kpm,
                                                    memory_key_padding_mask=kpm),
                    leaf(src), leaf(tgt), *model.parameters(), second_order=False, fast_mode=True)


def test_transformer_initialisation_is_xavier_uniform():
    """Every matrix (custom stacks' too) is re-drawn from U(-a, a), a = sqrt(6 / (fan_in + fan_out));
    vectors keep their layer's init (zero attention biases, unit LayerNorm gains)."""
    tinynn.manual_seed(0)
    d, ff = 16, 128
    custom = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, 2, ff), 1)
    model = nn.Transformer(d, 2, 1, 2, ff, custom_encoder=custom)
    assert model.encoder is custom and (model.d_model, model.nhead, model.batch_first) == (d, 2, False)
    matrices = 0
    for name, p in model.named_parameters():
        w = p.detach().numpy()
        if p.ndim > 1:
            bound = np.sqrt(6.0 / (p.shape[0] + p.shape[1]))
            assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound, name
            assert abs(w.var() - bound ** 2 / 3) < 0.2 * bound ** 2 / 3, name  # U(-a, a) has variance a^2 / 3
            matrices += 1
        elif name.endswith("in_proj_bias") or name.endswith("out_proj.bias"):
            assert np.all(w == 0), name
        elif "norm" in name:
            assert np.all(w == (1.0 if name.endswith("weight") else 0.0)), name
    assert matrices == 1 * 4 + 2 * 6  # encoder layer: in_proj, out_proj, linear1, linear2; decoder: + cross-attn
    layers = model.decoder.layers
    assert not np.array_equal(layers[0].linear1.weight.detach().numpy(), layers[1].linear1.weight.detach().numpy())


@needs_torch
def test_transformer_generate_square_subsequent_mask_matches_torch():
    for sz, dtype in [(1, None), (4, "float64"), (5, "float32")]:
        ours = nn.Transformer.generate_square_subsequent_mask(sz, dtype=dtype and getattr(tinynn, dtype))
        theirs = torch.nn.Transformer.generate_square_subsequent_mask(sz, dtype=dtype and getattr(torch, dtype))
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    model = nn.Transformer(D, H, 1, 1, FF)
    mask = model.generate_square_subsequent_mask(3, device="cpu")  # also through an instance, with a device
    assert mask.device.type == "cpu" and mask.dtype == tinynn.float32
    np.testing.assert_array_equal(mask.numpy(), CAUSAL.astype(np.float32))


def test_transformer_shapes():
    tinynn.manual_seed(0)
    for batch_first, src_shape, tgt_shape in [(False, (5, 2, 8), (3, 2, 8)), (True, (2, 5, 8), (2, 3, 8)),
                                              (False, (5, 8), (3, 8))]:
        model = nn.Transformer(8, 2, 1, 1, 16, batch_first=batch_first)
        assert tuple(model(tinynn.randn(*src_shape), tinynn.randn(*tgt_shape)).shape) == tgt_shape


def test_errors():
    with pytest.raises(AssertionError, match="divisible by num_heads"):
        nn.TransformerDecoderLayer(5, 2)
    with pytest.raises(AssertionError, match="divisible by num_heads"):
        nn.Transformer(d_model=6, nhead=4)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerDecoderLayer(D, H, activation="tanh")
    with pytest.raises(TypeError, match="decoder_layer should be a Module"):
        nn.TransformerDecoder("layer", 2)
    layer = nn.TransformerDecoderLayer(D, H, FF)
    tgt, memory = tinynn.randn(T, N, D), tinynn.randn(S, N, D)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is \(4, 4\), but should be \(3, 3\)"):
        layer(tgt, memory, tgt_mask=tinynn.zeros(T + 1, T + 1))
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is \(3, 3\), but should be \(3, 4\)"):
        layer(tgt, memory, memory_mask=tinynn.zeros(T, T))
    with pytest.raises(RuntimeError, match="The shape of the 3D attn_mask"):
        layer(tgt, memory, tgt_mask=tinynn.zeros(N, T, T))
    with pytest.raises(RuntimeError, match="key_padding_mask"):
        layer(tgt, memory, memory_key_padding_mask=tinynn.zeros(N, T, dtype=tinynn.bool))
    with pytest.raises(RuntimeError, match="is_causal"):
        layer(tgt, memory, tgt_is_causal=True)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is \(4, 4\)"):  # not taken as causal
        nn.TransformerDecoder(layer, 1)(tgt, memory, tgt_mask=nn.Transformer.generate_square_subsequent_mask(T + 1))
    model = nn.Transformer(D, H, 1, 1, FF)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(tinynn.randn(S, N, D), tinynn.randn(T, N + 1, D))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(tinynn.randn(S, N, D), tinynn.randn(T, N, D + 1))
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        nn.Transformer(D, H, 1, 1, FF, batch_first=True)(tinynn.randn(N, S, D), tinynn.randn(N + 1, T, D))
