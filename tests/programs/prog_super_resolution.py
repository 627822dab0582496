"""Super-resolution with a sub-pixel convolution network (ESPCN), in the style of PyTorch's
examples/super_resolution: four convolutions predict upscale_factor**2 channels at low resolution,
``nn.PixelShuffle`` rearranges them into the high-resolution image; MSE loss, Adam, PSNR on a test
set, compared with plain bicubic upsampling. The BSDS300 download is replaced by synthetic
grayscale images (smooth blobs and stripes); the low-resolution inputs are made with
``F.interpolate(..., mode="bicubic")`` as the example's Resize(BICUBIC) makes them.

So that every engine computes the same numbers, everything is float64 and the weights and the
images are drawn with NumPy.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.init as init
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)
upscale_factor = 3
crop_size = 24


# --------------------------------------------------------------------------- model.py
class Net(nn.Module):
    def __init__(self, upscale_factor):
        super(Net, self).__init__()

        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 64, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(64, 64, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(64, 32, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(32, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)

        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        x = self.pixel_shuffle(self.conv4(x))
        return x

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv3.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv4.weight)


# --------------------------------------------------------------------------- data.py (synthetic)
def synthetic_images(n):
    """Smooth grayscale images in [0, 1]: a few Gaussian blobs and a stripe pattern each."""
    ys, xs = np.mgrid[0:crop_size, 0:crop_size] / crop_size
    images = np.zeros((n, 1, crop_size, crop_size))
    for i in range(n):
        image = np.zeros((crop_size, crop_size))
        for _ in range(3):
            cy, cx, width = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.1, 0.3)
            image += rng.uniform(0.3, 1.0) * np.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / (2 * width ** 2))
        angle, frequency = rng.uniform(0, np.pi), rng.uniform(1, 2.5)
        image += 0.3 * np.sin(2 * np.pi * frequency * (xs * np.cos(angle) + ys * np.sin(angle)))
        images[i, 0] = (image - image.min()) / (image.max() - image.min())
    return torch.from_numpy(images)


def low_resolution(targets):
    small = F.interpolate(targets, scale_factor=1 / upscale_factor, mode="bicubic", align_corners=False)
    return small.clamp(0, 1)


train_targets, test_targets = synthetic_images(24), synthetic_images(8)
training_data_loader = DataLoader(TensorDataset(low_resolution(train_targets), train_targets), batch_size=8,
                                  shuffle=False)
testing_data_loader = DataLoader(TensorDataset(low_resolution(test_targets), test_targets), batch_size=4)

# --------------------------------------------------------------------------- main.py
print('===> Building model')
model = Net(upscale_factor=upscale_factor)
# the same weights on every engine, in place of the orthogonal draw: He-scaled normals, zero biases
model.load_state_dict({
    name: torch.from_numpy(rng.standard_normal(tuple(p.shape)) * math.sqrt(2.0 / p[0].numel()))
    if p.dim() > 1 else torch.zeros(p.shape)
    for name, p in model.named_parameters()
})
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=0.003)


def train(epoch):
    epoch_loss = 0
    for iteration, batch in enumerate(training_data_loader, 1):
        input, target = batch[0], batch[1]

        optimizer.zero_grad()
        loss = criterion(model(input), target)
        epoch_loss += loss.item()
        loss.backward()
        optimizer.step()

    print("===> Epoch {} Complete: Avg. Loss: {:.4f}".format(epoch, epoch_loss / len(training_data_loader)))
    return epoch_loss / len(training_data_loader)


def test():
    avg_psnr = 0
    with torch.no_grad():
        for batch in testing_data_loader:
            input, target = batch[0], batch[1]

            prediction = model(input)
            mse = criterion(prediction, target)
            psnr = 10 * math.log10(1 / mse.item())
            avg_psnr += psnr
    print("===> Avg. PSNR: {:.4f} dB".format(avg_psnr / len(testing_data_loader)))
    return avg_psnr / len(testing_data_loader)


def bicubic_psnr():
    """The baseline the network has to beat: bicubic upsampling of the same inputs."""
    avg_psnr = 0
    for input, target in testing_data_loader:
        upsampled = F.interpolate(input, scale_factor=upscale_factor, mode="bicubic", align_corners=False)
        avg_psnr += 10 * math.log10(1 / F.mse_loss(upsampled.clamp(0, 1), target).item())
    return avg_psnr / len(testing_data_loader)


losses, psnrs = [], [test()]
for epoch in range(1, 21):
    losses.append(train(epoch))
    psnrs.append(test())

with torch.no_grad():
    sample = model(low_resolution(test_targets[:1]))
    features = model.conv4(model.relu(model.conv3(model.relu(model.conv2(model.relu(model.conv1(
        low_resolution(test_targets[:1]))))))))
RESULTS["losses"] = losses
RESULTS["psnrs"] = psnrs
RESULTS["bicubic_psnr"] = bicubic_psnr()
RESULTS["sample_shape"] = list(sample.shape)
RESULTS["sample_checksum"] = [sample.sum().item(), (sample ** 2).sum().item()]
RESULTS["conv4_weight_norm"] = model.conv4.weight.norm().item()
RESULTS["shuffle_roundtrip"] = (F.pixel_unshuffle(model.pixel_shuffle(features), upscale_factor)
                                - features).abs().max().item()
