"""Lesson 11 (LSTM and GRU) runs headless in quick mode and shows what it claims."""
from tests.lessons.helpers import run_lesson


def test_lstm_and_gru_lesson(tmp_path):
    summary, files, stdout = run_lesson(11, tmp_path)
    # the hand-written LSTM and GRU cells compute what nn.LSTMCell and nn.GRUCell compute
    assert summary["cell_match"] < 1e-5
    # adding problem: the LSTM beats "always answer 1" (MSE ~0.167) by far; the plain RNN does not
    assert summary["lstm_mse"] < 0.03
    assert summary["rnn_mse"] > 0.1
    assert summary["lstm_mse"] < summary["rnn_mse"] / 10
    assert summary["lstm_accuracy"] > max(0.15, 2 * summary["rnn_accuracy"])
    # at initialization a far larger share of the gradient reaches step 1 in the LSTM than in the RNN
    assert summary["init_advantage"] > 10
    # packing gives each sequence its result alone; feeding the padding does not
    assert summary["pack_match"] < 1e-5
    assert summary["naive_error"] > 0.01
    # the bidirectional LSTM with attention pooling classifies, and attends to the planted pair
    assert summary["pair_accuracy"] > 0.9
    assert summary["attention_on_pair"] > 0.4
    assert {"adding_problem.png", "gradient_through_time.png", "attention_pooling.png"} <= set(files)
