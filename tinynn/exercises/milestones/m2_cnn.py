"""Milestone 2: a CNN learns the handwritten digits with the student's convolution, pooling and batch norm.

(N, 1, 8, 8) -> conv 3x3 (16) -> batch norm -> ReLU -> max pool 2 -> conv 3x3 (32) -> batch norm ->
ReLU -> max pool 2 -> flatten (128) -> Linear(128, 10); softmax cross-entropy, Adam, the student's
DataLoader and backward walk. The convolution and the pooling are the exercises' array functions,
wrapped here as autograd Functions (forward calls theirs, backward calls their backward).
"""
from __future__ import annotations

import math

import tinynn
from tinynn.autograd import Function
from tinynn.datasets import load_digits
from tinynn.utils.data import TensorDataset

TITLE = "a CNN on the handwritten digits with your convolution, pooling and batch norm"
PARTS = ["unbroadcast", "engine", "conv2d", "max_pool2d", "batch_norm", "activations", "linear", "cross_entropy",
         "adam", "dataloader"]
TARGET = ("held-out accuracy", 0.97, True)


def _functions(parts):
    """The student's array functions as autograd Functions (on raw arrays, as the exercises define them)."""
    conv, pool = parts["conv2d"], parts["max_pool2d"]

    class Conv2d(Function):
        @staticmethod
        def forward(ctx, x, weight, bias):
            ctx.save_for_backward(x, weight)
            return tinynn.tensor(conv.conv2d_forward(x.detach().numpy(), weight.detach().numpy(), bias.detach().numpy(), 1, 1))

        @staticmethod
        def backward(ctx, grad):
            x, weight = ctx.saved_tensors
            dx, dw, db = conv.conv2d_backward(grad.detach().numpy(), x.detach().numpy(), weight.detach().numpy(), 1, 1)
            return tinynn.tensor(dx), tinynn.tensor(dw), tinynn.tensor(db)

    class MaxPool2d(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return tinynn.tensor(pool.max_pool2d(x.detach().numpy(), 2, 2))

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return tinynn.tensor(pool.max_pool2d_backward(grad.detach().numpy(), x.detach().numpy(), 2, 2))

    return Conv2d, MaxPool2d


class _Model:
    def __init__(self, parts):
        tinynn.manual_seed(0)
        self.parts = parts
        self.Conv2d, self.MaxPool2d = _functions(parts)

        def uniform(*shape, fan_in):
            bound = 1 / math.sqrt(fan_in)
            return (tinynn.rand(*shape) * 2 * bound - bound).requires_grad_(True)

        self.convs = [(uniform(16, 1, 3, 3, fan_in=9), uniform(16, fan_in=9)),
                      (uniform(32, 16, 3, 3, fan_in=144), uniform(32, fan_in=144))]
        self.norms = [(tinynn.ones(c, requires_grad=True), tinynn.zeros(c, requires_grad=True), tinynn.zeros(c),
                       tinynn.ones(c)) for c in (16, 32)]
        self.head = (uniform(10, 128, fan_in=128), uniform(10, fan_in=128))
        self.training = True

    def parameters(self):
        return [p for pair in self.convs for p in pair] + [p for n in self.norms for p in n[:2]] + list(self.head)

    def __call__(self, x):
        p = self.parts
        for (weight, bias), (gamma, beta, mean, var) in zip(self.convs, self.norms):
            x = self.Conv2d.apply(x, weight, bias)
            x = p["batch_norm"].batch_norm(x, mean, var, gamma, beta, self.training, 0.1, 1e-5)
            x = self.MaxPool2d.apply(p["activations"].ReLU.apply(x))
        return p["linear"].LinearFunction.apply(x.reshape(len(x), -1), *self.head)


def accuracy(model, x, y) -> float:
    model.training = False
    with tinynn.no_grad():
        result = float((model(x).argmax(dim=1) == y).float().mean().item())
    model.training = True
    return result


def run(parts, log=print, quick: bool = True) -> dict:
    x_train, y_train = load_digits("train")
    x_test, y_test = load_digits("test")
    model = _Model(parts)
    optimizer = parts["adam"].Adam(model.parameters(), lr=0.01)
    loader = parts["dataloader"].DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True,
                                            generator=tinynn.Generator().manual_seed(0))
    engine, unbroadcast = parts["engine"], parts["unbroadcast"].unbroadcast
    epochs = 8 if quick else 25
    losses = []
    for epoch in range(1, epochs + 1):
        total, count = 0.0, 0
        for x, y in loader:
            loss = parts["cross_entropy"].SoftmaxCrossEntropy.apply(model(x), y)
            optimizer.zero_grad()
            engine.backward(loss, unbroadcast=unbroadcast)
            optimizer.step()
            total, count = total + loss.item() * len(y), count + len(y)
        losses.append(total / count)
        log(f"  epoch {epoch:2d}: training loss {losses[-1]:.3f}, held-out accuracy {accuracy(model, x_test, y_test):.3f}")
    return {"held-out accuracy": accuracy(model, x_test, y_test), "first_loss": losses[0], "final_loss": losses[-1],
            "epochs": epochs}
