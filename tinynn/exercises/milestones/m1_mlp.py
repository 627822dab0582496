"""Milestone 1: an MLP learns the handwritten digits, trained entirely by the student's code.

64 standardised pixels -> Linear(64, 128) -> ReLU -> Linear(128, 10), softmax cross-entropy, SGD with
momentum and weight decay,
minibatches from the student's DataLoader, weights from the student's initialisers, and every
gradient computed by the student's backward walk (with their unbroadcast). Only the data and the
Tensor's arithmetic are tinynn's.
"""
from __future__ import annotations


import tinynn
from tinynn.datasets import load_digits
from tinynn.utils.data import TensorDataset

TITLE = "an MLP on the handwritten digits, trained by your engine, layers, loss and optimizer"
PARTS = ["unbroadcast", "engine", "activations", "linear", "cross_entropy", "sgd", "dataloader", "init"]
TARGET = ("held-out accuracy", 0.95, True)


HIDDEN = 128


def _parameters(parts, rng_seed: int = 0):
    tinynn.manual_seed(rng_seed)
    w1, w2 = tinynn.empty(HIDDEN, 64), tinynn.empty(10, HIDDEN)
    parts["init"].kaiming_normal_(w1, nonlinearity="relu")
    parts["init"].xavier_uniform_(w2)
    params = [w1, tinynn.zeros(HIDDEN), w2, tinynn.zeros(10)]
    for p in params:
        p.requires_grad_(True)
    return params


def forward(parts, params, x):
    w1, b1, w2, b2 = params
    hidden = parts["activations"].ReLU.apply(parts["linear"].LinearFunction.apply(x, w1, b1))
    return parts["linear"].LinearFunction.apply(hidden, w2, b2)


def accuracy(parts, params, x, y) -> float:
    with tinynn.no_grad():
        return float((forward(parts, params, x).argmax(dim=1) == y).float().mean().item())


def run(parts, log=print, quick: bool = True) -> dict:
    x_train, y_train = load_digits("train")
    x_test, y_test = load_digits("test")
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    mean, std = x_train.mean(0), x_train.std(0) + 0.1          # each pixel standardised (+0.1: the blank border)
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    params = _parameters(parts)
    optimizer = parts["sgd"].SGD(params, lr=0.05, momentum=0.9, weight_decay=1e-4)
    loader = parts["dataloader"].DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True,
                                            generator=tinynn.Generator().manual_seed(0))
    engine, unbroadcast = parts["engine"], parts["unbroadcast"].unbroadcast
    epochs = 20 if quick else 40
    losses = []
    for epoch in range(1, epochs + 1):
        total, count = 0.0, 0
        for x, y in loader:
            loss = parts["cross_entropy"].SoftmaxCrossEntropy.apply(forward(parts, params, x), y)
            optimizer.zero_grad()
            engine.backward(loss, unbroadcast=unbroadcast)
            optimizer.step()
            total, count = total + loss.item() * len(y), count + len(y)
        losses.append(total / count)
        if epoch == 1 or epoch % 5 == 0 or epoch == epochs:
            log(f"  epoch {epoch:2d}: training loss {losses[-1]:.3f}, held-out accuracy "
                f"{accuracy(parts, params, x_test, y_test):.3f}")
    return {"held-out accuracy": accuracy(parts, params, x_test, y_test), "first_loss": losses[0],
            "final_loss": losses[-1], "epochs": epochs}


__all__ = ["PARTS", "TARGET", "TITLE", "run"]
