"""tinynn.viz.gradients: per-layer gradient norms read off a model, and their plot."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import tinynn  # noqa: E402
import tinynn.nn as nn  # noqa: E402
from tinynn.viz import gradient_norms, plot_gradient_norms  # noqa: E402


def test_gradient_norms_lists_each_weight_in_order_with_its_norm():
    tinynn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert gradient_norms(model) == []  # no backward yet
    model(tinynn.randn(5, 3)).sum().backward()
    norms = gradient_norms(model)
    assert [name for name, _ in norms] == ["0.weight", "2.weight"]
    expected = np.linalg.norm(model[2].weight.grad.numpy())
    assert norms[1][1] == pytest.approx(expected, rel=1e-5)
    assert len(gradient_norms(model, weights_only=False)) == 4


def test_plot_gradient_norms_draws_one_line_per_run_on_a_log_scale(tmp_path):
    path = tmp_path / "norms.png"
    runs = {"plain": [1e-4, 1e-3, 1e-2, 1e-1], "residual": [("a", 0.5), ("b", 0.4), ("c", 0.3), ("d", 0.2)]}
    fig = plot_gradient_norms(runs, path=path)
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 2
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), [0.5, 0.4, 0.3, 0.2])
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [1, 2, 3, 4])
    assert ax.get_yscale() == "log"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["plain  (first/last 0.001)", "residual  (first/last 2.5)"]
    assert path.stat().st_size > 1000
