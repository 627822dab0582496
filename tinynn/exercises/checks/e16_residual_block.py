"""Checks for exercise 16, the residual block: its layers, its output and running statistics against a
reference block holding the same weights, its gradients, and the gradient through the skip connection."""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from ..grading import Grader, Mismatch, numeric_gradient

NAMES = ("conv1", "bn1", "conv2", "bn2", "shortcut")


def _case(c_in: int, c_out: int, stride: int) -> str:
    kind = "identity shortcut" if c_in == c_out and stride == 1 else "projection shortcut"
    return f"{c_in} -> {c_out} channels, stride {stride} ({kind})"


def _expect_conv(name: str, conv, shape: tuple, stride: int, padding: int) -> None:
    if not isinstance(conv, nn.Conv2d):
        raise Mismatch(f"{name} is a {type(conv).__name__}, expected an nn.Conv2d")
    if tuple(conv.weight.shape) != shape:
        raise Mismatch(f"{name}: weight of shape {tuple(conv.weight.shape)} but expected {shape} "
                       "(out_channels, in_channels, kernel, kernel)")
    if conv.bias is not None:
        raise Mismatch(f"{name} has a bias: the batch norm after it subtracts each channel's mean and cancels it; "
                       "use bias=False")
    if tuple(conv.stride) != (stride, stride):
        why = "the block's stride goes to conv1 (and the projection)" if stride > 1 else "only conv1 and the projection stride"
        raise Mismatch(f"{name}: stride {tuple(conv.stride)} but expected {(stride, stride)}: {why}")
    if tuple(conv.padding) != (padding, padding):
        raise Mismatch(f"{name}: padding {tuple(conv.padding)} but expected {(padding, padding)}"
                       + (" (a 3 x 3 kernel needs padding 1 to keep the size)" if padding else " (a 1 x 1 kernel needs none)"))


def _expect_norm(name: str, norm, channels: int) -> None:
    if not isinstance(norm, nn.BatchNorm2d) or tuple(norm.weight.shape) != (channels,):
        raise Mismatch(f"{name}: expected nn.BatchNorm2d({channels}), got {norm!r}")


def _check_layers(g: Grader, student, c_in: int, c_out: int, stride: int) -> None:
    block = g.call(student.ResidualBlock, c_in, c_out, stride, what="ResidualBlock.__init__")
    for name in NAMES:
        if not hasattr(block, name):
            raise Mismatch(f"your block has no attribute '{name}': name the layers {', '.join(NAMES)} as in the docstring")
    _expect_conv("conv1", block.conv1, (c_out, c_in, 3, 3), stride, 1)
    _expect_norm("bn1", block.bn1, c_out)
    _expect_conv("conv2", block.conv2, (c_out, c_out, 3, 3), 1, 1)
    _expect_norm("bn2", block.bn2, c_out)
    convs = [m for m in block.shortcut.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in block.shortcut.modules() if isinstance(m, nn.BatchNorm2d)]
    if c_in == c_out and stride == 1:
        if list(block.shortcut.parameters()):
            raise Mismatch("shortcut has parameters, but with in_channels == out_channels and stride 1 x already has "
                           "F(x)'s shape: use nn.Identity()")
        return
    if len(convs) != 1 or len(norms) != 1:
        raise Mismatch(f"shortcut: {type(block.shortcut).__name__} with {len(convs)} convolution(s) and {len(norms)} "
                       "batch norm(s); the shape changes here, so it must be a projection: "
                       "nn.Sequential(nn.Conv2d(in, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))")
    _expect_conv("the shortcut's convolution", convs[0], (c_out, c_in, 1, 1), stride, 0)
    _expect_norm("the shortcut's batch norm", norms[0], c_out)


def _reference_block(g: Grader, reference, c_in: int, c_out: int, stride: int):
    """The reference block in float64 with random weights and running statistics (none of them trivial)."""
    block = reference.ResidualBlock(c_in, c_out, stride).double()
    with tinynn.no_grad():
        for name, value in block.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            shape = tuple(value.shape)
            if len(shape) == 4:      # a convolution: fan-in scaling keeps the activations of order 1
                new = g.randn(*shape) / np.sqrt(np.prod(shape[1:]))
            elif name.endswith("running_var") or name.endswith("weight"):
                new = g.uniform(0.5, 1.5, *shape)
            else:
                new = g.randn(*shape) * 0.3
            value.copy_(tinynn.tensor(new))
    return block


