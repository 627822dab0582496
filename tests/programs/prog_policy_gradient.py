"""REINFORCE on a corridor, the way RL tutorials write it: a small policy network gives the logits
of a Categorical over two actions (left, right); each step stores dist.log_prob(action) and
dist.entropy(); at the end of an episode the loss is -sum(log_prob * normalised return) minus an
entropy bonus, and Adam takes a step.

The environment: positions 0..4, start at 0, the goal at 4 (reward +1, the episode ends); at most
30 steps. Discounting makes a fast walk worth more: a random policy stumbles to the goal late (or
not at all), a learned one walks straight right in 4 steps.

So that both engines take the same actions, actions are drawn with NumPy from the policy's
probabilities (dist.sample() is exercised too, but its draws differ between engines); weights
are drawn with NumPy and everything is float64.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)

N_STATES, GOAL, MAX_STEPS, GAMMA = 5, 4, 30, 0.9


class Corridor:
    def reset(self):
        self.position, self.steps = 0, 0
        return self.position

    def step(self, action):
        self.position = max(0, self.position + (1 if action == 1 else -1))
        self.steps += 1
        done = self.position == GOAL or self.steps == MAX_STEPS
        reward = 1.0 if self.position == GOAL else 0.0
        return self.position, reward, done


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(N_STATES, 16)
        self.head = nn.Linear(16, 2)

    def forward(self, state):
        return self.head(torch.tanh(self.hidden(state)))


policy = Policy()
policy.load_state_dict({
    "hidden.weight": torch.from_numpy(rng.standard_normal((16, N_STATES)) * 0.5),
    "hidden.bias": torch.zeros(16),
    "head.weight": torch.from_numpy(rng.standard_normal((2, 16)) * 0.1),
    "head.bias": torch.zeros(2),
})
optimizer = torch.optim.Adam(policy.parameters(), lr=0.05)
env = Corridor()


def one_hot(position):
    return F.one_hot(torch.tensor(position), N_STATES).double()


def discounted_returns(rewards):
    returns, g = [], 0.0
    for r in reversed(rewards):
        g = r + GAMMA * g
        returns.insert(0, g)
    returns = torch.tensor(returns)
    if len(returns) > 1:
        returns = (returns - returns.mean()) / (returns.std() + 1e-8)
    return returns


episode_returns, losses, lengths = [], [], []
for episode in range(40):
    state = env.reset()
    log_probs, entropies, rewards = [], [], []
    done = False
    while not done:
        dist = Categorical(logits=policy(one_hot(state)))
        probs = dist.probs.detach().numpy()
        action = int(rng.random() < probs[1])           # the same draw on both engines
        log_probs.append(dist.log_prob(torch.tensor(action)))
        entropies.append(dist.entropy())
        state, reward, done = env.step(action)
        rewards.append(reward)
    returns = discounted_returns(rewards)
    loss = -(torch.stack(log_probs) * returns).sum() - 0.01 * torch.stack(entropies).mean()
    optimizer.zero_grad()
    loss.backward()
    if episode == 0:
        RESULTS["first_head_grad"] = policy.head.weight.grad.flatten().tolist()
        RESULTS["first_hidden_grad"] = policy.hidden.weight.grad.flatten().tolist()
    optimizer.step()
    episode_returns.append(sum(r * GAMMA**t for t, r in enumerate(rewards)))  # discounted, from the start
    losses.append(loss.item())
    lengths.append(len(rewards))

with torch.no_grad():
    final = Categorical(logits=policy(torch.eye(N_STATES)))
    RESULTS["final_right_probs"] = final.probs[:, 1].tolist()
    RESULTS["final_entropy"] = final.entropy().tolist()
    draws = final.sample((100,))
    RESULTS["sample_shape"] = list(draws.shape)
    RESULTS["sample_values_ok"] = bool(((draws == 0) | (draws == 1)).all())
    RESULTS["sample_dtype"] = str(draws.dtype)

RESULTS["episode_returns"] = episode_returns
RESULTS["losses"] = losses
RESULTS["lengths"] = lengths
print("lengths:", lengths)
print("returns:", [round(r, 2) for r in episode_returns])
print("final P(right):", [round(p, 3) for p in RESULTS["final_right_probs"]])
