"""The metrics behind `sao eval`: measured on real recordings and on cases with known answers.

FD, KL and IS run through tiny random-initialised CNN14 and CLAP models built
from config, embedding real freedesktop recordings; the helpers that build
those models are shared with test_eval_cli.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import real_sound

from engine.metrics import (
    lsd,
    mr_mel_distance,
    mr_stft_distance,
    si_sdr,
    si_snr,
    stft_distance,
)
from engine.metrics.classifier import inception_score, kl_divergence
from engine.metrics.frechet import frechet_distance
from engine.metrics.spectral import hz_to_mel, mel_filterbank, mel_to_hz

NOISE_LEVELS = (0.0, 0.003, 0.01, 0.03, 0.1)
CLIPS = ["alarm-clock-elapsed", "audio-test-signal", "bell", "camera-shutter", "complete", "dialog-error",
         "message-new-instant", "phone-incoming-call", "service-login", "service-logout", "suspend-error", "trash-empty"]


def noisy(x: np.ndarray, level: float, seed: int = 0) -> np.ndarray:
    return (x + level * np.random.default_rng(seed).standard_normal(x.shape)).astype(np.float32)


def snr_noise(x: np.ndarray, snr_db: float, seed: int = 1) -> np.ndarray:
    """White noise at `snr_db` below the signal's power."""
    n = np.random.default_rng(seed).standard_normal(x.shape)
    return (n * np.sqrt(np.mean(x.astype(np.float64) ** 2) / np.mean(n**2) / 10 ** (snr_db / 10))).astype(np.float32)


# --- tiny random models, built from config (shared with test_eval_cli.py) ---

def tiny_panns(folder: Path) -> Path:
    """A CNN14 with narrow layers and random weights, saved in the released checkpoints' format.

    It uses the 16 kHz checkpoint's front end (512-point FFT), a quarter of the 32 kHz one's cost.
    """
    import torch

    from engine.metrics.cnn14 import Cnn14, Cnn14Config

    torch.manual_seed(0)
    path = folder / "tiny_cnn14.pth"
    torch.save(Cnn14(Cnn14Config(16000, 512, 160, fmax=8000.0, widths=(4, 8, 16, 32, 64, 128))).checkpoint(), path)
    return path


CAPTION_WORDS = "a an the bell rings alarm clock phone call camera shutter service login logout dialog error sound".split()


