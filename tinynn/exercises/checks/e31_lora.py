"""Checks for exercise 31, the LoRA layer: its parameters, the zero start, the forward, gradients, merging,
and, last, the same weights in the library's ``tinynn.nn.LoRALinear`` giving the same outputs and merge."""
from __future__ import annotations

import numpy as np

import tinynn
from tinynn import nn
from ..grading import Grader, Mismatch, numeric_gradient

# (in, out, r, alpha, bias, x shape without the last dimension)
CASES = [(5, 3, 2, 4.0, True, (4,)), (6, 4, 1, 1.0, True, (2, 3)), (3, 5, 3, 12.0, False, (1,))]


def _lora(x, w, b, a, b_mat, scaling):
    y = x @ w.T + scaling * (x @ a.T) @ b_mat.T
    return y if b is None else y + b


def _build(g: Grader, student, n_in, n_out, r, alpha, bias, what="LoRALinear.__init__"):
    return g.call(student.LoRALinear, n_in, n_out, r=r, alpha=alpha, bias=bias, what=what)


def _load(g: Grader, layer, arrays: dict):
    """Move the layer to float64 and give it these values (by state_dict, so the names must match)."""
    layer = g.call(layer.double, what="LoRALinear.double")
    g.call(layer.load_state_dict, {k: tinynn.tensor(v) for k, v in arrays.items() if v is not None},
           what="load_state_dict (the parameters must be named weight, bias, lora_A, lora_B)")
    return layer


def grade(g: Grader, student, reference) -> None:
    n_in, n_out, r, alpha = 5, 3, 2, 4.0
    with g.check(f"LoRALinear({n_in}, {n_out}, r={r}, alpha={alpha}): names, shapes, frozen and trainable", "LoRALinear.__init__"):
        layer = _build(g, student, n_in, n_out, r, alpha, True)
        params = dict(layer.named_parameters())
        expected = {"weight": (n_out, n_in), "bias": (n_out,), "lora_A": (r, n_in), "lora_B": (n_out, r)}
        if set(params) != set(expected):
            raise Mismatch(f"the parameters are named {sorted(params)}, expected {sorted(expected)}")
        for name, shape in expected.items():
            if tuple(params[name].shape) != shape:
                raise Mismatch(f"{name} has shape {tuple(params[name].shape)}, expected {shape}")
            if params[name].dtype != tinynn.float32:
                raise Mismatch(f"{name} has dtype {params[name].dtype}, expected float32 (the default, as nn.Linear)")
        for name, trainable in (("weight", False), ("bias", False), ("lora_A", True), ("lora_B", True)):
            if params[name].requires_grad != trainable:
                raise Mismatch(f"{name}.requires_grad is {params[name].requires_grad}, expected {trainable}: "
                               "only lora_A and lora_B train, the pretrained weight and bias are frozen")
        count = sum(p.numel() for p in layer.parameters() if p.requires_grad)
        if count != r * (n_in + n_out):
            raise Mismatch(f"{count} trainable numbers, expected r * (in + out) = {r * (n_in + n_out)}")

    with g.check("the initialisation: B zero, A random within nn.Linear's bound, scaling alpha / r", "LoRALinear.__init__"):
        layer = _build(g, student, 16, 3, 4, 8.0, True)
        a, b_mat = layer.lora_A.detach().numpy(), layer.lora_B.detach().numpy()
        if np.any(b_mat != 0):
            raise Mismatch("lora_B is not all zeros: initialised as zero, the layer starts as the pretrained Linear")
        if np.all(a == 0) or np.std(a) == 0:
            raise Mismatch("lora_A is constant: with A = 0 as well as B = 0, both gradients are zero and nothing "
                           "trains. Hint: nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))")
        bound = 1 / np.sqrt(16)
        if np.abs(a).max() > bound + 1e-6:
            raise Mismatch(f"lora_A has an entry {np.abs(a).max():.4g} beyond kaiming_uniform's bound 1/sqrt(in) = {bound:.4g}")
        scaling = getattr(layer, "scaling", None)
        g.expect("scaling", np.float64(scaling) if isinstance(scaling, (int, float)) else scaling, np.float64(2.0),
                 mistakes={"r / alpha (it is alpha / r)": np.float64(0.5), "alpha (divide by r)": np.float64(8.0)})

    with g.check("bias=False: no bias parameter", "LoRALinear.__init__"):
        layer = _build(g, student, 4, 2, 2, 2.0, False)
        if getattr(layer, "bias", "missing") is not None:
            raise Mismatch("with bias=False, layer.bias should be None (register_parameter('bias', None))")
        names = sorted(name for name, _ in layer.named_parameters())
        if names != ["lora_A", "lora_B", "weight"]:
            raise Mismatch(f"the parameters are named {names}, expected ['lora_A', 'lora_B', 'weight']")

    with g.check("at initialisation the layer equals its frozen Linear", "LoRALinear.forward"):
        layer = _build(g, student, 5, 3, 2, 4.0, True)
        x = g.randn(4, 5, dtype=np.float32)
        w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
        g.expect("y", g.call(layer, tinynn.tensor(x), what="LoRALinear.forward"), tinynn.tensor(x @ w.T + b), rtol=1e-5,
                 atol=1e-6)

    for n_in, n_out, r, alpha, bias, lead in CASES:
        case = f"in={n_in}, out={n_out}, r={r}, alpha={alpha}, bias={bias}, x {lead + (n_in,)}"
        arrays = {"weight": g.randn(n_out, n_in), "bias": g.randn(n_out) if bias else None,
                  "lora_A": g.randn(r, n_in), "lora_B": g.randn(n_out, r)}
        x, upstream = g.randn(*lead, n_in), g.randn(*lead, n_out)
        w, b, a, b_mat, s = arrays["weight"], arrays["bias"], arrays["lora_A"], arrays["lora_B"], alpha / r

        with g.check(case + ", trained A and B", "LoRALinear.forward"):
            layer = _load(g, _build(g, student, n_in, n_out, r, alpha, bias), arrays)
            got = g.call(layer, tinynn.tensor(x), what="LoRALinear.forward")
            g.expect("y", got, tinynn.tensor(_lora(x, w, b, a, b_mat, s)),
                     mistakes={"y without the alpha / r scaling": _lora(x, w, b, a, b_mat, 1.0),
                               "y scaled by r / alpha (it is alpha / r)": _lora(x, w, b, a, b_mat, r / alpha)})

        with g.check(case + ": gradients of x, A, B against finite differences; W frozen", "LoRALinear.forward",
                     points=2):
            layer = _load(g, _build(g, student, n_in, n_out, r, alpha, bias), arrays)
            xt = tinynn.tensor(x, requires_grad=True)
            y = g.call(layer, xt, what="LoRALinear.forward")
            grads = g.autograd_gradients("LoRALinear.forward", y, [xt, layer.lora_A, layer.lora_B], [upstream])
            f = lambda x, a, b_mat: _lora(x, w, b, a, b_mat, s)  # noqa: E731
            for i, name in enumerate(("x", "lora_A", "lora_B")):
                g.expect_gradient(name, g.require_gradient(name, grads[i]), numeric_gradient(f, [x, a, b_mat], i, upstream))
            (y * tinynn.tensor(upstream)).sum().backward()
            if layer.weight.grad is not None:
                raise Mismatch("weight got a gradient: it should be frozen (requires_grad=False)")

        with g.check(case + ": merged_weight", "LoRALinear.merged_weight"):
            layer = _load(g, _build(g, student, n_in, n_out, r, alpha, bias), arrays)
            merged = g.call(layer.merged_weight, what="LoRALinear.merged_weight")
            g.expect("merged weight", merged, tinynn.tensor(w + s * b_mat @ a),
                     mistakes={"W + B A without the scaling alpha / r": w + b_mat @ a})

    grade_against_library(g, student)


