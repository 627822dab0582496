"""GPT (tinynn/models/gpt.py) and its generation (generation.py): PyTorch parity of logits, loss and
every parameter gradient, gradchecks, nanoGPT's names and initialisation, the key-value cache
(same logits to 1e-10, same tokens, crossing block_size) and generate()'s options and errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinynn
from tinynn.models import GPT, GPTConfig, KVCache
from tests.helpers import assert_close, assert_module_matches_torch, check_gradients, needs_torch, torch

TINY = dict(block_size=8, vocab_size=11, n_layer=2, n_head=2, n_embd=8)


def tiny_gpt(seed: int = 0, **overrides) -> GPT:
    tinynn.manual_seed(seed)
    return GPT(GPTConfig(**{**TINY, **overrides})).double().eval()


def ids(batch: int, length: int, vocab: int = 11, seed: int = 0) -> tinynn.Tensor:
    return tinynn.tensor(np.random.default_rng(seed).integers(0, vocab, size=(batch, length)))


# ---------------------------------------------------------------------------- a PyTorch twin
if torch is not None:
    tnn = torch.nn

    class TorchAttention(tnn.Module):
        def __init__(self, c):
            super().__init__()
            self.c_attn = tnn.Linear(c.n_embd, 3 * c.n_embd, bias=c.bias)
            self.c_proj = tnn.Linear(c.n_embd, c.n_embd, bias=c.bias)
            self.n_head = c.n_head

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.c_attn(x).split(C, dim=2)
            q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
            scores = q @ k.transpose(-2, -1) / math.sqrt(C // self.n_head)
            future = torch.ones(T, T, dtype=torch.bool).triu(1)
            y = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1) @ v
            return self.c_proj(y.transpose(1, 2).reshape(B, T, C))

    class TorchBlock(tnn.Module):
        def __init__(self, c):
            super().__init__()
            self.ln_1, self.attn = tnn.LayerNorm(c.n_embd, bias=c.bias), TorchAttention(c)
            self.ln_2 = tnn.LayerNorm(c.n_embd, bias=c.bias)
            self.mlp = tnn.ModuleDict(dict(c_fc=tnn.Linear(c.n_embd, 4 * c.n_embd, bias=c.bias),
                                           c_proj=tnn.Linear(4 * c.n_embd, c.n_embd, bias=c.bias)))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp.c_proj(torch.nn.functional.gelu(self.mlp.c_fc(self.ln_2(x))))

    class TorchGPT(tnn.Module):
        def __init__(self, c):
            super().__init__()
            self.transformer = tnn.ModuleDict(dict(
                wte=tnn.Embedding(c.vocab_size, c.n_embd), wpe=tnn.Embedding(c.block_size, c.n_embd),
                h=tnn.ModuleList([TorchBlock(c) for _ in range(c.n_layer)]), ln_f=tnn.LayerNorm(c.n_embd, bias=c.bias)))
            self.lm_head = tnn.Linear(c.n_embd, c.vocab_size, bias=False)
            self.transformer.wte.weight = self.lm_head.weight

        def forward(self, idx, targets=None):
            T = idx.shape[1]
            x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(T))
            for block in self.transformer.h:
                x = block(x)
            logits = self.lm_head(self.transformer.ln_f(x))
            loss = None
            if targets is not None:
                loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                                         ignore_index=-1)
            return logits, loss


@needs_torch
@pytest.mark.parametrize("bias", [True, False])
def test_logits_loss_and_every_parameter_gradient_match_pytorch(bias):
    model = tiny_gpt(bias=bias)
    for p in model.parameters():  # move LayerNorm gains/biases off 1/0 so they are really tested
        p.data = p.data + tinynn.tensor(np.random.default_rng(p.numel()).normal(0, 0.05, p.shape))
    twin = TorchGPT(model.config).double()
    idx = np.random.default_rng(1).integers(0, 11, size=(3, 8))
    targets = np.random.default_rng(2).integers(0, 11, size=(3, 8))
    targets[0, :3] = -1  # ignored positions
    assert_module_matches_torch(model, twin, [idx, targets], rtol=1e-9, atol=1e-12)


def test_gradcheck_with_respect_to_parameters():
    model = tiny_gpt(n_layer=1, n_embd=4, block_size=5, vocab_size=6)
    idx, targets = ids(2, 5, vocab=6, seed=3), ids(2, 5, vocab=6, seed=4)
    c_attn, wpe, ln_f = (model.transformer.h[0].attn.c_attn.weight, model.transformer.wpe.weight,
                         model.transformer.ln_f.weight)

    def loss(*_params):  # gradcheck perturbs the parameters in place; the model reads them
        return model(idx, targets)[1]

    check_gradients(loss, c_attn, wpe, ln_f, second_order=False)
    check_gradients(lambda w: model(idx)[0], model.lm_head.weight, second_order=True, fast_mode=True)


def test_nanogpt_state_dict_keys_and_weight_tying():
    model = tiny_gpt()
    keys = list(model.state_dict())
    assert keys[:2] == ["transformer.wte.weight", "transformer.wpe.weight"] and keys[-1] == "lm_head.weight"
    for name in ("ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
                 "ln_2.weight", "mlp.c_fc.weight", "mlp.c_proj.bias"):
        assert f"transformer.h.1.{name}" in keys
    assert model.transformer.wte.weight is model.lm_head.weight
    C, V, T, L = 8, 11, 8, 2
    per_block = 2 * 2 * C + (3 * C * C + 3 * C) + (C * C + C) + (4 * C * C + 4 * C) + (4 * C * C + C)
    assert model.num_parameters() == V * C + T * C + L * per_block + 2 * C  # head counted once
    assert model.num_parameters(non_embedding=True) == model.num_parameters() - T * C
    no_bias = tiny_gpt(bias=False)
    assert not any(k.endswith("bias") for k in no_bias.state_dict())


def test_gpt2_initialisation():
    tinynn.manual_seed(0)
    model = GPT(GPTConfig(block_size=64, vocab_size=200, n_layer=4, n_head=4, n_embd=64))
    std = lambda t: float(t.detach().numpy().std())  # noqa: E731
    assert abs(std(model.transformer.wte.weight) - 0.02) < 0.001
    assert abs(std(model.transformer.h[0].mlp.c_fc.weight) - 0.02) < 0.001
    assert abs(std(model.transformer.h[0].attn.c_proj.weight) - 0.02 / math.sqrt(8)) < 0.0007
    assert abs(std(model.transformer.h[3].mlp.c_proj.weight) - 0.02 / math.sqrt(8)) < 0.0005
    assert float(model.transformer.h[0].attn.c_attn.bias.abs().max().item()) == 0.0
    # untrained logits are near zero, so the loss starts near log(V)
    _, loss = model(ids(4, 64, vocab=200), ids(4, 64, vocab=200, seed=1))
    assert abs(loss.item() - math.log(200)) < 0.05


def test_configure_optimizers_decays_matrices_only():
    model = tiny_gpt()
    opt = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-4, betas=(0.9, 0.95))
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.dim() >= 2 for p in decay["params"]) and all(p.dim() == 1 for p in no_decay["params"])
    assert sum(p.numel() for g in opt.param_groups for p in g["params"]) == model.num_parameters()
    assert opt.param_groups[0]["lr"] == 3e-4 and opt.param_groups[0]["betas"] == (0.9, 0.95)


def test_training_lowers_the_loss_with_dropout_on():
    model = tiny_gpt(dropout=0.1).train()
    data = ids(4, 9, seed=5)
    opt = model.configure_optimizers(0.0, 1e-2)
    first = None
    for _ in range(40):
        _, loss = model(data[:, :-1], data[:, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = first or loss.item()
    assert loss.item() < 0.5 * first


# ---------------------------------------------------------------------------- key-value cache
def test_cached_logits_equal_uncached_logits():
    model = tiny_gpt(block_size=12)
    seq = ids(3, 12, seed=6)
    full_logits, _ = model(seq)
    cache = KVCache(model.config.n_layer)
    with tinynn.no_grad():
        prefill, _ = model(seq[:, :5], cache=cache)
        steps = [model(seq[:, t:t + 1], cache=cache)[0] for t in range(5, 9)]
        chunk, _ = model(seq[:, 9:], cache=cache)  # several new tokens after a cache: the shifted mask
    got = tinynn.cat([prefill] + steps + [chunk], dim=1)
    assert_close(got, full_logits, rtol=0, atol=1e-10)
    assert len(cache) == 12 and cache.nbytes == 2 * 2 * 3 * 2 * 12 * 4 * 8
    with pytest.raises(ValueError, match="block size"):
        model(seq[:, :1], cache=cache)  # 13 positions


@pytest.mark.parametrize("options", [dict(do_sample=False), dict(), dict(temperature=0.7, top_k=4),
                                     dict(top_p=0.8, repetition_penalty=1.3),
                                     dict(num_return_sequences=3, top_k=5, top_p=0.9)])
def test_cached_generation_gives_the_tokens_of_uncached_generation(options):
    model = tiny_gpt()
    prompt = ids(2, 3, seed=7)
    # 20 new tokens: the text outgrows block_size 8, so the cache has to fall back to the window
    cached = model.generate(prompt, 20, generator=tinynn.Generator().manual_seed(1), **options)
    plain = model.generate(prompt, 20, use_cache=False, generator=tinynn.Generator().manual_seed(1), **options)
    rows = 2 * options.get("num_return_sequences", 1)
    assert tuple(cached.shape) == (rows, 23)
    assert np.array_equal(cached.numpy(), plain.numpy())
    assert np.array_equal(cached[::rows // 2, :3].numpy(), prompt.numpy())  # the prompt comes back first
    if options.get("num_return_sequences"):  # the samples of one prompt differ
        assert len({tuple(r) for r in cached[:3].tolist()}) > 1


def test_float32_generation_also_matches_and_greedy_equals_argmax():
    tinynn.manual_seed(0)
    model = GPT(GPTConfig(**TINY)).eval()
    prompt = ids(2, 4, seed=8)
    a = model.generate(prompt, 6, do_sample=False)
    assert np.array_equal(a.numpy(), model.generate(prompt, 6, do_sample=False, use_cache=False).numpy())
    step_by_step = prompt
    for _ in range(6):  # greedy decoding written out
        logits, _ = model(step_by_step[:, -8:])
        step_by_step = tinynn.cat([step_by_step, logits[:, -1].argmax(-1)[:, None]], dim=1)
    assert np.array_equal(a.numpy(), step_by_step.numpy())


def test_prompt_longer_than_block_size_is_cropped_by_generate():
    model = tiny_gpt()
    prompt = ids(1, 13, seed=9)
    out = model.generate(prompt, 3, do_sample=False)
    expected = model.generate(prompt[:, -8:], 3, do_sample=False)
    assert np.array_equal(out[:, 13:].numpy(), expected[:, 8:].numpy())
    with pytest.raises(ValueError, match="block size is only 8"):
        model(prompt)


def test_cache_computes_each_position_once():
    """With the cache each step feeds one new token through the blocks; without it, the whole text."""
    tinynn.manual_seed(0)
    model = GPT(GPTConfig(block_size=128, vocab_size=64, n_layer=2, n_head=4, n_embd=64)).eval()
    prompt = ids(1, 16, vocab=64)
    rows = []
    model.transformer.h[0].attn.c_attn.register_forward_hook(lambda m, inputs, out: rows.append(inputs[0].shape[1]))

    def positions(use_cache):
        rows.clear()
        model.generate(prompt, 64, do_sample=False, use_cache=use_cache)
        return sum(rows)

    assert positions(True) == 16 + 63                           # the prompt once, then one token per step
    assert positions(False) == sum(range(16, 16 + 64))          # the growing text at every step


# ---------------------------------------------------------------------------- eos and errors
def test_eos_stops_rows_pads_after_them_and_ends_early():
    model = tiny_gpt()
    prompt = ids(2, 3, seed=10)
    free = model.generate(prompt, 10, do_sample=False)
    eos = int(free[0, 4].item())  # the token row 0 writes second becomes "end of sequence"
    out = model.generate(prompt, 10, do_sample=False, eos_token_id=eos, pad_token_id=0)
    row0 = out[0].tolist()
    first = row0.index(eos, 3)
    assert first <= 4 and all(t == 0 for t in row0[first + 1:])
    row1 = out[1].tolist()
    if eos in row1[3:]:  # finished rows pad; unfinished rows are untouched
        assert out.shape[1] <= 13
    else:
        assert row1 == free[1].tolist()[: len(row1)]
    both = model.generate(prompt[:1], 10, do_sample=False, eos_token_id=[eos, 99])
    assert both.shape[1] == first + 1  # the only row finished: the loop stopped early
    cached = model.generate(prompt, 10, eos_token_id=eos, generator=tinynn.Generator().manual_seed(3))
    plain = model.generate(prompt, 10, eos_token_id=eos, use_cache=False, generator=tinynn.Generator().manual_seed(3))
    assert np.array_equal(cached.numpy(), plain.numpy())


@pytest.mark.parametrize("kwargs, message", [
    (dict(temperature=0.0), "temperature"), (dict(temperature=-1.0), "temperature"),
    (dict(top_p=0.0), "top_p"), (dict(top_p=1.5), "top_p"), (dict(top_k=0), "top_k"),
    (dict(repetition_penalty=0.0), "repetition_penalty"), (dict(max_new_tokens=-1), "max_new_tokens"),
    (dict(num_return_sequences=2, do_sample=False), "num_return_sequences"),
    (dict(eos_token_id=-3), "eos_token_id"),
])
def test_generate_rejects_bad_options(kwargs, message):
    model = tiny_gpt()
    kwargs = {"max_new_tokens": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        model.generate(ids(1, 2), **kwargs)


def test_bad_inputs_and_configs():
    model = tiny_gpt()
    with pytest.raises(ValueError, match="integer tensor"):
        model.generate(tinynn.zeros(1, 3), 2)
    with pytest.raises(ValueError, match="integer tensor"):
        model(ids(1, 3)[0])
    with pytest.raises(ValueError, match="targets"):
        model(ids(1, 3), ids(1, 4))
    with pytest.raises(ValueError, match="divisible"):
        GPTConfig(n_embd=10, n_head=3)
    with pytest.raises(ValueError, match="dropout"):
        GPTConfig(dropout=1.0)
