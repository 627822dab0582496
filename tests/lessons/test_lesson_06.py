"""Lesson 6 (gradient descent and optimizers) runs headless in quick mode and measures what it teaches."""
from tests.lessons.helpers import run_lesson


def test_batch_sizes_optimizers_and_their_memory(tmp_path):
    summary, files, stdout = run_lesson(6, tmp_path)
    # per epoch, more (noisier) steps learn more (their cost per epoch is printed, not judged: timings are noisy)
    one_epoch = summary["one_epoch_loss"]
    assert one_epoch["stochastic"] < 0.5 < one_epoch["mini-batch"] + 0.3 < one_epoch["batch"]
    # Rosenbrock: momentum escapes where plain SGD at the same learning rate crawls
    distance = summary["rosenbrock_distance"]
    assert distance["SGD"] > 1.5
    assert distance["momentum"] < 0.6 and distance["Nesterov"] < 0.6
    assert max(distance["Adam"], distance["Lion"]) < 1.3
    # the MLP on digits: everyone learns, momentum and Adam far faster than plain SGD
    accuracy, train_loss = summary["accuracy"], summary["final_train_loss"]
    assert min(accuracy.values()) > 0.85
    assert accuracy["Adam"] > 0.93 and accuracy["momentum"] > 0.93
    assert train_loss["momentum"] < train_loss["SGD"] / 3 and train_loss["Adam"] < train_loss["SGD"] / 3
    # memory kept by each optimizer, counted from optimizer.state
    for table in (summary["state_per_param_mlp"], summary["state_per_param_512"]):
        assert table["SGD"] == 0
        assert table["momentum"] == table["Nesterov"] == table["RMSprop"] == table["Lion"] == 1
        assert table["Adam"] == table["AdamW"] == 2
    assert summary["state_per_param_512"]["Adafactor"] < summary["state_per_param_mlp"]["Adafactor"] < 0.1
    for name in ("batch_sizes.png", "rosenbrock.png", "digits_optimizers.png", "train_vs_validation.png"):
        assert name in files
