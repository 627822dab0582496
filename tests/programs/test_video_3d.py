"""A 3-d CNN clip classifier (Conv3d, pools, ConvTranspose3d decoder, triplet loss) runs unchanged on tinynn,
learns, and gives PyTorch's numbers."""
from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program


def test_video_3d_learns_on_tinynn(tmp_path):
    ours = run_program("prog_video_3d", "tinynn", tmp_path)
    assert ours["losses"][-1] < ours["losses"][0] / 2
    assert ours["accuracy"] > 0.8                       # held-out clips; chance is 0.25
    assert all(abs(c) <= 1 + 1e-12 for c in ours["class_cosines"])


@needs_torch
def test_video_3d_gives_pytorchs_numbers(tmp_path):
    ours = run_program("prog_video_3d", "tinynn", tmp_path)
    theirs = run_program("prog_video_3d", "torch", tmp_path)
    assert_same_results(ours, theirs, rtol=1e-7)