def _student_block(g: Grader, student, reference_block, c_in: int, c_out: int, stride: int):
    block = g.call(student.ResidualBlock, c_in, c_out, stride, what="ResidualBlock.__init__").double()
    try:
        block.load_state_dict(reference_block.state_dict())
    except Exception as exc:
        raise Mismatch(f"the reference block's weights do not load into yours ({exc}). Hint: name the layers "
                       f"{', '.join(NAMES)}, and make the projection nn.Sequential(conv, batch norm)") from None
    return block


def _variants(ref, x: np.ndarray) -> dict:
    """The reference block's output with known mistakes (training mode), for the hints."""
    def conv(t, layer):
        return F.conv2d(t, layer.weight, None, layer.stride, layer.padding)

    def norm(t, layer):
        return F.batch_norm(t, None, None, layer.weight, layer.bias, training=True)

    with tinynn.no_grad():
        xt = tinynn.tensor(x)
        projection = isinstance(ref.shortcut, nn.Sequential)
        skip = norm(conv(xt, ref.shortcut[0]), ref.shortcut[1]) if projection else xt
        a = conv(xt, ref.conv1)
        correction = norm(conv(norm(a, ref.bn1).relu(), ref.conv2), ref.bn2)
        found = {"relu(F(x)) + shortcut(x): the relu goes after the addition": correction.relu() + skip,
                 "F(x) + shortcut(x) without the final relu": correction + skip,
                 "relu(F(x)) without the shortcut: the skip connection is missing": correction.relu(),
                 "no relu between bn1 and conv2": (norm(conv(norm(a, ref.bn1), ref.conv2), ref.bn2) + skip).relu(),
                 "the relu before bn1 (conv, relu, bn); it is conv, bn, relu":
                     (norm(conv(norm(a.relu(), ref.bn1), ref.conv2), ref.bn2) + skip).relu()}
        if projection:
            found["a projection without its batch norm"] = (correction + conv(xt, ref.shortcut[0])).relu()
    return {text: t.numpy() for text, t in found.items()}


def _check_forward(g: Grader, student, reference, shape: tuple, c_out: int, stride: int) -> None:
    c_in = shape[1]
    ref = _reference_block(g, reference, c_in, c_out, stride)
    mine = _student_block(g, student, ref, c_in, c_out, stride)
    x = g.randn(*shape)
    mistakes = _variants(ref, x)
    got = g.call(mine, tinynn.tensor(x), what="ResidualBlock.forward")
    g.expect("y (training mode)", got, ref(tinynn.tensor(x)), mistakes=mistakes)
    expected_stats = ref.state_dict()
    for name, value in mine.state_dict().items():
        if "running" in name:
            g.expect(f"{name} after one training step", value, expected_stats[name],
                     expected_label="the reference block's")
    mine.eval()
    ref.eval()
    x = g.randn(*shape)
    g.expect("y (eval mode: the running statistics)", g.call(mine, tinynn.tensor(x), what="ResidualBlock.forward"),
             ref(tinynn.tensor(x)))


