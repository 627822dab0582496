"""A 3-d CNN for short video clips, in the style of an action-recognition tutorial: Conv3d, BatchNorm3d,
MaxPool3d, AdaptiveAvgPool3d, a ConvTranspose3d decoder for an auxiliary reconstruction loss (against an
AvgPool3d-downsampled clip), a cross-entropy head plus TripletMarginLoss on the clip embeddings, and
CosineSimilarity / PairwiseDistance to inspect the embedding space. Clips are synthetic: a bright blob
moving up, down, left or right (the class) over 6 frames of 8x8 pixels."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(1)
DIRECTIONS = [(-1, 0), (1, 0), (0, -1), (0, 1)]


def make_clips(n, seed):
    g = np.random.default_rng(seed)
    clips = 0.1 * g.standard_normal((n, 1, 6, 8, 8))
    labels = g.integers(0, 4, n)
    for i, label in enumerate(labels):
        r, c = g.integers(2, 6, 2)
        dr, dc = DIRECTIONS[label]
        for t in range(6):
            rr, cc = (r + dr * t // 2) % 8, (c + dc * t // 2) % 8
            clips[i, 0, t, rr, cc] += 1.0
            clips[i, 0, t, (rr + 1) % 8, cc] += 0.5
    return torch.from_numpy(clips), torch.from_numpy(labels.astype(np.int64))


class ClipNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv3d(1, 4, kernel_size=3, padding=1, bias=False)   # BatchNorm3d follows
        self.bn1 = nn.BatchNorm3d(4)
        self.pool = nn.MaxPool3d(2)
        self.conv2 = nn.Conv3d(4, 8, kernel_size=(2, 3, 3), padding=(0, 1, 1))
        self.gap = nn.AdaptiveAvgPool3d(1)
        self.embed = nn.Linear(8, 8)
        self.classify = nn.Linear(8, 4)
        self.decode = nn.ConvTranspose3d(4, 1, kernel_size=2, stride=2)

    def forward(self, x):
        h = self.pool(F.relu(self.bn1(self.conv1(x))))          # (N, 4, 3, 4, 4)
        e = self.embed(torch.flatten(self.gap(F.relu(self.conv2(h))), 1))
        return self.classify(F.relu(e)), e, self.decode(h)      # decode: (N, 1, 6, 8, 8)


model = ClipNet()
state = {}
for name, value in model.state_dict().items():
    if name.endswith("running_var"):
        state[name] = torch.ones(value.shape)
    elif name.endswith("num_batches_tracked") or name.endswith("running_mean"):
        state[name] = torch.zeros(value.shape, dtype=value.dtype)
    else:
        state[name] = torch.from_numpy(0.3 * rng.standard_normal(tuple(value.shape)))
model.load_state_dict(state)

triplet = nn.TripletMarginLoss(margin=1.0, p=2)
optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
losses = []
for step in range(40):
    clips, labels = make_clips(32, step % 8)
    logits, emb, recon = model(clips)
    # each sample's positive: the next sample of its class; negative: the next of another class
    order = (labels * 100 + torch.arange(len(labels))).argsort()   # by class; unique keys: no tie order
    pos = order.roll(1)
    neg = order.roll(4)
    keep = (labels[order] == labels[pos]) & (labels[order] != labels[neg])
    loss = F.cross_entropy(logits, labels) + 0.5 * F.mse_loss(recon, F.avg_pool3d(clips, 1, stride=1))
    if keep.any():
        loss = loss + 0.2 * triplet(emb[order][keep], emb[pos][keep], emb[neg][keep])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

model.eval()
clips, labels = make_clips(32, 99)
with torch.no_grad():
    logits, emb, _ = model(clips)
    pooled = F.avg_pool3d(clips, kernel_size=(2, 2, 2), stride=2, count_include_pad=False)
    means = torch.stack([emb[labels == k].mean(0) for k in range(4)])
    cos = nn.CosineSimilarity(dim=1)(means[:, None, :].expand(4, 4, 8).reshape(16, 8), means.repeat(4, 1))
    dist = nn.PairwiseDistance(p=2)(emb[:-1], emb[1:])
RESULTS = {
    "losses": losses,
    "accuracy": (logits.argmax(1) == labels).double().mean().item(),
    "class_cosines": cos.tolist(),
    "neighbour_distances": dist.tolist(),
    "pooled_mean": pooled.mean().item(),
}
print({k: v for k, v in RESULTS.items() if k != "neighbour_distances"})
