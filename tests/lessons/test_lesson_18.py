"""Lesson 18 (beyond attention) in quick mode: the parallel scan equals the loop, the
selective SSM and attention learn the adding problem while the time-invariant SSM cannot,
attention's memory grows quadratically and the SSM's linearly, two labels classify the karate
club through GCN and GAT (not through an MLP), and Fourier features sharpen a coordinate MLP."""
from tests.lessons.helpers import run_lesson


def test_beyond_attention_lesson(tmp_path):
    summary, files, stdout = run_lesson(18, tmp_path)
    assert summary["scan_loop_max_difference"] < 1e-4
    assert summary["adding_selective_mse"] < 0.05          # predicting the mean scores 0.167
    assert summary["adding_attention_mse"] < 0.05
    assert summary["adding_time_invariant_mse"] > 0.12     # no selectivity: stuck near the baseline
    assert 3.0 < summary["attention_memory_growth"] < 4.5  # T -> 2T: about 4x memory
    assert 1.6 < summary["ssm_memory_growth"] < 2.4        # about 2x
    assert summary["attention_over_ssm_memory"] > 1.5
    assert summary["gcn_accuracy"] > 0.8 and summary["gat_accuracy"] > 0.8
    assert summary["mlp_accuracy"] < 0.7
    assert summary["psnr_fourier"] > summary["psnr_raw"] + 10
    assert summary["psnr_nerf"] > summary["psnr_raw"] + 5
    assert {"adding_problem.png", "scaling_time.png", "scaling_memory.png", "karate_gcn.png",
            "fourier_features.png"} <= set(files)
