"""Metrics on an audio classifier's outputs (PANNs logits over the 527 AudioSet classes)."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_softmax, softmax


def kl_divergence(ref_logits: np.ndarray, pred_logits: np.ndarray) -> dict[str, float]:
    """KL(ref_i ‖ pred_i) summed over classes and averaged over pairs; 0 for identical logits, lower is better.

    `kl_softmax` follows AudioLDM's evaluation (audioldm_eval's calculate_kl,
    the formulation AudioGen used; what papers report as "KL"): the KL between
    softmax(logits), here from log_softmax directly. audioldm_eval adds 1e-6
    to the prediction's probabilities instead, which shifts its values by up
    to about −5e-4 over 527 classes (identical sets score slightly below 0).
    `kl_sigmoid` is over the per-class sigmoid probabilities PANNs was trained
    to give (AudioSet is multi-label), as a sum of per-class Bernoulli KLs.
    Pitfall: audioldm_eval's "KL_Sigmoid" sums p·log(p/q) over sigmoids that do
    not sum to one, which can go negative; this one cannot, so the two differ.
    Rows of the two (n, classes) arrays are pairs.
    """
    ref, pred = np.asarray(ref_logits, np.float64), np.asarray(pred_logits, np.float64)
    if ref.shape != pred.shape:
        raise ValueError(f"KL needs paired logits of one shape, got {ref.shape} and {pred.shape}")
    kl_softmax = np.sum(softmax(ref, axis=1) * (log_softmax(ref, axis=1) - log_softmax(pred, axis=1))) / len(ref)
    # Bernoulli KL from logits, stable for large |logits|: log p = -softplus(-x), log(1-p) = -softplus(x).
    ps = expit(ref)
    kl_sigmoid = np.sum(ps * (np.logaddexp(0, -pred) - np.logaddexp(0, -ref))
                        + (1 - ps) * (np.logaddexp(0, pred) - np.logaddexp(0, ref))) / len(ref)
    return {"kl_softmax": float(kl_softmax), "kl_sigmoid": float(kl_sigmoid)}


def inception_score(logits: np.ndarray, splits: int = 10, seed: int = 2020) -> tuple[float, float]:
    """Inception score exp(E_x KL(p(y|x) ‖ p(y))) as (mean, std) over splits; higher is better.

    Follows Salimans et al. 2016, computed on softmax(logits) as audioldm_eval's
    calculate_isc does: rows shuffled with a fixed seed, split into `splits`
    parts (fewer when there are fewer clips), the score taken per part.
    Ranges from 1 (every clip classified alike, or uncertain) to the class count.
    """
    x = np.asarray(logits, np.float64)
    x = x[np.random.RandomState(seed).permutation(len(x))]
    splits = max(1, min(splits, len(x)))
    scores = []
    for part in np.array_split(x, splits):
        p, log_p = softmax(part, axis=1), log_softmax(part, axis=1)
        marginal = p.mean(axis=0, keepdims=True)
        scores.append(np.exp(np.mean(np.sum(p * (log_p - np.log(marginal)), axis=1))))
    return float(np.mean(scores)), float(np.std(scores))
