"""Sweep: reductions, scans and normalizing functions against PyTorch, over dim arguments (None,
negative, tuples, out of range), keepdim, dtypes, 0-dim and empty inputs.
See tests/sweep/harness.py for what is compared."""
import pytest

from tests.helpers import needs_torch
from tests.sweep.harness import SPECIALS, Arg, Case, check_case, sweep_params

# the sweep compares results; NumPy's RuntimeWarnings and deprecation notices are not its subject
pytestmark = [needs_torch, pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")]

INPUTS = [Arg((2, 3, 4)), Arg(()), Arg((0, 3)), Arg((3, 4), t=True), Arg((2, 3), "f32"), Arg((2, 3), "f16"),
          Arg((2, 3), "i64"), Arg((2, 3), "i32"), Arg((2, 3), "bool"), Arg(values=[[1.0, SPECIALS[0]], [3.0, 4.0]],
                                                                            name="with_nan")]

# reductions taking (dim, keepdim), each over dim None / 0 / -1 / a tuple / out of range
DIMMED = ["sum", "mean", "nansum", "amax", "amin", "logsumexp", "var", "std", "prod", "any", "all",
          "count_nonzero", "norm", "argmax", "argmin", "max", "min", "var_mean", "std_mean"]
DIMS = [None, 0, -1, (0, -1), (), 2, -3]
NO_KEEPDIM = {"count_nonzero"}
NO_DIM_TUPLE = {"prod", "argmax", "argmin", "max", "min"}
NEED_DIM = {"logsumexp", "amax", "amin"}  # dim is required or defaults to all


def _reduction(name, dim, keepdim):
    def call(T, x):
        kwargs = {} if name in NO_KEEPDIM else {"keepdim": keepdim}
        if name == "norm":
            return T.norm(x, dim=dim, **kwargs)
        if dim is None:
            return getattr(T, name)(x) if name != "logsumexp" else T.logsumexp(x, dim=())
        return getattr(T, name)(x, dim, **kwargs)
    return call


def _keepdims(name):
    return [False] if name in NO_KEEPDIM else [False, True]


CASES = [Case(f"{name}(dim={dim},keepdim={kd})", _reduction(name, dim, kd), x)
         for name in DIMMED for dim in DIMS for kd in _keepdims(name)
         if not (dim is None and (kd or name == "logsumexp")) and not (isinstance(dim, tuple) and name in NO_DIM_TUPLE)
         for x in (INPUTS if dim in (None, -1) else INPUTS[:4])]

# the statistics with a correction (degrees of freedom), including the zero-dof case
for name in ("var", "std", "var_mean", "std_mean"):
    for correction in (0, 1, 2):
        CASES += [Case(f"{name}(correction={correction})",
                       lambda T, x, name=name, c=correction: getattr(T, name)(x, 1, correction=c), x)
                  for x in (Arg((2, 3)), Arg((2, 1)), Arg((2, 2), "f32"), Arg((2, 0)))]
    CASES += [Case(f"{name}(unbiased=False)", lambda T, x, name=name: getattr(T, name)(x, unbiased=False), x)
              for x in (Arg((2, 3)), Arg((1,)), Arg(()))]

# norm's p
for p in (1, 2, 3, float("inf"), -float("inf"), 0, "fro", 0.5):
    CASES += [Case(f"norm(p={p})", lambda T, x, p=p: T.norm(x, p=p), x) for x in (Arg((2, 3)), Arg((2, 3), "f32"))]
    CASES += [Case(f"norm(p={p},dim=1)", lambda T, x, p=p: T.norm(x, p=p, dim=1), Arg((2, 3)))]
CASES += [Case("norm(zeros)", lambda T, x: T.norm(x), Arg(values=[0.0, 0.0, 0.0], name="zeros")),
          Case("norm(i64)", lambda T, x: T.norm(x), Arg((3,), "i64"))]

# sum/mean/prod with dtype=
for name in ("sum", "mean", "prod", "cumsum"):
    for dtype in ("float64", "float32", "int64"):
        CASES += [Case(f"{name}(dtype={dtype})",
                       lambda T, x, name=name, dtype=dtype: getattr(T, name)(x, 0, dtype=getattr(T, dtype)), x)
                  for x in (Arg((2, 3)), Arg((2, 3), "i32"), Arg((2, 3), "bool"))]

# the scans and softmaxes: along one dim
SCANS = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "softmax", "log_softmax"]
for name in SCANS:
    for dim in (0, -1, 2, -3):
        CASES += [Case(f"{name}(dim={dim})", lambda T, x, name=name, dim=dim: getattr(T, name)(x, dim), x)
                  for x in (INPUTS if dim == -1 else INPUTS[:4])]
    CASES += [Case(f"Tensor.{name}(-1)", lambda T, x, name=name: getattr(x, name)(-1), Arg((2, 3), "f32"))]
CASES += [Case(f"{name}(dtype=float64)", lambda T, x, name=name: getattr(T, name)(x, 1, dtype=T.float64), x)
          for name in ("softmax", "log_softmax", "cumsum") for x in (Arg((2, 3), "f32"), Arg((2, 3), "i64"))]