def tiny_clap(folder: Path) -> Path:
    """A small random ClapModel with its feature extractor and a word-level tokenizer, in save_pretrained layout."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        PreTrainedTokenizerFast,
    )

    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    vocab = {w: i for i, w in enumerate(specials + CAPTION_WORDS)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>").save_pretrained(folder)
    config = ClapConfig(
        text_config=dict(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                         max_position_embeddings=40, pad_token_id=1),
        audio_config=dict(depths=[1, 1], num_attention_heads=[2, 2], hidden_size=64, patch_embeds_hidden_size=32, num_hidden_layers=2,
                          patch_size=16, patch_stride=[16, 16]),
        projection_dim=16)
    torch.manual_seed(0)
    ClapModel(config).save_pretrained(folder)
    ClapFeatureExtractor().save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def clips():
    """Twelve real recordings, at most 1 s each, with their sample rates."""
    out = []
    for name in CLIPS:
        x, sr = real_sound(name)
        out.append((x[:, :sr], sr))
    return out


# --- signal metrics ---

def test_si_sdr_is_large_for_identical_signals_and_falls_with_noise():
    x, _ = real_sound("phone-incoming-call")
    assert si_sdr(x, x) > 100 and si_snr(x, x) > 100
    values = [si_sdr(x, noisy(x, a)) for a in NOISE_LEVELS[1:]]
    assert all(a > b for a, b in zip(values, values[1:])), values


def test_si_sdr_matches_the_snr_of_added_noise_and_ignores_scale():
    x, _ = real_sound("alarm-clock-elapsed")
    est = x + snr_noise(x, 20.0)
    assert si_sdr(x, est) == pytest.approx(20.0, abs=0.3)
    assert si_sdr(x, 0.25 * est) == pytest.approx(si_sdr(x, est), abs=1e-6)  # scale-invariant
    assert si_snr(x, est + 0.1) == pytest.approx(si_snr(x, est), abs=0.01)  # SI-SNR ignores a DC offset
    assert si_sdr(x, est + 0.1) < si_sdr(x, est) - 3  # SI-SDR does not


@pytest.mark.parametrize("name", ["bell", "service-login"])
def test_lsd_grows_monotonically_with_added_noise(name):
    x, _ = real_sound(name)
    values = [lsd(x, noisy(x, a)) for a in NOISE_LEVELS]
    assert values[0] < 1e-3
    assert all(a < b for a, b in zip(values, values[1:])), values


def test_stft_and_mel_distances_are_zero_for_identical_signals_and_grow_with_noise():
    x, sr = real_sound("complete")
    for fn in (stft_distance, mr_stft_distance, lambda a, b: mr_mel_distance(a, b, sr)):
        values = [fn(x, noisy(x, a)) for a in NOISE_LEVELS]
        assert values[0] < 1e-6
        assert all(a < b for a, b in zip(values, values[1:])), values


def test_a_wrong_length_or_channel_count_is_compared_not_refused():
    x, _ = real_sound("phone-incoming-call")  # stereo
    longer = np.concatenate([x, x[:, :4410]], axis=1)
    assert si_sdr(x, longer) < si_sdr(x, x) - 50  # the extra tail counts as error
    mono = x.mean(axis=0)
    assert si_sdr(x, mono) > 100  # a stereo reference against its own mono mix: both compared as mono


def test_mel_filterbank_follows_the_slaney_scale_and_matches_transformers():
    assert hz_to_mel(1000.0) == pytest.approx(15.0)
    hz = np.array([50.0, 440.0, 1000.0, 3000.0, 14000.0])
    assert np.allclose(mel_to_hz(hz_to_mel(hz)), hz)
    fb = mel_filterbank(32000, 1024, 64, 50.0, 14000.0)
    peaks = np.argmax(fb, axis=1) * 32000 / 1024
    assert np.all(np.diff(peaks) >= 0) and peaks[0] < 150 and 13000 < peaks[-1] < 14000
    audio_utils = pytest.importorskip("transformers.audio_utils")
    theirs = audio_utils.mel_filter_bank(num_frequency_bins=513, num_mel_filters=64, min_frequency=50.0, max_frequency=14000.0,
                                         sampling_rate=32000, norm="slaney", mel_scale="slaney")
    assert np.allclose(fb.T, theirs, atol=1e-7)


# --- set metrics on known cases ---

def test_frechet_distance_of_gaussians_matches_the_closed_form():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4000, 8))
    b = rng.standard_normal((4000, 8)) * 2.0 + 1.0  # N(1, 4I): FD = 8·1 + 8·(1 + 4 − 2·2) = 16
    assert frechet_distance(a, a) < 1e-9
    assert frechet_distance(a, b) == pytest.approx(16.0, rel=0.05)


def test_inception_score_counts_confidently_distinct_classes():
    logits = np.full((5, 10), -20.0)
    logits[np.arange(5), np.arange(5)] = 20.0  # five clips, each surely a different class
    assert inception_score(logits, splits=1)[0] == pytest.approx(5.0, rel=1e-3)
    assert inception_score(np.tile(logits[:1], (5, 1)), splits=1)[0] == pytest.approx(1.0)  # all alike


def test_kl_is_zero_for_identical_logits_and_positive_otherwise():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((6, 527))
    same = kl_divergence(logits, logits)
    assert abs(same["kl_softmax"]) < 1e-9 and abs(same["kl_sigmoid"]) < 1e-9
    other = kl_divergence(logits, logits + rng.standard_normal(logits.shape))
    assert other["kl_softmax"] > 0.1 and other["kl_sigmoid"] > 0.1


# --- the model-based metrics through tiny CNN14 and CLAP on real audio ---

@pytest.fixture(scope="module")
def panns(tmp_path_factory):
    from engine.metrics.embeddings import PannsEmbedder

    return PannsEmbedder.load(tiny_panns(tmp_path_factory.mktemp("panns")))


NOISE_SETS = (0.003, 0.03, 0.3)


@pytest.fixture(scope="module")
def panns_sets(panns, clips):
    """CNN14 outputs for eight real clips, clean and at each level of NOISE_SETS."""
    clean = [panns(x, sr) for x, sr in clips[:8]]
    noisy_sets = [[panns(noisy(x, a, seed=i), sr) for i, (x, sr) in enumerate(clips[:8])] for a in NOISE_SETS]
    return clean, noisy_sets


def test_cnn14_fd_is_zero_for_identical_sets_and_grows_with_noise(panns_sets):
    clean, noisy_sets = panns_sets
    ref = np.stack([o.embedding for o in clean])
    assert frechet_distance(ref, ref) < 1e-6 * np.trace(np.cov(ref, rowvar=False))
    fds = [frechet_distance(ref, np.stack([o.embedding for o in outs])) for outs in noisy_sets]
    assert 0 < fds[0] < fds[1] < fds[2], fds


def test_cnn14_kl_and_is_on_real_audio(panns_sets):
    clean, noisy_sets = panns_sets
    ref = np.stack([o.logits for o in clean])
    same = kl_divergence(ref, ref)
    assert abs(same["kl_softmax"]) < 1e-9 and abs(same["kl_sigmoid"]) < 1e-9
    kls = [kl_divergence(ref, np.stack([o.logits for o in outs])) for outs in noisy_sets]
    assert kls[0]["kl_softmax"] < kls[2]["kl_softmax"] and kls[0]["kl_sigmoid"] < kls[2]["kl_sigmoid"], kls
    mean, std = inception_score(ref)
    assert 1.0 <= mean <= 527 and std >= 0


def test_cnn14_checkpoint_roundtrip_and_input_rate(panns, tmp_path):
    """The saved checkpoint reloads to the same outputs, and input at another rate is resampled, not misread."""
    from engine.errors import UsageError
    from engine.metrics.embeddings import PannsEmbedder

    x, sr = real_sound("service-login")  # 22.05 kHz; the tiny model runs at 16 kHz
    again = PannsEmbedder.load(tiny_panns(tmp_path))
    assert np.allclose(again(x, sr).embedding, panns(x, sr).embedding, atol=1e-5)
    from scipy.signal import resample_poly

    assert panns.sample_rate == 16000
    at_16k = resample_poly(x, 320, 441, axis=1)  # 22.05 kHz -> 16 kHz
    assert np.allclose(panns(at_16k, 16000).embedding, panns(x, sr).embedding, rtol=1e-3, atol=1e-3)
    assert not np.allclose(panns(x, 16000).embedding, panns(x, sr).embedding, rtol=1e-2)  # misread rate: other output
    (tmp_path / "not.pth").write_bytes(b"definitely not a checkpoint")
    with pytest.raises(UsageError, match="not a readable torch checkpoint"):
        PannsEmbedder.load(tmp_path / "not.pth")


@pytest.fixture(scope="module")
def clap(tmp_path_factory):
    from engine.metrics.embeddings import ClapEmbedder

    return ClapEmbedder.load(str(tiny_clap(tmp_path_factory.mktemp("clap"))))


def test_clap_fd_grows_with_noise_and_long_clips_embed_deterministically(clap, clips):
    ref = np.stack([clap(x, sr) for x, sr in clips[:5]])
    assert frechet_distance(ref, ref) < 1e-9
    fds = [frechet_distance(ref, np.stack([clap(noisy(x, a, seed=i), sr) for i, (x, sr) in enumerate(clips[:5])])) for a in (0.01, 0.3)]
    assert 0 < fds[0] < fds[1], fds
    x, sr = real_sound("alarm-clock-elapsed")
    long = np.tile(x, (1, 2))  # 12.3 s: two CLAP windows; the unfused model would crop it at random
    assert np.array_equal(clap(long, sr), clap(long, sr))
    assert np.linalg.norm(clap(long, sr)) == pytest.approx(1.0)
    text = clap.text(["a bell rings", "an alarm clock"])
    assert text.shape == (2, ref.shape[1]) and np.allclose(np.linalg.norm(text, axis=1), 1.0)


def test_offline_hub_lookup_fails_fast_with_one_line(monkeypatch):
    import time

    from engine.errors import UsageError
    from engine.metrics.embeddings import ClapEmbedder

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.monotonic()
    with pytest.raises(UsageError) as e:
        ClapEmbedder.load("no-such-org/no-such-clap")
    assert time.monotonic() - start < 10
    assert "\n" not in e.value.message and "--clap" in e.value.message

