"""tinynn.viz.plot_curves: one coloured line per run and metric, saved as a PNG."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import tinynn  # noqa: E402
from tinynn.viz import plot_curves  # noqa: E402


def test_runs_with_train_and_validation_metrics(tmp_path):
    path = tmp_path / "curves.png"
    histories = {"sgd": {"train": [1.0, 0.5, 0.3], "val": [1.1, 0.7, 0.6]},
                 "adam": {"train": [0.9, 0.2, 0.1], "val": [1.0, 0.4, 0.5]}}
    fig = plot_curves(histories, xlabel="epoch", ylabel="loss", logy=True, path=path)
    assert isinstance(fig, Figure)
    assert path.stat().st_size > 1000
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["sgd train", "sgd val", "adam train", "adam val"]
    assert [line.get_linestyle() for line in lines] == ["-", "--", "-", "--"]
    assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()
    np.testing.assert_allclose(lines[3].get_ydata(), [1.0, 0.4, 0.5])
    np.testing.assert_allclose(lines[3].get_xdata(), [1, 2, 3])
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"


def test_plain_lists_tensors_and_custom_x():
    fig = plot_curves({"a": tinynn.tensor([3.0, 2.0]), "b": [5.0, 4.0, 1.0]}, xlabel="seconds",
                      x={"b": [0.0, 0.5, 2.0]})
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2 and [line.get_label() for line in lines] == ["a", "b"]
    np.testing.assert_allclose(lines[0].get_ydata(), [3.0, 2.0])
    np.testing.assert_allclose(lines[1].get_xdata(), [0.0, 0.5, 2.0])
    assert fig.axes[0].get_yscale() == "linear"
    single = plot_curves([0.5, 0.25])  # a bare list is one unnamed run
    assert len(single.axes[0].get_lines()) == 1 and single.axes[0].get_legend() is None


def test_draws_into_given_axes_and_checks_lengths():
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2)
    assert plot_curves({"a": [1, 2]}, ax=right) is fig
    assert len(right.get_lines()) == 1 and len(left.get_lines()) == 0
    with pytest.raises(ValueError, match="3 values but 2 x values"):
        plot_curves({"a": [1, 2, 3]}, x={"a": [0, 1]})
