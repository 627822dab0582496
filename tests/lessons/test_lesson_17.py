"""Lesson 17 (diffusion models) in quick mode: the closed-form forward process equals the chain,
the DDPM-trained denoiser's samples are far closer to the data than noise, DDIM gets close with
20 steps (its speed-up is printed, not judged), and classifier-free guidance raises the share of samples on the
requested class while narrowing their spread."""
from tests.lessons.helpers import run_lesson


def test_diffusion_lesson(tmp_path):
    summary, files, stdout = run_lesson(17, tmp_path)
    assert abs(summary["chain_vs_closed_mmd"]) < 0.005                     # same distribution
    assert summary["final_loss"] < 0.45 < summary["first_loss"]
    assert summary["ddpm_mmd"] < 0.4 * summary["noise_mmd"]                 # well below pure noise
    assert summary["ddpm_hist"] < summary["noise_hist"] - 0.15
    assert summary["ddim20_mmd"] < 0.5 * summary["noise_mmd"]
    assert summary["ddim20_mmd"] < 2.0 * summary["ddpm_mmd"]
    accuracy, spread = summary["guidance_accuracy"], summary["guidance_spread"]
    assert summary["guidance_scales"] == [0.0, 1.0, 3.0, 7.0]
    assert 0.35 < accuracy[0] < 0.65                                        # s = 0 ignores the class
    assert accuracy[1] > 0.8 and accuracy[2] > 0.95
    assert spread[2] < spread[1] < spread[0]
    assert {"forward_process.png", "diffusion_loss.png", "ddpm_trajectories.png", "ddim_trajectories.png",
            "samplers.png", "sampler_densities.png", "guidance.png"} <= set(files)
