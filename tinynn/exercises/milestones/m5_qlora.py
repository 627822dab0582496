"""Milestone 5: QLoRA with the student's quantizer and LoRA layer.

A digits MLP (64 -> 128 -> 10) is pretrained by tinynn on the digits 0-4. Its weights are then
quantized to int8 per row by the student's quantizer and frozen (dequantized: the base the adapters
see); each Linear becomes the student's LoRALinear (rank 4) around that base, and only the adapters
(and the output bias) train, on the digits 5-9. The target is the held-out accuracy on 5-9.
"""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.datasets import load_digits

TITLE = "QLoRA: your int8 quantizer and LoRA layer adapt a pretrained digits model to new digits"
PARTS = ["quantize", "lora"]
TARGET = ("held-out accuracy on 5-9", 0.9, True)


def _split(first: bool):
    x, y = load_digits("train")
    xt, yt = load_digits("test")
    pick, pick_t = (y < 5) if first else (y >= 5), (yt < 5) if first else (yt >= 5)
    flat = lambda images: images.reshape(len(images), -1)  # noqa: E731
    return flat(x[pick]), y[pick], flat(xt[pick_t]), yt[pick_t]


def _train(params, forward, x, y, steps: int, lr: float) -> float:
    optimizer = tinynn.optim.Adam(params, lr=lr)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        batch = tinynn.tensor(rng.integers(0, len(x), 64))
        loss = F.cross_entropy(forward(x[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


def run(parts, log=print, quick: bool = True) -> dict:
    tinynn.manual_seed(0)
    base = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    x, y, xt, yt = _split(first=True)
    _train(list(base.parameters()), base, x, y, 300, 1e-2)
    with tinynn.no_grad():
        pretrained = float((base(xt).argmax(1) == yt).float().mean().item())
    log(f"  pretrained by tinynn on the digits 0-4: held-out accuracy {pretrained:.3f}")

    quant, lora = parts["quantize"], parts["lora"]
    layers, errors = [], []
    for linear in (base[0], base[2]):
        weight = linear.weight.detach().numpy()
        q, scale = quant.quantize_per_row(weight)
        restored = quant.dequantize(q, scale)
        errors.append(float(np.abs(restored - weight).max()))
        adapted = lora.LoRALinear(linear.in_features, linear.out_features, r=4, alpha=8.0)
        with tinynn.no_grad():
            adapted.weight.copy_(tinynn.tensor(restored.astype(np.float32)))
            adapted.bias.copy_(linear.bias.detach())
        layers.append(adapted)
    bytes_int8 = sum(layer.weight.numel() for layer in layers)
    log(f"  your int8 quantizer: largest weight error {max(errors):.4f}; {bytes_int8} bytes of weights "
        f"instead of {4 * bytes_int8}")
    x, y, xt, yt = _split(first=False)
    trainable = [p for layer in layers for p in (layer.lora_A, layer.lora_B)] + [layers[1].bias]
    layers[1].bias.requires_grad_(True)
    total = sum(p.numel() for layer in layers for p in layer.parameters())
    log(f"  training {sum(p.numel() for p in trainable)} of {total} parameters (the adapters and the last bias)")

    def forward(inputs):
        return layers[1](F.relu(layers[0](inputs)))

    _train(trainable, forward, x, y, 400 if quick else 800, 1e-2)
    with tinynn.no_grad():
        accuracy = float((forward(xt).argmax(1) == yt).float().mean().item())
    return {"held-out accuracy on 5-9": accuracy, "pretrained_accuracy_0_4": pretrained,
            "largest_quantization_error": max(errors)}