def _library_layer(arrays: dict, r: int, alpha: float) -> nn.LoRALinear:
    """tinynn.nn.LoRALinear holding the same numbers: the student's weight and bias become base.weight
    and base.bias, lora_A and lora_B keep their names."""
    n_out, n_in = arrays["weight"].shape
    library = nn.LoRALinear(nn.Linear(n_in, n_out, bias=arrays["bias"] is not None, dtype=tinynn.float64),
                            r=r, lora_alpha=alpha)
    library.load_state_dict({{"weight": "base.weight", "bias": "base.bias"}.get(k, k): tinynn.tensor(v)
                             for k, v in arrays.items() if v is not None})
    return library.eval()


def grade_against_library(g: Grader, student) -> None:
    """Your layer and the library's, given the same weights: the same y and the same merged weight."""
    n_in, n_out, r, alpha, bias, lead = 6, 4, 2, 5.0, True, (2, 3)   # scaling 2.5: a forgotten scaling shows
    arrays = {"weight": g.randn(n_out, n_in), "bias": g.randn(n_out) if bias else None,
              "lora_A": g.randn(r, n_in), "lora_B": g.randn(n_out, r)}
    x = g.randn(*lead, n_in)
    library = _library_layer(arrays, r, alpha)
    case = f"in={n_in}, out={n_out}, r={r}, alpha={alpha}"

    with g.check(f"the same weights in tinynn.nn.LoRALinear ({case}): the same y", "LoRALinear.forward"):
        layer = _load(g, _build(g, student, n_in, n_out, r, alpha, bias), arrays)
        with tinynn.no_grad():
            expected = library(tinynn.tensor(x))
        got = g.call(layer, tinynn.tensor(x), what="LoRALinear.forward")
        g.expect("y, yours against tinynn.nn.LoRALinear's", got, expected, got_label="yours",
                 expected_label="tinynn.nn.LoRALinear")

    with g.check(f"the same weights in tinynn.nn.LoRALinear ({case}): your merged_weight is the library's "
                 "base.weight after merge()", "LoRALinear.merged_weight"):
        layer = _load(g, _build(g, student, n_in, n_out, r, alpha, bias), arrays)
        merged = g.call(layer.merged_weight, what="LoRALinear.merged_weight")
        library.merge()
        g.expect("merged weight, yours against tinynn.nn.LoRALinear.merge()'s base.weight", merged,
                 library.base.weight.detach(), got_label="yours", expected_label="tinynn.nn.LoRALinear")
        with tinynn.no_grad():   # and the merged library layer still computes the same y as yours
            g.expect("y of tinynn.nn.LoRALinear after merge(), against yours",
                     g.call(layer, tinynn.tensor(x), what="LoRALinear.forward").detach(), library(tinynn.tensor(x)),
                     got_label="yours", expected_label="merged tinynn.nn.LoRALinear")
