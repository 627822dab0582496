"""Milestone 4: a small GPT writes fables, with the student's attention, layer norm, Adam and sampling.

Token embedding + the student's sinusoidal positions -> 2 pre-norm blocks (the student's layer norm
and multi-head causal self-attention, an MLP of the student's Linear and GELU) -> layer norm -> the
student's Linear to the vocabulary. Trained with the student's cross-entropy, Adam and backward walk;
then it writes text with the student's top-k sampling.
"""
from __future__ import annotations

import math

import tinynn
import tinynn.nn.functional as F
from .parts import rebind
from .text_data import CharData, train_language_model

TITLE = "a small GPT with your attention, multi-head attention, layer norm, Adam and sampling"
PARTS = ["unbroadcast", "engine", "attention", "multihead_attention", "positional_encoding", "layer_norm", "linear",
         "cross_entropy", "adam", "sampling"]
TARGET = ("held-out loss (nats/char)", 1.8, False)   # log(vocabulary) = 4.1 untrained

WIDTH, HEADS, LAYERS, BLOCK, BATCH = 64, 4, 2, 32, 32


class _GPT:
    def __init__(self, parts, vocab: int):
        tinynn.manual_seed(0)
        self.parts, self.vocab = parts, vocab
        # exercise 20's multi-head attention, calling exercise 19's scaled dot-product attention
        self.multi_head_attention = rebind(parts["multihead_attention"].multi_head_attention,
                                           scaled_dot_product_attention=parts["attention"].scaled_dot_product_attention)

        def normal(*shape, std=0.02):
            return (tinynn.randn(*shape) * std).requires_grad_(True)

        def zeros(*shape):
            return tinynn.zeros(*shape, requires_grad=True)

        def ones(*shape):
            return tinynn.ones(*shape, requires_grad=True)

        self.embedding = normal(vocab, WIDTH)
        self.positions = parts["positional_encoding"].sinusoidal_encoding(BLOCK, WIDTH)
        self.blocks = []
        for _ in range(LAYERS):
            self.blocks.append({
                "ln1": (ones(WIDTH), zeros(WIDTH)), "ln2": (ones(WIDTH), zeros(WIDTH)),
                "attn": [normal(WIDTH, WIDTH) for _ in range(4)] + [zeros(WIDTH) for _ in range(4)],
                "fc": (normal(4 * WIDTH, WIDTH), zeros(4 * WIDTH)),
                "proj": (normal(WIDTH, 4 * WIDTH, std=0.02 / math.sqrt(2 * LAYERS)), zeros(WIDTH)),
            })
        self.ln_f = (ones(WIDTH), zeros(WIDTH))
        self.head = (normal(vocab, WIDTH), zeros(vocab))

    def parameters(self):
        params = [self.embedding, *self.ln_f, *self.head]
        for block in self.blocks:
            params += [*block["ln1"], *block["ln2"], *block["attn"], *block["fc"], *block["proj"]]
        return params

    def logits(self, idx):
        p = self.parts
        n, t = idx.shape
        linear, norm = p["linear"].LinearFunction.apply, p["layer_norm"].LayerNormFunction.apply
        mask = p["attention"].causal_mask(t, t)
        x = self.embedding[idx] + self.positions[:t]
        for block in self.blocks:
            h = norm(x, *block["ln1"], 1e-5)
            wq, wk, wv, wo, bq, bk, bv, bo = block["attn"]
            x = x + self.multi_head_attention(
                h, h, h, wq, wk, wv, wo, HEADS, mask=mask, bias_q=bq, bias_k=bk, bias_v=bv, bias_o=bo)
            h = norm(x, *block["ln2"], 1e-5)
            x = x + linear(F.gelu(linear(h.reshape(n * t, WIDTH), *block["fc"])), *block["proj"]).reshape(n, t, WIDTH)
        x = norm(x, *self.ln_f, 1e-5)
        return linear(x.reshape(n * t, WIDTH), *self.head).reshape(n, t, self.vocab)

    def loss(self, x, y):
        n, t = x.shape
        return self.parts["cross_entropy"].SoftmaxCrossEntropy.apply(self.logits(x).reshape(n * t, self.vocab),
                                                                     y.reshape(-1))

    def generate(self, prompt_ids, length: int, generator) -> list:
        idx = tinynn.tensor([prompt_ids])
        with tinynn.no_grad():
            for _ in range(length):
                logits = self.logits(idx[:, -BLOCK:])[:, -1]
                token = self.parts["sampling"].sample_next(logits, temperature=0.8, top_k=10, generator=generator)
                idx = tinynn.cat([idx, tinynn.tensor(token).reshape(1, 1).to(idx.dtype)], dim=1)
        return idx[0].tolist()


def run(parts, log=print, quick: bool = True) -> dict:
    data = CharData()
    model = _GPT(parts, data.vocab_size)
    result = train_language_model(model, data, parts, lr=3e-3, steps=400 if quick else 2000, batch=BATCH,
                                  block=BLOCK, log=log)
    prompt = data.tokenizer.encode("The ")
    sample = data.tokenizer.decode(model.generate(prompt, 160, tinynn.Generator().manual_seed(1)))
    log("  a sample of your GPT's writing:\n    " + sample.replace("\n", "\n    "))
    return {**result, "sample": sample}
