"""Layer norm over the last n elements of each row: one GPU block per row, forward and backward.

For a row x of n numbers (see ops/normalization.py for the derivation)::

    forward    mean = sum(x) / n,  var = sum((x - mean)^2) / n,  rstd = 1 / sqrt(var + eps)
               y = (x - mean) * rstd * w + b
    backward   xhat = (x - mean) * rstd,  gw = g * w
               dx = rstd * (gw - sum(gw) / n - xhat * sum(gw * xhat) / n)
               and g * xhat per element, which summed over rows is dL/dw

The reference path (ops/normalization.py, on NumPy and CuPy alike) takes about ten array
operations each way; here each direction is one launch: the block's threads stride over the row,
and the sums are warp shuffles plus one shared-memory step.
"""
from __future__ import annotations

import functools

from . import c_type

_SOURCE = r"""
template <typename T>
__device__ T block_sum(T v, T* shared) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffff, v, offset);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < (blockDim.x >> 5) ? shared[lane] : T(0);
        for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffff, v, offset);
        if (lane == 0) shared[32] = v;
    }
    __syncthreads();
    T total = shared[32];
    __syncthreads();
    return total;
}

template <typename T>
__global__ void layer_norm_forward(const T* x, const T* w, const T* b, T* y, T* mean_out, T* var_out,
                                   T* rstd_out, int n, T eps) {
    __shared__ T shared[33];
    const T* row = x + (long long)blockIdx.x * n;
    T* out = y + (long long)blockIdx.x * n;
    T s = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += row[i];
    T mean = block_sum(s, shared) / n;
    T q = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) { T d = row[i] - mean; q += d * d; }
    T var = block_sum(q, shared) / n;
    T rstd = T(1) / sqrt(var + eps);
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        T v = (row[i] - mean) * rstd;
        if (w) v *= w[i];
        if (b) v += b[i];
        out[i] = v;
    }
    if (threadIdx.x == 0) { mean_out[blockIdx.x] = mean; var_out[blockIdx.x] = var; rstd_out[blockIdx.x] = rstd; }
}

template <typename T>
__global__ void layer_norm_backward(const T* g, const T* x, const T* w, const T* mean, const T* rstd,
                                    T* dx, T* g_xhat, int n) {
    __shared__ T shared[33];
    long long base = (long long)blockIdx.x * n;
    T mu = mean[blockIdx.x], r = rstd[blockIdx.x];
    T s1 = 0, s2 = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        T xhat = (x[base + i] - mu) * r;
        T gw = w ? g[base + i] * w[i] : g[base + i];
        s1 += gw;
        s2 += gw * xhat;
        if (g_xhat) g_xhat[base + i] = g[base + i] * xhat;
    }
    T mean_gw = block_sum(s1, shared) / n;
    T mean_gw_xhat = block_sum(s2, shared) / n;
    if (!dx) return;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        T xhat = (x[base + i] - mu) * r;
        T gw = w ? g[base + i] * w[i] : g[base + i];
        dx[base + i] = r * (gw - mean_gw - xhat * mean_gw_xhat);
    }
}
"""


@functools.lru_cache(maxsize=None)
def _module():
    import cupy

    names = [f"layer_norm_{d}<{t}>" for d in ("forward", "backward") for t in ("float", "double")]
    return cupy.RawModule(code=_SOURCE, options=("--std=c++14",), name_expressions=names)


def _threads(n: int) -> int:
    """Threads per row: a multiple of 32 up to 256, enough to cover short rows in one pass."""
    return max(32, min(256, 32 * ((n + 31) // 32)))


def _pointer(a):
    import cupy

    return a if a is not None else cupy.intp(0)   # a null pointer: no weight / no bias / no output


def layer_norm_forward(x2d, weight, bias, eps: float):
    """x2d: (rows, n) contiguous; weight, bias: (n,) or None.  Returns y, mean, var, rstd ((rows,) each)."""
    import cupy

    rows, n = x2d.shape
    y = cupy.empty_like(x2d)
    mean, var, rstd = (cupy.empty(rows, dtype=x2d.dtype) for _ in range(3))
    kernel = _module().get_function(f"layer_norm_forward<{c_type(x2d.dtype)}>")
    kernel((rows,), (_threads(n),), (x2d, _pointer(weight), _pointer(bias), y, mean, var, rstd, cupy.int32(n),
                                     x2d.dtype.type(eps)))
    return y, mean, var, rstd


def layer_norm_backward(g2d, x2d, weight, mean, rstd, need_x: bool, need_g_xhat: bool):
    """dL/dx (rows, n) and g * xhat (rows, n), each None when not asked for."""
    import cupy

    rows, n = x2d.shape
    dx = cupy.empty_like(x2d) if need_x else None
    g_xhat = cupy.empty_like(x2d) if need_g_xhat else None
    kernel = _module().get_function(f"layer_norm_backward<{c_type(x2d.dtype)}>")
    kernel((rows,), (_threads(n),), (g2d, x2d, _pointer(weight), mean, rstd, _pointer(dx), _pointer(g_xhat),
                                     cupy.int32(n)))
    return dx, g_xhat
