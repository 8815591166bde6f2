"""The sampler's SDE noise (issue 16): version 2's normals, and version 1's helper thread.

Version 2 draws each step's standard normals from a counter-based hash on the
device. What it promises, measured here: normal statistics with no correlation
between neighbouring elements, steps or items; the same bits whatever the batch
or the chunking; the hash equal to PCG's 32-bit arithmetic (computed
independently with numpy's wrapping uint32). Version 1's thread is stopped and
joined when its context ends, also early.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from scipy import stats

from engine.neural.sampler import BrownianNoise, StepNoise, _pcg_hash, make_noise
from engine.neural.schedule import schedule

SHAPE = (4, 300)


def draw_all(noise) -> torch.Tensor:
    with noise:
        return torch.stack([noise(a, b) for a, b in noise.steps])


def test_the_hash_is_pcgs_32_bit_arithmetic():
    x = np.random.default_rng(0).integers(0, 2**32, 10_000, dtype=np.uint64).astype(np.uint32)
    x[:4] = [0, 1, 2**31, 2**32 - 1]
    with np.errstate(over="ignore"):
        state = x * np.uint32(747796405) + np.uint32(2891336453)
        word = ((state >> ((state >> np.uint32(28)) + np.uint32(4))) ^ state) * np.uint32(277803737)
        expected = (word >> np.uint32(22)) ^ word
    ours = _pcg_hash(torch.from_numpy(x.astype(np.int64))).numpy()
    assert np.array_equal(ours, expected.astype(np.int64))


def test_step_noise_is_standard_normal_and_uncorrelated():
    sigmas = schedule(50, 4.0)
    z = draw_all(StepNoise(SHAPE, [11, 12, 13], sigmas)).double()  # (49 steps, 3 items, 4, 300)
    assert z.shape == (49, 3, *SHAPE)
    flat = z.flatten().numpy()
    assert abs(flat.mean()) < 0.01 and abs(flat.std() - 1) < 0.01 and abs(stats.kurtosis(flat)) < 0.05
    assert stats.kstest(flat, "norm").pvalue > 1e-3
    for a, b in ((z[..., 1:], z[..., :-1]), (z[1:], z[:-1]), (z[:, 1:], z[:, :-1]), (z[:, :, 1:], z[:, :, :-1])):
        assert abs(np.corrcoef(a.flatten().numpy(), b.flatten().numpy())[0, 1]) < 0.01  # elements, steps, items, channels


def test_step_noise_does_not_depend_on_the_batch_or_the_chunking():
    sigmas = schedule(20, 4.0)
    batch = draw_all(StepNoise(SHAPE, [5, 6, 7], sigmas))
    alone = StepNoise(SHAPE, [6], sigmas)
    alone.per_chunk = 1
    assert torch.equal(draw_all(alone)[:, 0], batch[:, 1])  # bit for bit
    again = draw_all(StepNoise(SHAPE, [5, 6, 7], sigmas))
    assert torch.equal(again, batch)
    other = draw_all(StepNoise(SHAPE, [8], sigmas))
    assert abs(np.corrcoef(other.flatten().numpy(), batch[:, 0].flatten().numpy())[0, 1]) < 0.02  # another seed


def test_step_noise_is_read_in_schedule_order():
    sigmas = schedule(5, 4.0)
    noise = StepNoise(SHAPE, [1], sigmas)
    with pytest.raises(AssertionError, match="schedule order"):
        noise(sigmas[1], sigmas[2])


def test_version_1_thread_is_joined_when_the_context_ends_early():
    sigmas = schedule(200, 4.0)
    before = {t.ident for t in threading.enumerate()}
    with pytest.raises(RuntimeError, match="simulated"):
        with make_noise(1, (64, 216), [1, 2], sigmas) as noise:
            noise(sigmas[0], sigmas[1])
            raise RuntimeError("simulated failure mid-sampling")
    assert isinstance(noise, BrownianNoise) and not noise._thread.is_alive()
    assert {t.ident for t in threading.enumerate() if t.name == "sao-brownian-noise"} <= before


def test_version_1_still_draws_its_old_normals():
    """Brownian increments over each step, normalised: standard normal, the same with or without the context."""
    sigmas = schedule(30, 4.0)
    z = draw_all(make_noise(1, SHAPE, [3], sigmas)).double().flatten().numpy()
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03


def test_an_unknown_noise_version_is_refused():
    from engine.errors import UsageError
    from engine.neural.editor import NeuralSettings

    with pytest.raises(ValueError, match="unknown noise version 3"):
        make_noise(3, SHAPE, [1], schedule(5, 4.0))
    with pytest.raises(UsageError, match="noise version 3"):
        NeuralSettings(noise=3).check()