# methods with keyword forms and NumPy-style names
CASES += [
    Case("Tensor.sum()", lambda T, x: x.sum(), Arg((2, 3), "bool")),
    Case("Tensor.sum(0,True)", lambda T, x: x.sum(0, True), Arg((2, 3))),
    Case("Tensor.sum(dim=[0,1])", lambda T, x: x.sum(dim=[0, 1]), Arg((2, 3))),
    Case("Tensor.mean(-1,keepdim)", lambda T, x: x.mean(-1, keepdim=True), Arg((2, 3), "f32")),
    Case("Tensor.max()", lambda T, x: x.max(), Arg((2, 3), "i64")),
    Case("Tensor.max(dim=0)", lambda T, x: x.max(dim=0), Arg((2, 3))),
    Case("Tensor.max(other)", lambda T, x, y: x.max(y), Arg((2, 3)), Arg((3,))),
    Case("max(x,y)", lambda T, x, y: T.max(x, y), Arg((2, 3)), Arg((3,))),
    Case("min(x,y)", lambda T, x, y: T.min(x, y), Arg((2, 3), "i64"), Arg((3,), "i64")),
    Case("Tensor.argmax()", lambda T, x: x.argmax(), Arg((2, 3))),
    Case("Tensor.std()", lambda T, x: x.std(), Arg((2, 3))),
    Case("Tensor.var(0)", lambda T, x: x.var(0), Arg((2, 3))),
    Case("Tensor.prod()", lambda T, x: x.prod(), Arg((2, 3), "i32")),
    Case("Tensor.prod(zeros)", lambda T, x: x.prod(), Arg(values=[[0.0, 2.0], [3.0, 0.0]], name="zeros")),
    Case("prod(1,zero)", lambda T, x: x.prod(1), Arg(values=[[0.0, 2.0], [3.0, 4.0]], name="one_zero")),
    Case("Tensor.all()", lambda T, x: x.all(), Arg((2, 3), "f32")),
    Case("Tensor.any(1)", lambda T, x: x.any(1), Arg((2, 3), "i64")),
    Case("max(ties)", lambda T, x: T.max(x, 1), Arg(values=[[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]], name="ties")),
    Case("amax(ties)", lambda T, x: T.amax(x, 1), Arg(values=[[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]], name="ties")),
    Case("max(all,ties)", lambda T, x: T.max(x), Arg(values=[[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]], name="ties")),
    Case("logsumexp(-inf)", lambda T, x: T.logsumexp(x, 1),
         Arg(values=[[-float("inf")] * 2, [float("inf"), 1.0]], name="infs")),
    Case("softmax(-inf)", lambda T, x: T.softmax(x, 1),
         Arg(values=[[-float("inf")] * 2, [-float("inf"), 1.0]], name="infs")),
    Case("log_softmax(-inf)", lambda T, x: T.log_softmax(x, 1),
         Arg(values=[[-float("inf")] * 2, [-float("inf"), 1.0]], name="infs")),
    Case("softmax(dim=None)", lambda T, x: T.softmax(x, None), Arg((2, 3))),
    Case("Tensor.softmax(0)", lambda T, x: x.softmax(0), Arg((2, 3))),
    Case("mean(empty)", lambda T, x: T.mean(x), Arg((0,))),
    Case("max(empty)", lambda T, x: T.max(x), Arg((0,))),
    Case("amax(empty,1)", lambda T, x: T.amax(x, 1), Arg((2, 0))),
    Case("amax(empty,0)", lambda T, x: T.amax(x, 0), Arg((2, 0))),
    Case("argmax(empty)", lambda T, x: T.argmax(x), Arg((0,))),
    Case("sum(empty,1)", lambda T, x: T.sum(x, 1), Arg((2, 0))),
    Case("prod(empty)", lambda T, x: T.prod(x), Arg((0,))),
    Case("logsumexp(empty)", lambda T, x: T.logsumexp(x, 1), Arg((2, 0))),
    Case("softmax(empty)", lambda T, x: T.softmax(x, 1), Arg((2, 0))),
    Case("cumsum(empty)", lambda T, x: T.cumsum(x, 0), Arg((0,))),
    Case("sum(dim=float)", lambda T, x: T.sum(x, 1.0), Arg((2, 3))),
    Case("sum(dim=(0,0))", lambda T, x: T.sum(x, (0, 0)), Arg((2, 3))),
]

DIFFERENCES = {
    "logsumexp(dim=(),keepdim=False)(f64?[23]x[34]*": "PyTorch 2.13 fails to reduce over every dim given dim=() "
                                                       "(a shape error in its out= path); tinynn reduces as sum does",
    "*_mean(dim=(),*)(f64?[23]x[34]*": "PyTorch's var/std backward reads dim=() as no dims (dividing by n - 1 = 0, inf) "
                                       "while its forward reduces every dim; tinynn's gradient is the forward's",
    "var(dim=(),*)(f64?[23]x[34]*": "PyTorch's var backward reads dim=() as no dims (inf); see var_mean",
    "std(dim=(),*)(f64?[23]x[34]*": "PyTorch's std backward reads dim=() as no dims (inf); see var_mean",
    "var*(correction=2)(f64?2x1?)": "correction > n: tinynn's gradient is the derivative of the value it returns "
                                    "(divided by 0: nan); PyTorch's divides by the negative n - correction",
    **{f"{name}(dtype=int64)(f64[2x3])": "PyTorch refuses an integer dtype= on an input that requires grad; tinynn returns "
                                         "the integer result, outside the graph, as x.long() would"
       for name in ("sum", "prod", "cumsum")},
    **{f"{name}(dim={dim})(f64[0x3])": "PyTorch skips the dim check on an empty input; tinynn checks it"
       for name in ("cummax", "cummin") for dim in (2, -3)},
}


@pytest.mark.parametrize("case", sweep_params(CASES, DIFFERENCES))
def test_reduction(case):
    check_case(case)
