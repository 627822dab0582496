"""tinynn.viz.functions: activation plots with autograd derivatives."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import tinynn  # noqa: E402
import tinynn.nn.functional as F  # noqa: E402
from tinynn.viz import function_and_derivative, plot_functions  # noqa: E402


def test_derivative_by_autograd_matches_the_closed_form():
    x = np.linspace(-3, 3, 61)
    y, dy = function_and_derivative(tinynn.tanh, x)
    np.testing.assert_allclose(y, np.tanh(x), atol=1e-12)
    np.testing.assert_allclose(dy, 1 - np.tanh(x) ** 2, atol=1e-12)
    _, dy = function_and_derivative(F.relu, x)
    np.testing.assert_array_equal(dy[x > 0], 1.0)
    np.testing.assert_array_equal(dy[x < 0], 0.0)


def test_a_non_elementwise_function_is_refused():
    with pytest.raises(ValueError, match="elementwise"):
        function_and_derivative(lambda t: t.sum(), np.linspace(-1, 1, 5))


def test_plot_functions_one_panel_per_function(tmp_path):
    functions = {"relu": F.relu, "sigmoid": tinynn.sigmoid, "tanh": tinynn.tanh}
    path = tmp_path / "f.png"
    fig = plot_functions(functions, x_range=(-2, 2), points=101, ncols=2, path=path)
    assert isinstance(fig, Figure)
    assert path.stat().st_size > 1000
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["relu", "sigmoid", "tanh"]
    assert all(len(ax.get_lines()) == 2 for ax in visible)
    derivative = visible[1].get_lines()[1].get_ydata()
    assert derivative.max() == pytest.approx(0.25, abs=1e-3)  # sigmoid' peaks at 1/4 at x = 0
    fig = plot_functions(functions, with_derivative=False)
    assert all(len(ax.get_lines()) == 1 for ax in fig.axes if ax.get_visible())
