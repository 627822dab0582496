"""Text classification with a bag of words, as PyTorch's "text classification with torchtext"
tutorial writes it: token ids of all the texts of a batch concatenated into one 1-d tensor, an
``offsets`` tensor of where each text starts, ``nn.EmbeddingBag`` (mean of each text's word
vectors) and a linear classifier, trained with SGD and a StepLR schedule, ``clip_grad_norm_``.
A second model pools with ``mode="sum"`` and per-word weights (tf-idf style), and a third with
``mode="max"``, from the same pretrained table (``EmbeddingBag.from_pretrained``).

The corpus is synthetic: four classes, each with its own likely words. Weights and data come from
NumPy and everything is float64, so both engines compute the same numbers.
"""
import numpy as np
import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)

VOCAB, EMBED, CLASSES, TEXTS, BATCH = 50, 16, 4, 96, 16

# --------------------------------------------------------------------------- data
topic_words = rng.permutation(VOCAB).reshape(CLASSES + 1, -1)   # the last row: words of every class
labels = rng.integers(0, CLASSES, TEXTS)
texts = []
for label in labels:
    length = rng.integers(3, 12)
    own = rng.random(length) < 0.6
    texts.append(np.where(own, rng.choice(topic_words[label], length), rng.choice(topic_words[-1], length)))


def collate(batch_texts, batch_labels):
    lengths = [len(t) for t in batch_texts]
    offsets = torch.tensor([0] + lengths[:-1]).cumsum(dim=0)
    return torch.from_numpy(np.concatenate(batch_texts)), offsets, torch.from_numpy(batch_labels)


# --------------------------------------------------------------------------- model
class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.fc = nn.Linear(embed_dim, num_class)

    def forward(self, text, offsets):
        embedded = self.embedding(text, offsets)
        return self.fc(embedded)


model = TextClassificationModel(VOCAB, EMBED, CLASSES)
model.load_state_dict({"embedding.weight": torch.from_numpy(rng.standard_normal((VOCAB, EMBED))),
                       "fc.weight": torch.from_numpy(rng.standard_normal((CLASSES, EMBED)) * 0.1),
                       "fc.bias": torch.zeros(CLASSES)})
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=5.0)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.8)


def evaluate():
    model.eval()
    correct = 0
    with torch.no_grad():
        text, offsets, label = collate(texts, labels)
        predicted = model(text, offsets)
        correct = (predicted.argmax(1) == label).sum().item()
    model.train()
    return correct / TEXTS


losses, accuracies = [], [evaluate()]
for epoch in range(5):
    for start in range(0, TEXTS, BATCH):
        text, offsets, label = collate(texts[start:start + BATCH], labels[start:start + BATCH])
        optimizer.zero_grad()
        loss = criterion(model(text, offsets), label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        losses.append(loss.item())
    scheduler.step()
    accuracies.append(evaluate())
RESULTS["losses"] = losses
RESULTS["accuracies"] = accuracies
RESULTS["first_rows"] = model.embedding.weight[:3].tolist()

# --------------------------------------------------------------------------- sum with weights, and max
table = model.embedding.weight.detach()
text, offsets, label = collate(texts[:5], labels[:5])
idf = torch.from_numpy(rng.random(len(text)))
weighted = nn.EmbeddingBag.from_pretrained(table, freeze=False, mode="sum", padding_idx=int(topic_words[-1][0]))
summed = weighted(text, offsets, per_sample_weights=idf.requires_grad_())
summed.pow(2).sum().backward()
RESULTS["weighted_sum"] = summed.tolist()
RESULTS["idf_grad"] = idf.grad.tolist()
RESULTS["weighted_table_grad_norm"] = weighted.weight.grad.norm().item()
strongest = nn.EmbeddingBag.from_pretrained(table, mode="max")(text, offsets)
RESULTS["max_pooled"] = strongest.tolist()
RESULTS["max_frozen"] = not nn.EmbeddingBag.from_pretrained(table, mode="max").weight.requires_grad
