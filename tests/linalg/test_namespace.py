"""The ``tinynn.linalg`` namespace (tinynn/linalg/__init__.py): what ``torch.linalg`` code reaches."""
import subprocess
import sys

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

TORCH_LINALG_NAMES = [
    "LinAlgError", "cholesky", "cholesky_ex", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "inv_ex",
    "lstsq", "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv",
    "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals", "vecdot", "vector_norm",
]
TENSOR_METHODS = ["cholesky", "cholesky_solve", "cholesky_inverse", "qr", "svd", "inverse", "det", "logdet",
                  "slogdet", "pinverse", "matrix_power", "matrix_exp", "kron", "cross"]


def test_linalg_is_the_package_and_has_torch_linalg_names():
    assert tinynn.linalg.__name__ == "tinynn.linalg"
    missing = [name for name in TORCH_LINALG_NAMES if not hasattr(tinynn.linalg, name)]
    assert missing == []
    assert tinynn.linalg.matmul is tinynn.matmul
    assert issubclass(tinynn.linalg.LinAlgError, RuntimeError)
    assert [name for name in TENSOR_METHODS if not hasattr(tinynn.Tensor, name)] == []


def test_import_torch_linalg_runs_on_tinynn():
    code = ("from tinynn import as_torch; as_torch.install()\n"
            "import torch.linalg\nfrom torch.linalg import cholesky, solve_triangular\n"
            "a = torch.tensor([[4.0, 2.0], [2.0, 3.0]])\n"
            "print(torch.__name__, torch.linalg.__name__, cholesky(a)[1, 1].item())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    name, linalg_name, value = out.stdout.split()
    assert (name, linalg_name) == ("tinynn", "tinynn.linalg") and abs(float(value) - np.sqrt(2.0)) < 1e-6


def test_missing_names_say_why():
    with pytest.raises(AttributeError, match="tinynn.linalg has no 'eig'.*no complex dtype.*linalg.eigh"):
        tinynn.linalg.eig
    with pytest.raises(AttributeError, match="torch.linalg.ldl_factor is not implemented in tinynn"):
        tinynn.linalg.ldl_factor


DIAGONAL_CASES = [((3, 4), 0, -2, -1), ((3, 4), 1, -2, -1), ((3, 4), -2, -2, -1), ((2, 3, 4), 0, 0, 2),
                  ((2, 3, 4), 1, 2, 1), ((3, 4), 5, -2, -1)]


@pytest.mark.parametrize("shape, offset, dim1, dim2", DIAGONAL_CASES, ids=str)
def test_diagonal_gradcheck(shape, offset, dim1, dim2):
    check_gradients(lambda a: tinynn.linalg.diagonal(a, offset=offset, dim1=dim1, dim2=dim2), rand(*shape, seed=1))


@needs_torch
@pytest.mark.parametrize("shape, offset, dim1, dim2", DIAGONAL_CASES, ids=str)
def test_diagonal_matches_torch(shape, offset, dim1, dim2):
    assert_matches_torch(lambda a: tinynn.linalg.diagonal(a, offset=offset, dim1=dim1, dim2=dim2),
                         lambda a: torch.linalg.diagonal(a, offset=offset, dim1=dim1, dim2=dim2), rand(*shape, seed=2))


def test_diagonal_errors():
    with pytest.raises(RuntimeError, match="dim1 and dim2 cannot be identical"):
        tinynn.linalg.diagonal(tinynn.ones(2, 2), dim1=0, dim2=-2)
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        tinynn.linalg.diagonal(tinynn.ones(2))