def _check_gradients(g: Grader, student, reference, shape: tuple, c_out: int, stride: int, zero_conv2: bool) -> None:
    """dL/dx and dL/dparameter through the student's block against the reference block's."""
    c_in = shape[1]
    ref = _reference_block(g, reference, c_in, c_out, stride)
    if zero_conv2:
        with tinynn.no_grad():
            ref.conv2.weight.zero_()
    mine = _student_block(g, student, ref, c_in, c_out, stride)
    x = g.randn(*shape)
    names = [name for name, _ in ref.named_parameters()]
    ours = dict(mine.named_parameters())
    xt = tinynn.tensor(x, requires_grad=True)
    got = g.call(mine, xt, what="ResidualBlock.forward")
    upstream = g.randn(shape[0], c_out, (shape[2] - 1) // stride + 1, (shape[3] - 1) // stride + 1)
    grads = g.autograd_gradients("ResidualBlock", got, [xt] + [ours[name] for name in names], [upstream])
    xr = tinynn.tensor(x, requires_grad=True)
    expected = [grad.numpy() for grad in tinynn.autograd.grad([ref(xr)], [xr] + list(ref.parameters()),
                                                              grad_outputs=[tinynn.tensor(upstream)])]
    # with conv2's weight zero, F(x) is constant: all of dL/dx comes through the shortcut
    no_skip = {"zero: no gradient reaches x through the skip connection (is shortcut(x) added, and not "
               "detached?)": np.zeros_like(x)} if zero_conv2 else None
    if zero_conv2 and c_in == c_out and stride == 1:   # y = relu(x + bn2.bias): dL/dx by hand
        beta = ref.bn2.bias.detach().numpy().reshape(1, -1, 1, 1)
        g.expect("gradient of x, by hand: upstream * (x + bn2.bias > 0)", g.require_gradient("x", grads[0]),
                 upstream * (x + beta > 0), mistakes=no_skip)
    g.expect("gradient of x", g.require_gradient("x", grads[0]), expected[0], expected_label="the reference block's",
             mistakes=no_skip)
    for name, grad, reference_grad in zip(names, grads[1:], expected[1:]):
        g.expect(f"gradient of {name}", g.require_gradient(name, grad), reference_grad,
                 expected_label="the reference block's")


def grade(g: Grader, student, reference) -> None:
    for c_in, c_out, stride in [(4, 4, 1), (3, 5, 1), (4, 8, 2), (4, 4, 2)]:
        with g.check("layers for " + _case(c_in, c_out, stride), "ResidualBlock.__init__"):
            _check_layers(g, student, c_in, c_out, stride)

    for shape, c_out, stride in [((2, 4, 6, 6), 4, 1), ((2, 3, 6, 6), 5, 1), ((2, 4, 6, 6), 8, 2),
                                 ((2, 4, 7, 7), 4, 2), ((1, 2, 4, 4), 2, 1)]:
        case = f"x {shape}, " + _case(shape[1], c_out, stride)
        with g.check(case + ": output and running statistics, training and eval", "ResidualBlock.forward", points=2):
            _check_forward(g, student, reference, shape, c_out, stride)

    for shape, c_out, stride in [((2, 4, 5, 5), 4, 1), ((2, 3, 6, 6), 6, 2)]:
        case = f"x {shape}, " + _case(shape[1], c_out, stride)
        with g.check(case + ": gradients of x and every parameter", "ResidualBlock.forward", points=2):
            _check_gradients(g, student, reference, shape, c_out, stride, zero_conv2=False)

    with g.check("gradient of x against finite differences (x (2, 2, 4, 4), 2 -> 3 channels, stride 2)",
                 "ResidualBlock.forward", points=2):
        ref = _reference_block(g, reference, 2, 3, 2)
        mine = _student_block(g, student, ref, 2, 3, 2)
        x, upstream = g.randn(2, 2, 4, 4), g.randn(2, 3, 2, 2)
        xt = tinynn.tensor(x, requires_grad=True)
        (grad,) = g.autograd_gradients("ResidualBlock", g.call(mine, xt, what="ResidualBlock.forward"), [xt], [upstream])

        def forward(array):
            with tinynn.no_grad():
                return ref(tinynn.tensor(array)).numpy()

        g.expect_gradient("x", g.require_gradient("x", grad), numeric_gradient(forward, [x], 0, upstream))

    for shape, c_out, stride in [((2, 4, 5, 5), 4, 1), ((2, 3, 5, 5), 5, 1)]:
        case = f"x {shape}, " + _case(shape[1], c_out, stride)
        with g.check(case + ": the gradient flows through the skip (conv2's weight set to zero, F(x) constant)",
                     "ResidualBlock.forward", points=2):
            _check_gradients(g, student, reference, shape, c_out, stride, zero_conv2=True)
