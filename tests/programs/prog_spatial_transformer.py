"""A spatial transformer network, in the style of PyTorch's spatial-transformer tutorial: a localization
network regresses a 2 x 3 affine matrix per image, ``F.affine_grid`` + ``F.grid_sample`` warp the
input with it, and a small convolutional classifier reads the warped image; trained end to end with
SGD and nll_loss, so the classifier's gradient reaches theta through the sampler.

The MNIST download is replaced by synthetic 28 x 28 images of three shapes (a bar, a cross, a ring)
at random positions. So that every engine computes the same numbers, everything is float64, the
weights and the images are drawn with NumPy, and the dropout rates are 0 (no random masks). The
last layer of the localization head starts near, not exactly at, the identity: at exactly the
identity every grid point sits on a pixel centre, where the sampler's gradient is one-sided.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)


# --------------------------------------------------------------------------- data (synthetic)
def shapes(n):
    """28 x 28 images of a bar (0), a cross (1) or a ring (2), shifted at random, with their labels."""
    ys, xs = np.mgrid[0:28, 0:28]
    images, labels = np.zeros((n, 1, 28, 28)), rng.integers(0, 3, n)
    for i, label in enumerate(labels):
        cy, cx = rng.uniform(9, 19, 2)
        if label == 0:
            image = (np.abs(ys - cy) < 2) & (np.abs(xs - cx) < 8)
        elif label == 1:
            horizontal = (np.abs(ys - cy) < 1.5) & (np.abs(xs - cx) < 6)
            image = horizontal | ((np.abs(xs - cx) < 1.5) & (np.abs(ys - cy) < 6))
        else:
            image = np.abs(np.hypot(ys - cy, xs - cx) - 5) < 1.5
        images[i, 0] = image + 0.05 * rng.standard_normal((28, 28))
    return torch.from_numpy(images), torch.from_numpy(labels)


train_x, train_y = shapes(128)
test_x, test_y = shapes(32)


# --------------------------------------------------------------------------- the network
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d(p=0.0)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

        # Spatial transformer localization-network
        self.localization = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=7),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
            nn.Conv2d(8, 10, kernel_size=5),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True)
        )

        # Regressor for the 3 * 2 affine matrix
        self.fc_loc = nn.Sequential(
            nn.Linear(10 * 3 * 3, 32),
            nn.ReLU(True),
            nn.Linear(32, 3 * 2)
        )

    # Spatial transformer network forward function
    def stn(self, x):
        xs = self.localization(x)
        xs = xs.view(-1, 10 * 3 * 3)
        theta = self.fc_loc(xs)
        theta = theta.view(-1, 2, 3)

        grid = F.affine_grid(theta, x.size(), align_corners=False)
        x = F.grid_sample(x, grid, align_corners=False)

        return x, theta

    def forward(self, x):
        # transform the input
        x, theta = self.stn(x)

        # Perform the usual forward pass
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, p=0.0, training=self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1), theta


model = Net()
weights = {}
for name, p in model.named_parameters():
    fan_in = p[0].numel() if p.dim() > 1 else 1
    weights[name] = torch.from_numpy(rng.uniform(-1, 1, tuple(p.shape)) / np.sqrt(fan_in))
# near the identity transformation (the tutorial starts exactly there)
weights["fc_loc.2.weight"] = torch.from_numpy(rng.standard_normal((6, 32)) * 1e-3)
weights["fc_loc.2.bias"] = torch.tensor([1.0, 0, 0, 0, 1, 0])
model.load_state_dict(weights)
optimizer = optim.Adam(model.parameters(), lr=0.003)

# --------------------------------------------------------------------------- training
losses = []
for epoch in range(1, 13):
    model.train()
    for start in range(0, len(train_x), 16):
        data, target = train_x[start:start + 16], train_y[start:start + 16]
        optimizer.zero_grad()
        output, _ = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"Train Epoch: {epoch}\tLoss: {losses[-1]:.6f}")

model.eval()
with torch.no_grad():
    output, theta = model(test_x)
    test_loss = F.nll_loss(output, test_y).item()
    correct = output.argmax(dim=1).eq(test_y).sum().item()
    warped, _ = model.stn(test_x[:4])
print(f"Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_x)}")

identity = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
RESULTS["losses"] = losses
RESULTS["test_loss"] = test_loss
RESULTS["correct"] = correct
RESULTS["theta_mean"] = theta.mean(dim=0).flatten().tolist()
RESULTS["theta_distance"] = (theta - identity).abs().max().item()
RESULTS["warped_checksum"] = [warped.sum().item(), (warped ** 2).sum().item()]
RESULTS["loc_grad_norm"] = model.fc_loc[2].weight.grad.norm().item()
