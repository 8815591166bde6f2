"""Fréchet distance between two sets of embeddings (FD with PANNs, FAD-style with CLAP)."""

from __future__ import annotations

import numpy as np
from scipy import linalg


def embedding_stats(embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (rows are samples) of an (n, dim) array, in float64."""
    e = np.asarray(embeddings, dtype=np.float64)
    if e.ndim != 2 or e.shape[0] < 2:
        raise ValueError("a Fréchet distance needs at least two embeddings per set")
    return e.mean(axis=0), np.cov(e, rowvar=False)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """FD = ||μa − μb||² + Tr(Σa + Σb − 2·(Σa Σb)^½) between two (n, dim) embedding sets.

    Follows Heusel et al. 2017 (FID) and Kilgour et al. 2019 (FAD), as AudioLDM's
    evaluation computes it on PANNs embeddings. The trace of the matrix square
    root is taken as Tr((√Σa Σb √Σa)^½) from eigenvalues (scipy.linalg.eigh):
    both covariances are usually singular (fewer clips than dimensions), where
    scipy.linalg.sqrtm(Σa Σb) warns and loses accuracy, and the symmetric form
    gives the same trace exactly, so identical sets give 0 to rounding.
    Pitfall: with few clips the value is biased upwards; compare FDs only
    between runs with the same number of clips.
    """
    mu_a, cov_a = embedding_stats(a)
    mu_b, cov_b = embedding_stats(b)
    root_a = _psd_sqrt(cov_a)
    inner = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_sqrt = np.sum(np.sqrt(np.clip(inner, 0.0, None)))
    value = np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt
    return float(max(value, 0.0))


def _psd_sqrt(cov: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (tiny negative eigenvalues clipped)."""
    values, vectors = linalg.eigh(cov)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
