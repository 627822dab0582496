"""The official MNIST example runs unchanged on tinynn, learns, and gives PyTorch's numbers."""
from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program


def test_mnist_example_learns_on_tinynn(tmp_path):
    ours = run_program("prog_mnist_example", "tinynn", tmp_path)
    assert ours["losses"][-1] < ours["losses"][0] / 3
    assert ours["correct"][-1] > 180                         # of 200 held-out images
    assert ours["reloaded_equal"] is True
    assert abs(ours["last_lr"][0] - 0.49) < 1e-12             # StepLR: 1.0 * 0.7 ** 2


@needs_torch
def test_mnist_example_gives_pytorchs_numbers(tmp_path):
    ours = run_program("prog_mnist_example", "tinynn", tmp_path)
    theirs = run_program("prog_mnist_example", "torch", tmp_path)
    assert_same_results(ours, theirs, rtol=1e-8)
