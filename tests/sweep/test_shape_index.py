"""Sweep: shape changes, joining and splitting, indexing (x[key], gather/scatter), sorting, and the
matrix products against PyTorch: negative and out-of-range dims, empty and 0-dim inputs, mixed
dtypes, non-contiguous inputs. See tests/sweep/harness.py for what is compared."""
import pytest

from tests.helpers import needs_torch
from tests.sweep.harness import Arg, Case, check_case, sweep_params

# the sweep compares results; NumPy's RuntimeWarnings and deprecation notices are not its subject
pytestmark = [needs_torch, pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")]

X = Arg((2, 3, 4))
XT = Arg((3, 4), t=True)
I64 = Arg((2, 3), "i64")


def idx(values, shape=None):
    """An int64 index tensor with the given values."""
    return Arg(values=values, dtype="i64", name=f"idx{values}".replace(" ", ""))


CASES = []


def add(name, fn, *inputs_list):
    """One case per inputs tuple (a single Arg counts as a 1-tuple)."""
    for inputs in inputs_list:
        inputs = inputs if isinstance(inputs, tuple) else (inputs,)
        CASES.append(Case(name, fn, *inputs))


# --------------------------------------------------------------------------- shapes
add("reshape(-1,4)", lambda T, x: x.reshape(-1, 4), X, XT, Arg((0, 4)), Arg((2, 3), "i32"))
add("reshape(())", lambda T, x: x.reshape(()), Arg((1, 1)), Arg((2,)))
add("reshape(-1,-1)", lambda T, x: x.reshape(-1, -1), X)
add("reshape(5,-1)", lambda T, x: x.reshape(5, -1), X)
add("reshape(0,-1)", lambda T, x: x.reshape(0, -1), Arg((0, 4)))
add("view(6,4)", lambda T, x: x.view(6, 4), X, Arg((4, 6), t=True))
add("view(-1)", lambda T, x: x.view(-1), Arg(()), XT)
add("view(dtype)", lambda T, x: x.view(T.int32), Arg((2, 2), "f32", grad=False))
add("flatten()", lambda T, x: x.flatten(), X, Arg(()), XT)
add("flatten(1)", lambda T, x: T.flatten(x, 1), X, Arg(()))
add("flatten(-2,-1)", lambda T, x: T.flatten(x, -2, -1), X)
add("flatten(2,1)", lambda T, x: T.flatten(x, 2, 1), X)
add("unflatten(1,(3,1))", lambda T, x: x.unflatten(1, (3, 1)), X)
add("unflatten(-1,(2,-1))", lambda T, x: x.unflatten(-1, (2, -1)), X)
add("squeeze()", lambda T, x: x.squeeze(), Arg((1, 3, 1)), Arg(()), Arg((1, 0)))
add("squeeze(0)", lambda T, x: x.squeeze(0), Arg((1, 3, 1)), Arg((2, 3)), Arg(()))
add("squeeze(-1)", lambda T, x: T.squeeze(x, -1), Arg((1, 3, 1)))
add("squeeze(3)", lambda T, x: T.squeeze(x, 3), Arg((1, 3, 1)))
add("squeeze((0,2))", lambda T, x: T.squeeze(x, (0, 2)), Arg((1, 3, 1)), Arg((1, 3, 2)))
add("unsqueeze(0)", lambda T, x: x.unsqueeze(0), X, Arg(()))
add("unsqueeze(-1)", lambda T, x: T.unsqueeze(x, -1), X, Arg(()))
add("unsqueeze(3)", lambda T, x: T.unsqueeze(x, 3), X)
add("unsqueeze(4)", lambda T, x: T.unsqueeze(x, 4), X)
add("unsqueeze(-5)", lambda T, x: T.unsqueeze(x, -5), X)
add("permute(2,0,1)", lambda T, x: x.permute(2, 0, 1), X)
add("permute(-1,0,1)", lambda T, x: T.permute(x, (-1, 0, 1)), X)
add("permute(0,1)", lambda T, x: x.permute(0, 1), X)
add("permute(0,0,1)", lambda T, x: x.permute(0, 0, 1), X)
add("transpose(0,-1)", lambda T, x: x.transpose(0, -1), X, XT)
add("transpose(0,3)", lambda T, x: T.transpose(x, 0, 3), X)
add("transpose(0,0)", lambda T, x: T.transpose(x, 0, 0), Arg(()))
add("t()", lambda T, x: x.t(), Arg((2, 3)), Arg((3,)), Arg(()), X)
add("T", lambda T, x: x.T, Arg((2, 3)), Arg((3,)))
add("mT", lambda T, x: x.mT, X, Arg((3,)))
add("movedim(0,-1)", lambda T, x: T.movedim(x, 0, -1), X)
add("movedim((0,1),(2,0))", lambda T, x: T.movedim(x, (0, 1), (2, 0)), X)
add("swapaxes(0,2)", lambda T, x: x.swapaxes(0, 2), X)
add("expand(2,-1,4)", lambda T, x: x.expand(2, -1, 4), Arg((1, 3, 1)))
add("expand(3,2,3)", lambda T, x: x.expand(3, 2, 3), Arg((2, 3)))
add("expand(3,3)", lambda T, x: x.expand(3, 3), Arg((2, 3)))
add("expand(-1)", lambda T, x: x.expand(-1, 3), Arg((3,)))
add("expand_as", lambda T, x, y: x.expand_as(y), Arg((3,)), Arg((2, 3)))
add("broadcast_to", lambda T, x: T.broadcast_to(x, (2, 2, 3)), Arg((2, 3)), Arg(()))
add("broadcast_tensors", lambda T, x, y: T.broadcast_tensors(x, y), (Arg((2, 1)), Arg((3,))))
add("repeat(2,1,1)", lambda T, x: x.repeat(2, 1, 1), Arg((2, 3)), Arg(()))
add("repeat(2)", lambda T, x: x.repeat(2), Arg((2, 3)))
add("repeat(0,2)", lambda T, x: x.repeat(0, 2), Arg((2, 3)))
add("repeat_interleave(2)", lambda T, x: T.repeat_interleave(x, 2), Arg((2, 3)))
add("repeat_interleave(2,dim=-1)", lambda T, x: x.repeat_interleave(2, dim=-1), Arg((2, 3)))
add("repeat_interleave(t,dim=0)", lambda T, x, r: x.repeat_interleave(r, dim=0), (Arg((2, 3)), idx([1, 2])))
add("flip(0)", lambda T, x: T.flip(x, 0), X)
add("flip((0,-1))", lambda T, x: T.flip(x, (0, -1)), X, XT)
add("flip(())", lambda T, x: T.flip(x, ()), X)
add("flip((0,0))", lambda T, x: T.flip(x, (0, 0)), X)
add("flip(3)", lambda T, x: T.flip(x, 3), X)
add("fliplr", lambda T, x: T.fliplr(x), Arg((2, 3)), Arg((3,)))
add("flipud", lambda T, x: T.flipud(x), Arg((2, 3)), Arg(()))
add("roll(1)", lambda T, x: T.roll(x, 1), X)
add("roll(-1,1)", lambda T, x: T.roll(x, -1, 1), X)
add("roll((1,2),(0,-1))", lambda T, x: T.roll(x, (1, 2), (0, -1)), X)
add("roll(1,(0,1))", lambda T, x: T.roll(x, 1, (0, 1)), X)
add("roll(7,0)", lambda T, x: T.roll(x, 7, 0), X)
add("roll(1,0)", lambda T, x: T.roll(x, 1, 0), Arg((0, 2)), Arg(()))
add("tril()", lambda T, x: T.tril(x), Arg((3, 4)), X, XT, Arg((3,)), Arg((3, 4), "bool"))
add("tril(-1)", lambda T, x: T.tril(x, -1), Arg((3, 4)))
add("triu(1)", lambda T, x: x.triu(1), Arg((3, 4)), X)
add("triu(-5)", lambda T, x: T.triu(x, -5), Arg((3, 4)))
add("narrow(1,1,2)", lambda T, x: x.narrow(1, 1, 2), X)
add("narrow(-1,-2,2)", lambda T, x: T.narrow(x, -1, -2, 2), X)
add("narrow(1,2,2)", lambda T, x: T.narrow(x, 1, 2, 2), X)
add("select(1,-1)", lambda T, x: x.select(1, -1), X)
add("select(1,3)", lambda T, x: T.select(x, 1, 3), X)
add("unbind(1)", lambda T, x: x.unbind(1), X)
add("unbind(-1)", lambda T, x: T.unbind(x, -1), Arg((2, 0)))

# --------------------------------------------------------------------------- join and split
add("cat(0)", lambda T, xs: T.cat(xs, 0), [Arg((2, 3)), Arg((1, 3))], [Arg((2, 3)), Arg((0, 3))])
add("cat(-1)", lambda T, xs: T.cat(xs, -1), [Arg((2, 3)), Arg((2, 1), "f32")], [Arg((2, 3), "i64"), Arg((2, 1), "f32")],
    [Arg((2, 3), "i32"), Arg((2, 1), "bool")], [Arg((2, 3), "f16"), Arg((2, 1), "i64")], [Arg((2, 3)), XT])
add("cat(legacy empty)", lambda T, xs: T.cat(xs), [Arg((2, 3)), Arg((0,))], [Arg((0,)), Arg((2, 3), "f32")])
add("cat(0-dim)", lambda T, xs: T.cat(xs), [Arg(()), Arg(())])
add("cat(2)", lambda T, xs: T.cat(xs, 2), [Arg((2, 3)), Arg((2, 3))])
add("cat(mismatch)", lambda T, xs: T.cat(xs, 0), [Arg((2, 3)), Arg((2, 4))])
add("cat([])", lambda T: T.cat([]), ())
add("concat(1)", lambda T, xs: T.concat(xs, dim=1), [Arg((2, 3)), Arg((2, 1))])
add("stack(0)", lambda T, xs: T.stack(xs), [Arg((2, 3)), Arg((2, 3))], [Arg(()), Arg(())])
add("stack(-1)", lambda T, xs: T.stack(xs, -1), [Arg((2, 3)), Arg((2, 3), "i64")], [Arg((2, 3), "f32"), Arg((2, 3), "f64")])
add("stack(3)", lambda T, xs: T.stack(xs, 3), [Arg((2, 3)), Arg((2, 3))])
add("stack(mismatch)", lambda T, xs: T.stack(xs), [Arg((2, 3)), Arg((3, 2))])
add("hstack", lambda T, xs: T.hstack(xs), [Arg((3,)), Arg((2,))], [Arg((2, 3)), Arg((2, 1))])
add("vstack", lambda T, xs: T.vstack(xs), [Arg((3,)), Arg((3,))], [Arg((2, 3)), Arg((3,), "i64")])
add("split(2)", lambda T, x: x.split(2), Arg((5, 2)))
add("split(2,-1)", lambda T, x: T.split(x, 2, -1), Arg((2, 5)))
add("split([1,4])", lambda T, x: T.split(x, [1, 4]), Arg((5, 2)))
add("split([1,3])", lambda T, x: T.split(x, [1, 3]), Arg((5, 2)))
add("split(0)", lambda T, x: T.split(x, 0), Arg((5, 2)))
add("chunk(2)", lambda T, x: x.chunk(2), Arg((5, 2)), Arg((1, 2)))
add("chunk(3,-1)", lambda T, x: T.chunk(x, 3, -1), Arg((2, 4)), Arg((2, 6)))
add("chunk(4)", lambda T, x: T.chunk(x, 4), Arg((6,)))
add("tensor_split(3)", lambda T, x: T.tensor_split(x, 3), Arg((7,)), Arg((2,)))
add("tensor_split([1,4],1)", lambda T, x: T.tensor_split(x, [1, 4], dim=1), Arg((2, 6)))

# --------------------------------------------------------------------------- x[key] and x[key] = v
GETITEM = {
    "x[1]": lambda T, x: x[1], "x[-1]": lambda T, x: x[-1], "x[2]": lambda T, x: x[2],
    "x[:,None]": lambda T, x: x[:, None], "x[...,0]": lambda T, x: x[..., 0], "x[None]": lambda T, x: x[None],
    "x[::2]": lambda T, x: x[::2], "x[1:-1]": lambda T, x: x[1:-1], "x[5:]": lambda T, x: x[5:],
    "x[:,-2:]": lambda T, x: x[:, -2:], "x[[0,1]]": lambda T, x: x[[0, 1]], "x[[1,-1]]": lambda T, x: x[[1, -1]],
    "x[[0,2]]": lambda T, x: x[[0, 2]], "x[1,:,[0,2]]": lambda T, x: x[1, :, [0, 2]],
    "x[[0,1],:,[0,2]]": lambda T, x: x[[0, 1], :, [0, 2]], "x[:,[0,1],[1,2]]": lambda T, x: x[:, [0, 1], [1, 2]],
    "x[[[0],[1]],[0,2]]": lambda T, x: x[[[0], [1]], [0, 2]], "x[0,0,0]": lambda T, x: x[0, 0, 0],
    "x[True]": lambda T, x: x[True], "x[...]": lambda T, x: x[...], "x[1,...,None]": lambda T, x: x[1, ..., None],
    "x[0,1,2,3]": lambda T, x: x[0, 1, 2, 3], "x[::-1]": lambda T, x: x[::-1],
    "x[x>0]": lambda T, x: x[x > 0], "x[(x>0).any(-1)]": lambda T, x: x[(x > 0).any(-1)],
    "x[:,1.5]": lambda T, x: x[:, 1.5],
}
for name, fn in GETITEM.items():
    add(name, fn, Arg((2, 3, 4)))
add("x[i]", lambda T, x, i: x[i], (X, idx([1, 0, 1])), (X, idx([[0], [-1]])), (X, idx([2])), (X, idx([])))
add("x[:,i]", lambda T, x, i: x[:, i], (X, idx([2, 0])), (XT, idx([0, -3])))
add("x[1,:,i,0:2]", lambda T, x, i: x[1, :, i, 0:2], (Arg((2, 3, 4, 5)), idx([0, 2])))
add("x[i,:,i]", lambda T, x, i: x[i, :, i], (X, idx([0, 1])))
add("x[mask]", lambda T, x, m: x[m], (X, Arg((2, 3), "bool")), (X, Arg((2, 3, 4), "bool")), (X, Arg((3,), "bool")))
add("x[i32]", lambda T, x, i: x[i], (X, Arg(values=[1, 0], dtype="i32", name="i32idx")))
add("x[u8 mask]", lambda T, x, m: x[m], (Arg((3,)), Arg(values=[1, 0, 1], dtype="u8", name="u8mask")))
add("x[f idx]", lambda T, x, i: x[i], (X, Arg(values=[1.0, 0.0], dtype="f32", name="fidx")))
add("x[0-dim idx]", lambda T, x, i: x[i], (X, Arg(values=1, dtype="i64", name="0dim")))


def setitem(key_fn):
    def call(T, x, v):
        y = x.clone()
        y[key_fn(T, y)] = v
        return y
    return call


add("y[1]=v", setitem(lambda T, y: 1), (X, Arg((3, 4))), (X, 2.5), (X, Arg((4,))), (Arg((2, 3), "i64"), 2.7),
    (Arg((2, 3), "f32"), Arg((3,))), (Arg((2, 3), "i64"), Arg((3,), "f32")), (X, Arg((2, 4))))
add("y[:,0]=v", setitem(lambda T, y: (slice(None), 0)), (X, Arg((2, 4))), (XT, 0.0))
add("y[y>0]=v", setitem(lambda T, y: y > 0), (X, 0.0), (X, Arg((1,))))
add("y[[0,1],[2,0]]=v", setitem(lambda T, y: ([0, 1], [2, 0])), (X, Arg((2, 4))), (X, 1.0))
add("y[[0,0]]=v", setitem(lambda T, y: [0, 0]), (Arg((2, 3)), Arg((2, 3))))
add("y[...,1:]=v", setitem(lambda T, y: (Ellipsis, slice(1, None))), (X, Arg((3, 3))))

# --------------------------------------------------------------------------- gather / scatter / index_*
G_IDX = Arg(values=[[0, 2], [1, 0]], dtype="i64", name="gidx")
add("gather(1)", lambda T, x, i: T.gather(x, 1, i), (Arg((2, 3)), G_IDX), (Arg((2, 3), "i32"), G_IDX))
add("gather(-1)", lambda T, x, i: x.gather(-1, i), (Arg((2, 3)), G_IDX), (XT, G_IDX))
add("gather(0)", lambda T, x, i: T.gather(x, 0, i), (Arg((2, 3)), G_IDX), (Arg((3, 3)), G_IDX))
add("gather(bad)", lambda T, x, i: T.gather(x, 1, i), (Arg((2, 3)), idx([[0, 3]])), (Arg((2, 3)), idx([[0, -1]])),
    (Arg((2, 3)), Arg(values=[[0, 1]], dtype="i32", name="i32")), (Arg((2, 3)), idx([0, 1])))
add("gather(2)", lambda T, x, i: T.gather(x, 2, i), (Arg((2, 3)), G_IDX))
add("scatter(1,src)", lambda T, x, i, s: T.scatter(x, 1, i, s), (Arg((2, 3)), G_IDX, Arg((2, 2))),
    (Arg((2, 3)), G_IDX, Arg((2, 4))), (Arg((2, 3), "i64"), G_IDX, Arg((2, 2), "i64")),
    (Arg((2, 3)), G_IDX, Arg((2, 2), "f32")), (Arg((2, 3)), idx([[0, 3]]), Arg((1, 2))),
    (Arg((2, 3)), idx([[0, -1]]), Arg((1, 2))))
add("scatter(1,value)", lambda T, x, i: T.scatter(x, 1, i, 1.5), (Arg((2, 3)), G_IDX), (Arg((2, 3), "i64"), G_IDX))
add("scatter(reduce=add)", lambda T, x, i, s: T.scatter(x, 1, i, s, reduce="add"), (Arg((2, 3), grad=False), G_IDX,
                                                                                    Arg((2, 2), grad=False)))
add("scatter(reduce=multiply)", lambda T, x, i: T.scatter(x, 1, i, 2.0, reduce="multiply"),
    (Arg((2, 3), grad=False), G_IDX))
add("scatter_add(1)", lambda T, x, i, s: T.scatter_add(x, 1, i, s), (Arg((2, 3)), idx([[0, 0], [1, 1]]), Arg((2, 2))),
    (Arg((2, 3)), G_IDX, Arg((2, 2), "f32")))
for reduce in ("sum", "prod", "mean", "amax", "amin"):
    for include_self in (True, False):
        add(f"scatter_reduce({reduce},{include_self})",
            lambda T, x, i, s, r=reduce, inc=include_self: T.scatter_reduce(x, 1, i, s, r, include_self=inc),
            (Arg((2, 3)), idx([[0, 0], [2, 0]]), Arg((2, 2))), (Arg((2, 3), "i64"), idx([[0, 0], [2, 0]]),
                                                                Arg((2, 2), "i64")))
add("index_select(1)", lambda T, x, i: T.index_select(x, 1, i), (X, idx([2, 0, 2])), (X, idx([])), (Arg(()), idx([0])))
add("index_select(-1)", lambda T, x, i: x.index_select(-1, i), (X, idx([3])), (X, idx([4])), (X, idx([-1])),
    (X, Arg(values=[1, 0], dtype="i32", name="i32")), (X, Arg(values=[1.0], dtype="f32", name="fidx")),
    (X, idx([[0, 1]])))
add("index_add(0)", lambda T, x, i, s: T.index_add(x, 0, i, s, alpha=2), (Arg((3, 2)), idx([0, 2, 0]), Arg((3, 2))))
add("index_copy(1)", lambda T, x, i, s: x.index_copy(1, i, s), (Arg((2, 3)), idx([2, 0]), Arg((2, 2))))
add("index_fill(1)", lambda T, x, i: x.index_fill(1, i, -1.0), (Arg((2, 3)), idx([2, 0])),
    (Arg((2, 3), "i64"), idx([-1])))
add("masked_fill", lambda T, x, m: x.masked_fill(m, -1.5), (X, Arg((3, 4), "bool")), (Arg((2, 3), "i64"), Arg((3,), "bool")),
    (Arg((2, 3)), Arg((2, 1), "bool")), (Arg((2, 3)), Arg((2, 3), "i64")), (Arg((2, 3)), Arg((2, 4), "bool")))
add("masked_fill(tensor)", lambda T, x, m, v: T.masked_fill(x, m, v), (X, Arg((3, 4), "bool"), Arg(())),
    (Arg((2, 3), "f32"), Arg((3,), "bool"), Arg((), "f64")), (Arg((2, 3)), Arg((3,), "bool"), Arg((1,))))
add("masked_fill(inf)", lambda T, x, m: x.masked_fill(m, float("-inf")), (Arg((2, 3), "i64"), Arg((3,), "bool")))
add("masked_select", lambda T, x, m: T.masked_select(x, m), (X, Arg((3, 4), "bool")), (Arg((3,)), Arg((2, 3), "bool")))
add("masked_scatter", lambda T, x, m, s: x.masked_scatter(m, s), (Arg((2, 3)), Arg((2, 3), "bool"), Arg((6,))))
add("take", lambda T, x, i: T.take(x, i), (X, idx([[0, 23], [-1, 5]])), (X, idx([24])))
add("take_along_dim", lambda T, x, i: T.take_along_dim(x, i, 1), (Arg((2, 3)), G_IDX), (Arg((2, 3)), idx([[0], [2]])))
add("take_along_dim(None)", lambda T, x, i: T.take_along_dim(x, i), (Arg((2, 3)), idx([5, 0])))
add("nonzero", lambda T, x: T.nonzero(x), Arg((2, 3), "i64"), Arg((3,), "bool"), Arg(()), Arg((0, 2)))
add("nonzero(as_tuple)", lambda T, x: T.nonzero(x, as_tuple=True), Arg((2, 3), "i64"), Arg((), "i64"))
add("where(c)", lambda T, c: T.where(c), Arg((2, 3), "bool"))
add("count_nonzero(dims)", lambda T, x: T.count_nonzero(x, (0, 1)), Arg((2, 3, 2), "i64"))

# --------------------------------------------------------------------------- sorting
add("sort()", lambda T, x: T.sort(x), X, XT, Arg(()), Arg((2, 3), "i32"), Arg((2, 3), "bool"), Arg((0,)),
    Arg(values=[3.0, float("nan"), 1.0, -float("inf")], name="nan"))
add("sort(0,descending)", lambda T, x: x.sort(0, descending=True), X, Arg(values=[3.0, float("nan"), 1.0], name="nan"))
add("sort(stable)", lambda T, x: T.sort(x, stable=True, dim=-1), Arg(values=[1, 0, 1, 0, 1], dtype="i64", name="ties"))
add("sort(3)", lambda T, x: T.sort(x, 3), X)
add("argsort()", lambda T, x: T.argsort(x), X, Arg((3,), "bool"))
add("argsort(descending)", lambda T, x: x.argsort(dim=0, descending=True), X)
add("argsort(stable)", lambda T, x: T.argsort(x, stable=True), Arg(values=[2, 1, 2, 1, 1], dtype="i64", name="ties"))
add("topk(2)", lambda T, x: T.topk(x, 2), X, XT, Arg((2, 3), "i64"))
add("topk(2,0,largest=False)", lambda T, x: x.topk(2, 0, largest=False), X)
add("topk(0)", lambda T, x: T.topk(x, 0), X)
add("topk(5)", lambda T, x: T.topk(x, 5), X)
add("topk(nan)", lambda T, x: T.topk(x, 2), Arg(values=[3.0, float("nan"), 1.0], name="nan"))
add("topk(1,dim=-1)", lambda T, x: T.topk(x, 1, dim=-1), Arg(()))
add("kthvalue(2)", lambda T, x: T.kthvalue(x, 2), X, Arg((2, 3), "i64"))
add("kthvalue(1,0,keepdim)", lambda T, x: x.kthvalue(1, 0, keepdim=True), X)
add("kthvalue(5)", lambda T, x: T.kthvalue(x, 5), X)
add("msort", lambda T, x: T.msort(x), X, Arg((3,), "i64"))
add("median()", lambda T, x: T.median(x), X, Arg(values=[1.0, 3.0, 3.0, 2.0], name="ties"), Arg((0,)),
    Arg(values=[4.0, 1.0, 3.0, 2.0], name="even"), Arg(values=[1.0, float("nan"), 2.0], name="nan"), Arg((2, 3), "i64"))
add("median(1)", lambda T, x: T.median(x, 1), X, Arg((2, 3), "i32"), Arg((2, 0)))
add("median(-1,keepdim)", lambda T, x: x.median(-1, keepdim=True), X, Arg(()))
add("median(3)", lambda T, x: T.median(x, 3), X)
add("nanmedian", lambda T, x: T.nanmedian(x, 0), Arg(values=[[1.0, float("nan")], [3.0, 2.0], [5.0, 1.0]], name="nan"))

DIFFERENCES = {
    "flip([03])(*": "tinynn's flip takes one int dim as well as a tuple (PyTorch's function wants a tuple; "
                    "its method takes ints)",
    "cat(legacy empty)(?f64?0?,f32*": "a 1-d empty tensor skipped by cat (PyTorch's legacy rule) sets the result "
                                       "dtype but does not join tinynn's graph: its gradient would be empty anyway",
    "x[::-1](f64[2x3x4])": "tinynn reads a negative slice step as NumPy does (documented in ops/index_key.py); "
                           "PyTorch refuses it",
    "scatter(1,src)(f64?2x3?,i64:gidx,f64?2x4?)": "PyTorch's backward fails for a src larger than the index "
                                                   "(its gradient keeps the index's shape); tinynn's is right",
}


@pytest.mark.parametrize("case", sweep_params(CASES, DIFFERENCES))
def test_shape_index(case):
    check_case(case)
