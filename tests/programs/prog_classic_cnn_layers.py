"""A small image classifier built from the classic layers of well-known CNNs: AlexNet's local
response normalization (``nn.LocalResponseNorm``), Graham's fractional max pooling
(``nn.FractionalMaxPool2d``, with fixed ``_random_samples`` so the windows are reproducible), a
ShuffleNet unit (grouped convolution then ``nn.ChannelShuffle``), power-average pooling
(``nn.LPPool2d``) and a channel-attention map made with ``nn.Softmax2d``. Trained with SGD and
momentum on a synthetic two-class task (horizontal versus vertical strokes in noise).

Weights, data and the pooling's random numbers come from NumPy and everything is float64, so both
engines compute the same numbers.
"""
import numpy as np
import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)

N, SIZE, STEPS = 48, 12, 20

# --------------------------------------------------------------------------- data
labels = rng.integers(0, 2, N)
images = rng.standard_normal((N, 1, SIZE, SIZE)) * 0.5
for image, label in zip(images, labels):
    line = rng.integers(2, SIZE - 2)
    if label == 0:
        image[0, line, 2:-2] += 2.0      # a horizontal stroke
    else:
        image[0, 2:-2, line] += 2.0      # a vertical stroke
x, y = torch.from_numpy(images), torch.from_numpy(labels)


# --------------------------------------------------------------------------- model
class ShuffleUnit(nn.Module):
    def __init__(self, channels, groups):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, groups=groups)
        self.shuffle = nn.ChannelShuffle(groups)

    def forward(self, x):
        return torch.relu(self.shuffle(self.conv(x)))


class Net(nn.Module):
    def __init__(self, pool_samples):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.lrn = nn.LocalResponseNorm(5, alpha=1e-2, beta=0.75, k=2.0)
        self.pool1 = nn.FractionalMaxPool2d(2, output_size=8, _random_samples=pool_samples)
        self.unit = ShuffleUnit(8, 2)
        self.pool2 = nn.LPPool2d(2, 2)
        self.attention = nn.Sequential(nn.Conv2d(8, 8, 1), nn.Softmax2d())
        self.fc = nn.Linear(8 * 4 * 4, 2)

    def forward(self, x):
        h = self.pool1(self.lrn(torch.relu(self.conv1(x))))
        h = self.pool2(self.unit(h))
        h = h * self.attention(h)
        return self.fc(h.flatten(1))


net = Net(torch.from_numpy(rng.random((N, 8, 2))))
state = {}
for name, p in net.state_dict().items():
    if name.endswith("weight"):
        fan_in = int(np.prod(p.shape[1:]))
        state[name] = torch.from_numpy(rng.standard_normal(tuple(p.shape)) / np.sqrt(fan_in))
    elif name.endswith("bias"):
        state[name] = torch.zeros(tuple(p.shape))
    else:
        state[name] = p     # the pooling's random samples (a buffer)
net.load_state_dict(state)
RESULTS["state_dict_keys"] = list(net.state_dict())
optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
criterion = nn.CrossEntropyLoss()

losses, accuracies = [], []
for step in range(STEPS):
    logits = net(x)
    loss = criterion(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    accuracies.append((logits.argmax(1) == y).double().mean().item())
RESULTS["losses"] = losses
RESULTS["accuracies"] = accuracies
RESULTS["conv1_grad"] = net.conv1.weight.grad.flatten()[:8].tolist()
with torch.no_grad():
    h = net.pool1(net.lrn(torch.relu(net.conv1(x[:2]))))
    RESULTS["pooled_shape"] = list(h.shape)
    RESULTS["pooled"] = h[0, 0].tolist()
    RESULTS["attention_sums"] = net.attention(net.pool2(net.unit(h))).sum(1).flatten().tolist()
