# Exercise 26, generated from tinynn/exercises/source/e26_gan_losses.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e26_gan_losses.py my_e26_gan_losses.py
#     python -m tinynn.exercises check 26 my_e26_gan_losses.py
"""Exercise 26: the GAN losses, from the discriminator's logits, finite for any logit.

A GAN trains two networks against each other (lesson 16). The discriminator D reads a sample and
gives a logit z, any real number; D's belief that the sample is real is sigmoid(z). The generator G
turns noise into fakes. Write r for D's logits on a batch of N real samples and f for its logits on
M fakes (r: any shape with N elements, f: any shape with M elements; N and M may differ).

The discriminator is a binary classifier (real = 1, fake = 0), trained with binary cross-entropy.
Since 1 - sigmoid(z) = sigmoid(-z):

    L_D = mean_i -log sigmoid(r_i)  +  mean_j -log sigmoid(-f_j)          (one mean per batch)

With one-sided label smoothing (lesson 16's digits GAN) the real label is y < 1, e.g. 0.9, and
the real term is the cross-entropy against y; the fake label stays 0:

    real term = mean_i -( y log sigmoid(r_i) + (1 - y) log sigmoid(-r_i) )

The generator wants D to be fooled. The minimax game says G minimises the same value D maximises,
the "saturating" loss; Goodfellow et al. (2014) recommend the "non-saturating" one instead:

    L_G (saturating)      = mean_j  log sigmoid(-f_j)      = mean_j  log(1 - D(G(z_j)))
    L_G (non-saturating)  = mean_j -log sigmoid(f_j)       = mean_j -log D(G(z_j))

Both push f up, and both have their optimum where D is fooled. Their gradients differ where it
matters, early in training, when D easily rejects the fakes (f very negative):

    d/df_j  log sigmoid(-f_j) = -sigmoid(f_j) / M        -> 0 as f_j -> -inf: G learns nothing
    d/df_j -log sigmoid(f_j)  = (sigmoid(f_j) - 1) / M   -> -1/M as f_j -> -inf: the strongest push

(at f = -20: -2e-9 against -1, per sample). That is why GANs train with the non-saturating loss.

**Stability.** log sigmoid(z) = -log(1 + e^(-z)) overflows for z = -800 (e^800 = inf), and
log(sigmoid(z)) gives log(0) = -inf there. Split off the part that can be large:

    log sigmoid(z) = min(z, 0) - log(1 + e^(-|z|))          the exponent -|z| is never positive

(for z >= 0 it is the formula above; for z < 0 multiply inside by e^z). ``log1p(u)`` computes
log(1 + u) accurately for small u. Worked example: log sigmoid(0) = -log 2 = -0.693147, and for
r = [2, 0], f = [-1]:  L_D = (0.126928 + 0.693147) / 2 + 0.313262 = 0.723299.

You write ``log_sigmoid`` and the three losses with tinynn Tensor operations (``clamp``, ``abs``,
``exp``, ``log1p``, ``mean``), so autograd gives the gradients. Each loss returns a 0-d Tensor of the
logits' dtype. The grader checks values against ``F.binary_cross_entropy_with_logits`` with labels 1
and 0 (and 0.9), the gradients against finite differences (float64) and the closed forms above,
extreme logits (+-1000), a batch of one, and N != M.
"""
from __future__ import annotations

import tinynn

LESSON = 16
FORBIDDEN = ["tinynn.nn.functional.binary_cross_entropy_with_logits", "tinynn.nn.functional.binary_cross_entropy",
             "tinynn.nn.functional.logsigmoid", "tinynn.nn.functional.softplus", "tinynn.nn.BCEWithLogitsLoss",
             "tinynn.nn.BCELoss", "tinynn.nn.LogSigmoid", "tinynn.nn.Softplus"]


def log_sigmoid(z: tinynn.Tensor) -> tinynn.Tensor:
    """log sigmoid(z) = min(z, 0) - log(1 + exp(-|z|)), elementwise; finite for any finite z."""
    raise NotImplementedError("exercise 26: log_sigmoid")


def discriminator_loss(real_logits: tinynn.Tensor, fake_logits: tinynn.Tensor,
                       real_label: float = 1.0) -> tinynn.Tensor:
    """mean -(y log sigmoid(r) + (1 - y) log sigmoid(-r)) + mean -log sigmoid(-f), y = real_label."""
    raise NotImplementedError("exercise 26: discriminator_loss")


def generator_loss_saturating(fake_logits: tinynn.Tensor) -> tinynn.Tensor:
    """The minimax generator loss: mean log(1 - D(G(z))) = mean log sigmoid(-f)."""
    raise NotImplementedError("exercise 26: generator_loss_saturating")


def generator_loss_non_saturating(fake_logits: tinynn.Tensor) -> tinynn.Tensor:
    """The non-saturating generator loss: mean -log D(G(z)) = mean -log sigmoid(f)."""
    raise NotImplementedError("exercise 26: generator_loss_non_saturating")
