"""Hand-written NumPy training steps for the five workloads: the floor for a NumPy engine.

No autograd: every backward pass is written out by hand, with the layouts a careful NumPy
programmer would choose (im2col in (kh, kw, C) order on NHWC data, all LSTM input projections in
one product, one product for all gates). Parameters are named like the state_dict of the models
in ``workloads.py`` so that ``load(state)`` takes tinynn's initial weights and ``grads()`` can be
compared with tinynn's gradients (``tests/benchmarks/test_reference.py``): the floor is trustworthy.
"""
from __future__ import annotations

import numpy as np

F32 = np.float32


class SGD:
    """PyTorch's SGD: buf = momentum * buf + g (buf = g on the first step); p -= lr * buf."""

    def __init__(self, lr, momentum=0.0):
        self.lr, self.momentum, self.buffers = F32(lr), F32(momentum), {}

    def update(self, params, grads):
        for name, g in grads.items():
            if self.momentum:
                buf = self.buffers.get(name)
                if buf is None:
                    buf = self.buffers[name] = g.copy()
                else:
                    buf *= self.momentum
                    buf += g
                g = buf
            params[name] -= self.lr * g


class AdamW:
    """PyTorch's Adam / AdamW update (weight_decay decoupled when ``decoupled``)."""

    def __init__(self, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.lr, self.b1, self.b2, self.eps, self.wd = lr, betas[0], betas[1], eps, weight_decay
        self.m, self.v, self.t = {}, {}, 0

    def update(self, params, grads):
        self.t += 1
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        for name, g in grads.items():
            p = params[name]
            if self.wd:
                p *= F32(1 - self.lr * self.wd)
            m = self.m.setdefault(name, np.zeros_like(p))
            v = self.v.setdefault(name, np.zeros_like(p))
            m *= F32(self.b1)
            m += F32(1 - self.b1) * g
            v *= F32(self.b2)
            v += F32(1 - self.b2) * g * g
            denom = np.sqrt(v) / F32(np.sqrt(c2))
            denom += F32(self.eps)
            p -= F32(self.lr / c1) * m / denom


def cross_entropy(logits, targets):
    """Mean cross-entropy and its gradient with respect to the logits: (softmax - onehot) / N."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    n = logits.shape[0]
    loss = float(np.mean(np.log(s[:, 0]) - z[np.arange(n), targets]))
    grad = e / s
    grad[np.arange(n), targets] -= 1
    grad /= n
    return loss, grad


class Reference:
    """Parameters by state_dict name, a step that fills ``self.last_grads``, and an optimizer."""

    aliases: dict = {}

    def load(self, state):
        for name, value in state.items():
            target = self.aliases.get(name, name)
            self.params[target][...] = np.asarray(value, dtype=F32)

    def grads(self):
        return self.last_grads

    def step(self):
        loss, grads = self.forward_backward()
        self.last_grads = grads
        self.optimizer.update(self.params, grads)
        return loss


def _linear_init(rng, out_features, in_features, bias=True):
    bound = 1 / np.sqrt(in_features)
    w = rng.uniform(-bound, bound, (out_features, in_features)).astype(F32)
    return (w, rng.uniform(-bound, bound, out_features).astype(F32)) if bias else (w, None)


class Tiny(Reference):
    """MLP 2-16-16-1 with tanh, MSE loss, SGD lr 0.1."""

    def __init__(self, rng):
        self.params = {}
        for i, (o, n) in zip((0, 2, 4), ((16, 2), (16, 16), (1, 16))):
            self.params[f"{i}.weight"], self.params[f"{i}.bias"] = _linear_init(rng, o, n)
        self.x = rng.standard_normal((32, 2)).astype(F32)
        self.y = rng.standard_normal((32, 1)).astype(F32)
        self.optimizer = SGD(0.1)

    def forward_backward(self):
        p, x = self.params, self.x
        h1 = np.tanh(x @ p["0.weight"].T + p["0.bias"])
        h2 = np.tanh(h1 @ p["2.weight"].T + p["2.bias"])
        out = h2 @ p["4.weight"].T + p["4.bias"]
        diff = out - self.y
        loss = float(np.mean(diff * diff))
        g = diff * F32(2 / diff.size)
        grads = {"4.weight": g.T @ h2, "4.bias": g.sum(0)}
        g = (g @ p["4.weight"]) * (1 - h2 * h2)
        grads.update({"2.weight": g.T @ h1, "2.bias": g.sum(0)})
        g = (g @ p["2.weight"]) * (1 - h1 * h1)
        grads.update({"0.weight": g.T @ x, "0.bias": g.sum(0)})
        return loss, grads


class MLP(Reference):
    """MLP 784-512-256-10 with ReLU, cross-entropy, SGD momentum 0.9 lr 0.01."""

    def __init__(self, rng):
        self.params = {}
        for i, (o, n) in zip((0, 2, 4), ((512, 784), (256, 512), (10, 256))):
            self.params[f"{i}.weight"], self.params[f"{i}.bias"] = _linear_init(rng, o, n)
        self.x = rng.standard_normal((128, 784)).astype(F32)
        self.y = rng.integers(0, 10, 128)
        self.optimizer = SGD(0.01, momentum=0.9)

    def forward_backward(self):
        p, x = self.params, self.x
        h1 = np.maximum(x @ p["0.weight"].T + p["0.bias"], 0)
        h2 = np.maximum(h1 @ p["2.weight"].T + p["2.bias"], 0)
        loss, g = cross_entropy(h2 @ p["4.weight"].T + p["4.bias"], self.y)
        grads = {"4.weight": g.T @ h2, "4.bias": g.sum(0)}
        g = (g @ p["4.weight"]) * (h2 > 0)
        grads.update({"2.weight": g.T @ h1, "2.bias": g.sum(0)})
        g = (g @ p["2.weight"]) * (h1 > 0)
        grads.update({"0.weight": g.T @ x, "0.bias": g.sum(0)})
        return loss, grads


# ---------------------------------------------------------------------------- convolution on NHWC
def _windows(x, k):
    """(N, H, W, C) -> (N, Ho, Wo, k, k, C) strided view (stride 1): im2col's rows, unflattened."""
    n, h, w, c = x.shape
    s = x.strides
    return np.lib.stride_tricks.as_strided(x, (n, h - k + 1, w - k + 1, k, k, c), (s[0], s[1], s[2], s[1], s[2], s[3]))


def conv_forward(x, weight, bias, pad):
    """NHWC convolution: (N*Ho*Wo, k*k*C) columns times the (k*k*C, O) weight matrix."""
    k = weight.shape[2]
    if pad:
        x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    cols = _windows(x, k)
    n, ho, wo = cols.shape[:3]
    cols = cols.reshape(n * ho * wo, -1)
    w2 = weight.transpose(0, 2, 3, 1).reshape(weight.shape[0], -1)
    out = cols @ w2.T
    out += bias
    return out.reshape(n, ho, wo, -1), cols


def conv_backward(g, cols, weight, input_shape, pad, need_input=True):
    o, c, k, _ = weight.shape
    g2 = g.reshape(-1, o)
    grad_w = (g2.T @ cols).reshape(o, k, k, c).transpose(0, 3, 1, 2)
    grad_b = np.ones(g2.shape[0], F32) @ g2
    if not need_input:
        return None, grad_w, grad_b
    n, h, w, _ = input_shape
    dcols = (g2 @ weight.transpose(0, 2, 3, 1).reshape(o, -1)).reshape(g.shape[:3] + (k, k, c))
    padded = np.zeros((n, h + 2 * pad, w + 2 * pad, c), F32)
    ho, wo = g.shape[1:3]
    for i in range(k):  # col2im: one strided add per kernel offset, never a loop over pixels
        for j in range(k):
            padded[:, i : i + ho, j : j + wo, :] += dcols[:, :, :, i, j, :]
    return padded[:, pad : pad + h, pad : pad + w, :], grad_w, grad_b


def maxpool2_forward(x):
    quarters = (x[:, 0::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 0::2], x[:, 1::2, 1::2])
    out = np.maximum(np.maximum(quarters[0], quarters[1]), np.maximum(quarters[2], quarters[3]))
    return out, quarters


def maxpool2_backward(g, out, quarters, shape):
    dx = np.zeros(shape, F32)
    taken = np.zeros(out.shape, bool)
    for (di, dj), q in zip(((0, 0), (0, 1), (1, 0), (1, 1)), quarters):
        win = (q == out) & ~taken  # the first maximum of each window gets the gradient
        taken |= win
        dx[:, di::2, dj::2] = g * win
    return dx


class CNN(Reference):
    """LeNet: conv(1->6, 5, pad 2) relu pool -> conv(6->16, 5) relu pool -> 400-120-84-10."""

    def __init__(self, rng):
        self.params = {}
        for name, shape in (("0", (6, 1, 5, 5)), ("3", (16, 6, 5, 5))):
            bound = 1 / np.sqrt(np.prod(shape[1:]))
            self.params[f"{name}.weight"] = rng.uniform(-bound, bound, shape).astype(F32)
            self.params[f"{name}.bias"] = rng.uniform(-bound, bound, shape[0]).astype(F32)
        for i, (o, n) in zip((7, 9, 11), ((120, 400), (84, 120), (10, 84))):
            self.params[f"{i}.weight"], self.params[f"{i}.bias"] = _linear_init(rng, o, n)
        self.x = np.ascontiguousarray(rng.standard_normal((64, 1, 28, 28)).astype(F32).transpose(0, 2, 3, 1))
        self.y = rng.integers(0, 10, 64)
        self.optimizer = SGD(0.01, momentum=0.9)

    def forward_backward(self):
        p = self.params
        c1, cols1 = conv_forward(self.x, p["0.weight"], p["0.bias"], 2)
        r1 = np.maximum(c1, 0)
        p1, q1 = maxpool2_forward(r1)
        c2, cols2 = conv_forward(np.ascontiguousarray(p1), p["3.weight"], p["3.bias"], 0)
        r2 = np.maximum(c2, 0)
        p2, q2 = maxpool2_forward(r2)
        flat = p2.transpose(0, 3, 1, 2).reshape(64, 400)  # PyTorch flattens (C, H, W)
        h1 = np.maximum(flat @ p["7.weight"].T + p["7.bias"], 0)
        h2 = np.maximum(h1 @ p["9.weight"].T + p["9.bias"], 0)
        loss, g = cross_entropy(h2 @ p["11.weight"].T + p["11.bias"], self.y)
        grads = {"11.weight": g.T @ h2, "11.bias": g.sum(0)}
        g = (g @ p["11.weight"]) * (h2 > 0)
        grads.update({"9.weight": g.T @ h1, "9.bias": g.sum(0)})
        g = (g @ p["9.weight"]) * (h1 > 0)
        grads.update({"7.weight": g.T @ flat, "7.bias": g.sum(0)})
        g = (g @ p["7.weight"]).reshape(64, 16, 5, 5).transpose(0, 2, 3, 1)
        g = maxpool2_backward(g, p2, q2, r2.shape) * (r2 > 0)
        g, grads["3.weight"], grads["3.bias"] = conv_backward(g, cols2, p["3.weight"], p1.shape, 0)
        g = maxpool2_backward(g, p1, q1, r1.shape) * (r1 > 0)
        _, grads["0.weight"], grads["0.bias"] = conv_backward(g, cols1, p["0.weight"], self.x.shape, 2, False)
        return loss, grads


class LSTM(Reference):
    """LSTM(64 -> 128) over 50 steps, the last hidden state -> Linear(128, 10); Adam 1e-3."""

    def __init__(self, rng, n=32, length=50, inputs=64, hidden=128):
        bound = 1 / np.sqrt(hidden)
        shapes = {"lstm.weight_ih_l0": (4 * hidden, inputs), "lstm.weight_hh_l0": (4 * hidden, hidden),
                  "lstm.bias_ih_l0": (4 * hidden,), "lstm.bias_hh_l0": (4 * hidden,)}
        self.params = {k: rng.uniform(-bound, bound, s).astype(F32) for k, s in shapes.items()}
        self.params["head.weight"], self.params["head.bias"] = _linear_init(rng, 10, hidden)
        self.x = rng.standard_normal((n, length, inputs)).astype(F32)
        self.y = rng.integers(0, 10, n)
        self.optimizer = AdamW(1e-3)

    def forward_backward(self):
        p, x = self.params, self.x
        n, length, _ = x.shape
        hid = p["lstm.weight_hh_l0"].shape[1]
        # the input projection of every step in one product: (L, N, 4H)
        xproj = (x.transpose(1, 0, 2).reshape(length * n, -1) @ p["lstm.weight_ih_l0"].T).reshape(length, n, -1)
        xproj += p["lstm.bias_ih_l0"] + p["lstm.bias_hh_l0"]
        h = np.zeros((n, hid), F32)
        c = np.zeros((n, hid), F32)
        hs, cs, acts, tanh_cs = [h], [c], [], []
        for t in range(length):
            gates = xproj[t] + h @ p["lstm.weight_hh_l0"].T
            # sigmoid(z) = (tanh(z / 2) + 1) / 2: one tanh call for all four gates
            gates[:, : 2 * hid] *= 0.5
            gates[:, 3 * hid :] *= 0.5
            a = np.tanh(gates)
            a[:, : 2 * hid] += 1
            a[:, : 2 * hid] *= 0.5
            a[:, 3 * hid :] += 1
            a[:, 3 * hid :] *= 0.5
            i, f, g, o = a[:, :hid], a[:, hid : 2 * hid], a[:, 2 * hid : 3 * hid], a[:, 3 * hid :]
            c = f * c + i * g
            tc = np.tanh(c)
            h = o * tc
            hs.append(h), cs.append(c), acts.append(a), tanh_cs.append(tc)
        loss, g_logits = cross_entropy(h @ p["head.weight"].T + p["head.bias"], self.y)
        grads = {"head.weight": g_logits.T @ h, "head.bias": g_logits.sum(0)}
        dh = g_logits @ p["head.weight"]
        dc = np.zeros_like(dh)
        dgates = np.empty((length, n, 4 * hid), F32)
        for t in range(length - 1, -1, -1):
            a, tc = acts[t], tanh_cs[t]
            i, f, g, o = a[:, :hid], a[:, hid : 2 * hid], a[:, 2 * hid : 3 * hid], a[:, 3 * hid :]
            dc += dh * o * (1 - tc * tc)
            d = dgates[t]
            d[:, :hid] = dc * g * i * (1 - i)
            d[:, hid : 2 * hid] = dc * cs[t] * f * (1 - f)
            d[:, 2 * hid : 3 * hid] = dc * i * (1 - g * g)
            d[:, 3 * hid :] = dh * tc * o * (1 - o)
            dc *= f
            dh = d @ p["lstm.weight_hh_l0"]
        flat = dgates.reshape(length * n, -1)
        grads["lstm.weight_ih_l0"] = flat.T @ x.transpose(1, 0, 2).reshape(length * n, -1)
        grads["lstm.weight_hh_l0"] = flat.T @ np.stack(hs[:-1]).reshape(length * n, -1)
        grads["lstm.bias_ih_l0"] = grads["lstm.bias_hh_l0"] = flat.sum(0)
        return loss, grads


from gpt_reference import GPT  # noqa: E402  (the largest reference has a file of its own)

REFERENCES = {"W_tiny": Tiny, "W_mlp": MLP, "W_cnn": CNN, "W_lstm": LSTM, "W_gpt": GPT}


def make(name: str):
    return REFERENCES[name](np.random.default_rng(0))
