"""A hand-written GPT training step in NumPy (forward, backward, AdamW): W_gpt's floor.

The model of ``workloads.gpt``: token + learned position embeddings, pre-LN blocks (layer norm
without bias, causal self-attention, tanh-GELU MLP 4x), a final layer norm, and a head tied to the
token embedding. Every derivative is written out; shapes are B (batch), T (time), C (width),
H (heads), D = C / H.
"""
from __future__ import annotations

import numpy as np

from numpy_reference import F32, AdamW, Reference, cross_entropy

GELU_C = np.float32(np.sqrt(2 / np.pi))


def layer_norm(x, w, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    xc = x - mu
    rstd = 1 / np.sqrt((xc * xc).mean(-1, keepdims=True) + F32(eps))
    xhat = xc * rstd
    return xhat * w, (xhat, rstd)


def layer_norm_backward(g, w, cache):
    """dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),  dxhat = g * w."""
    xhat, rstd = cache
    dw = (g * xhat).reshape(-1, xhat.shape[-1]).sum(0)
    dxhat = g * w
    dx = dxhat - dxhat.mean(-1, keepdims=True) - xhat * (dxhat * xhat).mean(-1, keepdims=True)
    dx *= rstd
    return dx, dw


def gelu_tanh(x):
    t = np.tanh(GELU_C * (x + F32(0.044715) * x * x * x))
    return F32(0.5) * x * (1 + t), t


def gelu_tanh_backward(g, x, t):
    du = GELU_C * (1 + F32(3 * 0.044715) * x * x)
    return g * (F32(0.5) * (1 + t) + F32(0.5) * x * (1 - t * t) * du)


class GPT(Reference):
    aliases = {"lm_head.weight": "wte.weight"}  # the tied head is the token embedding

    def __init__(self, rng, layers=4, heads=4, width=128, block=64, vocab=65, batch=12):
        self.layers, self.heads, self.width, self.vocab = layers, heads, width, vocab
        self.params = {
            "wte.weight": rng.standard_normal((vocab, width)).astype(F32),
            "wpe.weight": rng.standard_normal((block, width)).astype(F32),
            "ln_f.weight": np.ones(width, F32),
        }
        for i in range(layers):
            for name, shape in (("c_attn", (3 * width, width)), ("c_proj", (width, width)),
                                ("c_fc", (4 * width, width)), ("mlp_proj", (width, 4 * width))):
                bound = 1 / np.sqrt(shape[1])
                self.params[f"h.{i}.{name}.weight"] = rng.uniform(-bound, bound, shape).astype(F32)
            self.params[f"h.{i}.ln_1.weight"] = np.ones(width, F32)
            self.params[f"h.{i}.ln_2.weight"] = np.ones(width, F32)
        tokens = rng.integers(0, vocab, (batch, block + 1))
        self.idx, self.targets = tokens[:, :-1], tokens[:, 1:]
        mask = np.triu(np.ones((block, block), bool), 1)
        self.causal = np.where(mask, -np.inf, 0).astype(F32)
        self.optimizer = AdamW(1e-3, betas=(0.9, 0.99), weight_decay=0.1)

    def forward_backward(self):
        p, idx = self.params, self.idx
        b, t = idx.shape
        c, h = self.width, self.heads
        d = c // h
        x = p["wte.weight"][idx] + p["wpe.weight"][:t]
        caches = []
        for i in range(self.layers):
            w = lambda name: p[f"h.{i}.{name}.weight"]  # noqa: E731
            a, ln1 = layer_norm(x, w("ln_1"))
            qkv = (a.reshape(b * t, c) @ w("c_attn").T).reshape(b, t, 3, h, d).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]                            # (B, H, T, D)
            scores = q @ k.transpose(0, 1, 3, 2) * F32(1 / np.sqrt(d)) + self.causal[:t, :t]
            scores -= scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            y = (probs @ v).transpose(0, 2, 1, 3).reshape(b * t, c)
            x = x + (y @ w("c_proj").T).reshape(b, t, c)
            m, ln2 = layer_norm(x, w("ln_2"))
            f = m.reshape(b * t, c) @ w("c_fc").T
            gelu, tanh_u = gelu_tanh(f)
            x = x + (gelu @ w("mlp_proj").T).reshape(b, t, c)
            caches.append((a, ln1, q, k, v, probs, y, m, ln2, f, gelu, tanh_u))
        xf, lnf = layer_norm(x, p["ln_f.weight"])
        xf2 = xf.reshape(b * t, c)
        loss, g = cross_entropy(xf2 @ p["wte.weight"].T, self.targets.reshape(-1))

        grads = {"wte.weight": g.T @ xf2}                               # the tied head
        dx, grads["ln_f.weight"] = layer_norm_backward((g @ p["wte.weight"]).reshape(b, t, c), p["ln_f.weight"], lnf)
        for i in reversed(range(self.layers)):
            w = lambda name: p[f"h.{i}.{name}.weight"]  # noqa: E731
            a, ln1, q, k, v, probs, y, m, ln2, f, gelu, tanh_u = caches[i]
            g2 = dx.reshape(b * t, c)                                   # MLP branch
            grads[f"h.{i}.mlp_proj.weight"] = g2.T @ gelu
            df = gelu_tanh_backward(g2 @ w("mlp_proj"), f, tanh_u)
            grads[f"h.{i}.c_fc.weight"] = df.T @ m.reshape(b * t, c)
            dm, grads[f"h.{i}.ln_2.weight"] = layer_norm_backward((df @ w("c_fc")).reshape(b, t, c), w("ln_2"), ln2)
            dx = dx + dm
            g2 = dx.reshape(b * t, c)                                   # attention branch
            grads[f"h.{i}.c_proj.weight"] = g2.T @ y
            dy = (g2 @ w("c_proj")).reshape(b, t, h, d).transpose(0, 2, 1, 3)
            dprobs = dy @ v.transpose(0, 1, 3, 2)
            dv = probs.transpose(0, 1, 3, 2) @ dy
            dscores = probs * (dprobs - (dprobs * probs).sum(-1, keepdims=True))
            dscores *= F32(1 / np.sqrt(d))
            dq, dk = dscores @ k, dscores.transpose(0, 1, 3, 2) @ q
            dqkv = np.stack([dq, dk, dv]).transpose(1, 3, 0, 2, 4).reshape(b * t, 3 * c)
            grads[f"h.{i}.c_attn.weight"] = dqkv.T @ a.reshape(b * t, c)
            da, grads[f"h.{i}.ln_1.weight"] = layer_norm_backward((dqkv @ w("c_attn")).reshape(b, t, c), w("ln_1"), ln1)
            dx = dx + da
        grads["wpe.weight"] = np.zeros_like(p["wpe.weight"])
        grads["wpe.weight"][:t] = dx.sum(0)
        np.add.at(grads["wte.weight"], idx.reshape(-1), dx.reshape(b * t, c))
        return loss, grads
