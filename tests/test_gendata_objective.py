"""The CLAP objective of the model pipelines, on constructed cases with known answers.

CLAP is a tiny random ClapModel built from config (test_eval_metrics.tiny_clap),
embedding real freedesktop recordings: its similarities mean nothing, but the
objective's structure (what is 0, what is a cosine, what flips sign) does not
depend on the weights.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import real_sound
from models_helpers import one_thread  # noqa: F401  (fixture)
from test_eval_metrics import tiny_clap

from datagen.clap_objective import direction, score

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def clap(tmp_path_factory):
    from engine.metrics.embeddings import ClapEmbedder

    return ClapEmbedder.load(str(tiny_clap(tmp_path_factory.mktemp("clap"))))


@pytest.fixture(scope="module")
def phone_and_chime():
    """1 s of a phone ringing, and the same with a chime mixed in (real recordings, 44.1 kHz stereo)."""
    phone, sr = real_sound("phone-incoming-call")
    chime, sr2 = real_sound("complete")
    assert sr == sr2 == 44100
    phone = phone[:, :sr]
    return phone, (phone + 0.5 * chime[:, :sr]).astype(np.float32), sr


def test_identical_clips_have_no_mel_distance_and_no_direction(clap, phone_and_chime):
    phone, _, sr = phone_and_chime
    s = score(clap, phone, phone.copy(), sr, "a phone call", "a phone call the bell sound")
    assert s.mel == 0.0
    assert s.direction == 0.0  # no audio change has no direction
    assert s.clap_in_out == pytest.approx(1.0, abs=1e-9)
    assert -1.0 <= s.clap_out <= 1.0 and -1.0 <= s.clap_in <= 1.0


def test_the_mel_term_grows_with_the_change_and_lowers_the_objective(clap, phone_and_chime):
    phone, _, sr = phone_and_chime
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(phone.shape).astype(np.float32)
    mels = [score(clap, phone, phone + a * noise, sr, "a phone call", "a phone call").mel for a in (0.001, 0.01, 0.1)]
    assert 0 < mels[0] < mels[1] < mels[2], mels
    # Same captions: the direction term is 0, so only CLAP(out, caption), CLAP(in, out) and mel move.
    quiet, loud = (score(clap, phone, phone + a * noise, sr, "a phone call", "a phone call") for a in (0.001, 0.1))
    assert quiet.direction == loud.direction == 0.0
    assert quiet.objective > loud.objective


def test_the_direction_changes_sign_when_the_captions_are_swapped(clap, phone_and_chime):
    phone, both, sr = phone_and_chime
    forward = score(clap, phone, both, sr, "a phone call", "a phone call the bell sound")
    swapped = score(clap, phone, both, sr, "a phone call the bell sound", "a phone call")
    assert abs(forward.direction) > 1e-3
    assert swapped.direction == pytest.approx(-forward.direction, abs=1e-9)
    # Swapping the clips as well restores it: the edit read backwards is the same change.
    assert score(clap, both, phone, sr, "a phone call the bell sound", "a phone call").direction == pytest.approx(forward.direction, abs=1e-9)
    # The mel term and CLAP(in, out) do not depend on the captions.
    assert swapped.mel == forward.mel and swapped.clap_in_out == forward.clap_in_out


def test_direction_is_the_cosine_of_the_two_changes():
    rng = np.random.default_rng(1)
    a, t, change = rng.standard_normal((3, 16))
    other = rng.standard_normal(16)
    orthogonal = other - other @ change / (change @ change) * change
    assert direction(a, a + change, t, t + 2 * change) == pytest.approx(1.0)
    assert direction(a, a - change, t, t + change) == pytest.approx(-1.0)
    assert direction(a, a + orthogonal, t, t + change) == pytest.approx(0.0, abs=1e-12)
    assert direction(a, a, t, t + change) == 0.0 and direction(a, a + change, t, t) == 0.0
