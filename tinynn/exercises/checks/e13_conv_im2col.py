"""Checks for exercise 13, im2col convolution: im2col's layout, col2im as its adjoint, conv forward and backward."""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn.functional as F
from tinynn.ops import conv as library_conv
from ..grading import Grader, numeric_gradient

# (x shape, out channels, kh, kw, stride, padding): overlapping and strided windows, padding, a
# non-square kernel and image, a 1x1 kernel, and a kernel that covers the whole padded image
CASES = [((2, 3, 5, 5), 4, 3, 3, 1, 0), ((1, 1, 4, 4), 2, 2, 2, 2, 0), ((2, 2, 5, 4), 3, 3, 2, 2, 1),
         ((1, 3, 3, 3), 2, 3, 3, 1, 1), ((3, 2, 4, 4), 2, 1, 1, 1, 0), ((1, 2, 3, 3), 1, 3, 3, 1, 0)]


def _geometry(kh, kw, stride, padding, x_shape):
    geo = library_conv.ConvGeometry((stride, stride), ((padding, padding), (padding, padding)), (1, 1), 1)
    return geo, library_conv.conv_output_size(x_shape[2:], (kh, kw), geo)


def _describe(x_shape, o, kh, kw, stride, padding) -> str:
    return f"x {x_shape}, weight {(o, x_shape[1], kh, kw)}, stride {stride}, padding {padding}"


def _col2im_assigning(cols, x_shape, kh, kw, stride, padding):
    """A known mistake: col2im that overwrites where windows overlap instead of adding."""
    n, c, h, w = x_shape
    ho, wo = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    cols = cols.reshape(kh, kw, c, ho, wo, n)
    dxpad = np.zeros((c, h + 2 * padding, w + 2 * padding, n))
    for a in range(kh):
        for e in range(kw):
            dxpad[:, a:a + stride * (ho - 1) + 1:stride, e:e + stride * (wo - 1) + 1:stride, :] = cols[a, e]
    return dxpad[:, padding:padding + h, padding:padding + w, :].transpose(3, 0, 1, 2)


def grade(g: Grader, student, reference) -> None:
    for x_shape, o, kh, kw, stride, padding in CASES:
        case = _describe(x_shape, o, kh, kw, stride, padding)
        x = g.randn(*x_shape)
        n, c = x_shape[:2]
        expected = reference.im2col(x, kh, kw, stride, padding)
        with g.check(case, "im2col"):
            got = g.call(student.im2col, x.copy(), kh, kw, stride, padding)
            k, ho_wo = kh * kw, expected.shape[1] // n
            mistakes = {"the rows ordered (c, a, e), channel first; tinynn's order is (a, e, c)":
                        expected.reshape(kh, kw, c, -1).transpose(2, 0, 1, 3).reshape(expected.shape),
                        "the columns ordered (n, i, j), batch first; tinynn's order is (i, j, n)":
                        expected.reshape(k * c, ho_wo, n).transpose(0, 2, 1).reshape(expected.shape)}
            g.expect("cols", got, expected, mistakes=mistakes)
            geo, out_size = _geometry(kh, kw, stride, padding, x_shape)
            g.expect("cols against the library", got, library_conv.im2col(x, (kh, kw), geo, out_size)[0],
                     expected_label="tinynn.ops.conv.im2col")

        dcols = g.randn(*expected.shape)
        with g.check(case + ": the adjoint of im2col (finite differences)", "col2im", points=2):
            got = g.call(student.col2im, dcols.copy(), x_shape, kh, kw, stride, padding)
            numeric = numeric_gradient(lambda x: reference.im2col(x, kh, kw, stride, padding), [x], 0, dcols)
            g.expect_gradient("x of <im2col(x), dcols>", got, numeric,
                              mistakes={"col2im with '=' where overlapping windows need '+='":
                                        _col2im_assigning(dcols, x_shape, kh, kw, stride, padding)})
            geo, out_size = _geometry(kh, kw, stride, padding, x_shape)
            g.expect("col2im against the library", got,
                     library_conv.col2im(dcols[None], x_shape, (kh, kw), geo, out_size),
                     expected_label="tinynn.ops.conv.col2im")

        w, b = g.randn(o, c, kh, kw), g.randn(o)
        with g.check(case, "conv2d_forward"):
            for bias in (b, None):
                got = g.call(student.conv2d_forward, x.copy(), w.copy(), None if bias is None else bias.copy(),
                             stride, padding)
                what = "y" if bias is not None else "y without bias"
                g.expect(what, got, reference.conv2d_forward(x, w, bias, stride, padding))
                library = F.conv2d(tinynn.tensor(x), tinynn.tensor(w), None if bias is None else tinynn.tensor(bias),
                                   stride=stride, padding=padding)
                g.expect(what + " against the library", got, library, expected_label="F.conv2d", expect_tensor=False)

        dy = g.randn(*reference.conv2d_forward(x, w, b, stride, padding).shape)
        with g.check(case + ": gradients against finite differences", "conv2d_backward", points=2):
            got = g.call(student.conv2d_backward, dy.copy(), x.copy(), w.copy(), stride, padding)
            forward = lambda x, w, b: reference.conv2d_forward(x, w, b, stride, padding)  # noqa: E731
            numeric = tuple(numeric_gradient(forward, [x, w, b], i, dy) for i in range(3))
            g.expect_values("conv2d_backward", ["gradient of x", "gradient of weight", "gradient of bias"], got,
                            numeric, rtol=1e-5, atol=1e-7,
                            got_label="analytic (yours)", expected_label="numeric (finite differences)")

    x, w, b = g.randn(2, 3, 6, 5), g.randn(4, 3, 3, 3), g.randn(4)
    with g.check("agrees with the library's F.conv2d gradients (stride 2, padding 1)", "conv2d_backward"):
        tensors = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = F.conv2d(*tensors, stride=2, padding=1)
        dy = g.randn(*y.shape)
        (y * tinynn.tensor(dy)).sum().backward()
        got = g.call(student.conv2d_backward, dy.copy(), x.copy(), w.copy(), 2, 1)
        g.expect_values("conv2d_backward", ["gradient of x", "gradient of weight", "gradient of bias"], got,
                        tuple(t.grad.numpy() for t in tensors), expected_label="F.conv2d's", got_label="yours")
