"""Models the test servers load from deployment checkpoints (``--trust-model-class`` imports this module)."""
import pathlib
import time

from tinynn import nn


class MLP(nn.Module):
    """4 -> hidden -> 3."""

    def __init__(self, in_features: int = 4, hidden: int = 8, out_features: int = 3):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_features, hidden), nn.Tanh(), nn.Linear(hidden, out_features))

    def forward(self, x):
        return self.net(x)


class SlowMLP(MLP):
    """An MLP that leaves a marker file when a call starts, then takes ``delay`` seconds: a request in flight."""

    def __init__(self, delay: float, marker: str):
        super().__init__()
        self.delay, self.marker = delay, marker

    def forward(self, x):
        pathlib.Path(self.marker).touch()
        time.sleep(self.delay)
        return super().forward(x)
