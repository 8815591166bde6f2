"""The twelve manual tasks, measured on synthetic tones and real recordings."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SR, noise, real_sound, tone

from datagen.tasks import MAX_OUTPUT_S, TASKS, Settings, Source
from engine.measure import band_energy_db, correlation, dominant_hz, rms_db

SETTINGS = Settings(SR)


def src(samples: np.ndarray, name: str = "clip.wav", caption: str = "A dog barks twice in a quiet yard") -> Source:
    return Source(name, caption, samples)


def make(task: str, sources: list[Source], seed: int, settings: Settings = SETTINGS):
    return TASKS[task].make(sources, settings, np.random.default_rng(seed))


def real(name: str) -> np.ndarray:
    x, sr = real_sound(name)
    assert sr == SR
    return x


def test_the_twelve_tasks_take_the_papers_inputs():
    inputs = {name: t.inputs for name, t in TASKS.items()}
    assert inputs == {"ADD": 2, "REPLACE": 3, "DROP": 2, "SWAP": 2, "LOOP": 1, "PITCH": 1, "SPEED": 1, "LOW_PASS": 1,
                      "HIGH_PASS": 1, "INPAINT": 1, "SUPER_RES": 1, "DENOISE": 1}


def test_pitch_moves_f0_by_the_stated_semitones():
    x = tone(440.0, 1.5)
    seen = set()
    for seed in range(6):
        e = make("PITCH", [src(x)], seed)
        n = e.params["semitones"]
        seen.add(n)
        assert n != 0 and -12 <= n <= 12 and n == int(n)
        ratio = dominant_hz(e.output[:, 4096:-4096], SR) / dominant_hz(e.input, SR)
        assert ratio == pytest.approx(2 ** (n / 12), rel=0.01), n
        assert e.output.shape == e.input.shape
    assert len(seen) >= 4  # the draws spread over the range


def test_speed_changes_duration_by_the_ratio_and_keeps_the_pitch():
    x = tone(660.0, 2.0)
    for seed in range(4):
        e = make("SPEED", [src(x)], seed)
        r = e.params["ratio"]
        assert 1 / 3 <= r <= 3 and abs(r - 1) >= 0.05 and round(r, 2) == r
        assert e.output.shape[1] == round(e.input.shape[1] / r)
        core = e.output[:, e.output.shape[1] // 4 : -e.output.shape[1] // 4]
        assert dominant_hz(core, SR) == pytest.approx(660.0, rel=0.01)


def test_speed_and_loop_results_stay_within_47_seconds():
    sr = 8000  # cheap: the limit is about duration, not rate
    x = tone(300.0, 30.0, sr=sr, channels=1)
    cropped = 0
    for seed in range(12):
        e = make("SPEED", [src(x)], seed, Settings(sr))
        assert e.output.shape[1] <= MAX_OUTPUT_S * sr + 1
        cropped += e.input.shape[1] < x.shape[1]
        loop = make("LOOP", [src(x)], seed, Settings(sr))
        assert loop.output.shape[1] <= MAX_OUTPUT_S * sr
    assert cropped  # some slow-downs had to cut the input


def test_loop_duration_is_an_exact_multiple_of_copies():
    x = real("complete")
    for seed in range(3):
        e = make("LOOP", [src(x)], seed)
        count, n = e.params["count"], e.input.shape[1]
        assert 2 <= count <= 8
        assert e.output.shape[1] == count * n
        for k in range(count):
            assert np.array_equal(e.output[:, k * n : (k + 1) * n], e.input)


def test_low_pass_removes_the_highs_and_keeps_the_lows():
    x = noise(2.0)
    e = make("LOW_PASS", [src(x)], 0)
    assert e.params["cutoff_hz"] == 8000
    assert band_energy_db(e.input, SR, 12000, 20000) - band_energy_db(e.output, SR, 12000, 20000) > 20
    assert abs(band_energy_db(e.input, SR, 100, 4000) - band_energy_db(e.output, SR, 100, 4000)) < 1


def test_high_pass_removes_the_lows_and_keeps_the_highs():
    x = noise(2.0)
    e = make("HIGH_PASS", [src(x)], 0)
    assert e.params["cutoff_hz"] == 1000
    assert band_energy_db(e.input, SR, 20, 400) - band_energy_db(e.output, SR, 20, 400) > 20
    assert abs(band_energy_db(e.input, SR, 3000, 15000) - band_energy_db(e.output, SR, 3000, 15000)) < 1


def test_inpaint_input_is_silent_exactly_where_stated():
    x = real("phone-incoming-call")
    shares = []
    for seed in range(8):
        e = make("INPAINT", [src(x)], seed)
        a, b = round(e.params["start_s"] * SR), round(e.params["end_s"] * SR)
        assert np.all(e.input[:, a:b] == 0.0)
        assert np.array_equal(e.input[:, :a], x[:, :a]) and np.array_equal(e.input[:, b:], x[:, b:])
        assert np.any(x[:, a:b] != 0)  # something real was blanked
        assert np.array_equal(e.output, x)
        shares.append((b - a) / x.shape[1])
    assert 0.05 <= min(shares) and max(shares) <= 0.95 and max(shares) - min(shares) > 0.2


def test_super_res_input_has_no_energy_above_its_new_nyquist():
    from scipy.signal import welch

    x = noise(2.0)
    e = make("SUPER_RES", [src(x)], 0)
    nyquist = e.params["low_rate_hz"] / 2
    assert nyquist == SR / 8
    f, kept = welch(e.input, SR, nperseg=8192)
    _, original = welch(x, SR, nperseg=8192)
    change_db = 10 * np.log10(kept.mean(axis=0) / original.mean(axis=0))
    # Above the resampler's transition band (20 % past the new Nyquist) the input is more than 50 dB down...
    assert change_db[f > 1.2 * nyquist].max() < -50
    # ...and below it the clip is untouched.
    assert np.abs(change_db[(f > 50) & (f < 0.8 * nyquist)]).max() < 0.5
    assert np.array_equal(e.output, x) and e.input.shape == x.shape


@pytest.mark.parametrize("std", [0.01, 0.1])
def test_denoise_adds_gaussian_noise_of_the_given_deviation(std):
    x = real("complete")
    e = make("DENOISE", [src(x)], 0, Settings(SR, noise_std=std))
    added = (e.input - e.output).ravel()
    assert np.array_equal(e.output, x)
    assert added.std() == pytest.approx(std, rel=0.03)
    assert abs(added.mean()) < std / 20
    assert abs(correlation(added, x)) < 0.02
    kurtosis = np.mean((added / added.std()) ** 4)
    assert kurtosis == pytest.approx(3.0, abs=0.15)  # Gaussian


def test_drop_output_equals_its_base_and_the_difference_is_the_target():
    base, target = real("phone-incoming-call"), real("complete")
    e = make("DROP", [src(base, "base.wav"), src(target, "target.wav", "A bell rings")], 0)
    assert np.array_equal(e.output, base)
    a, n = round(e.params["at_s"] * SR), round(e.params["length_s"] * SR)
    diff = e.input - e.output
    assert np.all(diff[:, :a] == 0) and np.all(diff[:, a + n :] == 0)
    assert correlation(diff[:, a : a + n], target[:, :n]) > 0.999
    assert rms_db(diff[:, a : a + n]) - rms_db(base) == pytest.approx(e.params["db"], abs=0.1)


def test_replace_swaps_the_target_for_the_replacement_in_place():
    base, target, other = real("phone-incoming-call"), real("complete"), real("trash-empty")
    e = make("REPLACE", [src(base, "b.wav"), src(target, "t.wav", "A bell rings"), src(other, "r.wav", "Paper crumples")], 1)
    a, n = round(e.params["at_s"] * SR), round(e.params["length_s"] * SR)
    gone, came = e.input - base, e.output - base
    assert correlation(gone[:, a : a + n], target[:, :n]) > 0.999
    assert correlation(came[:, a : a + n], other[:, :n]) > 0.999
    assert np.all(came[:, :a] == 0) and np.all(came[:, a + n :] == 0)
    assert rms_db(came[:, a : a + n]) == pytest.approx(rms_db(gone[:, a : a + n]), abs=0.1)


def test_add_places_the_clip_where_the_position_says():
    base, added = real("phone-incoming-call"), real("complete")
    positions = {}
    for seed in range(12):
        e = make("ADD", [src(base, "b.wav"), src(added, "a.wav", "A bell rings")], seed)
        assert np.array_equal(e.input, base) and e.output.shape == base.shape
        a, n = round(e.params["at_s"] * SR), round(e.params["length_s"] * SR)
        diff = e.output - e.input
        nonzero = np.flatnonzero(np.any(diff != 0, axis=0))
        assert a <= nonzero[0] and nonzero[-1] < a + n
        assert correlation(diff[:, a : a + n], added[:, :n]) > 0.999
        positions[e.params["position"]] = (a, n)
    frames = base.shape[1]
    assert {"start", "middle", "end"} <= set(positions)
    assert positions["start"][0] == 0
    assert sum(positions["end"]) == frames
    assert abs(positions["middle"][0] + positions["middle"][1] / 2 - frames / 2) <= 1


def test_swap_halves_trade_places_and_fit_in_47_seconds():
    a, b = real("complete"), real("trash-empty")
    e = make("SWAP", [src(a, "a.wav"), src(b, "b.wav", "Paper crumples")], 0)
    assert np.array_equal(e.input, np.concatenate([a, b], axis=1))
    assert np.array_equal(e.output[:, : b.shape[1]], b) and np.array_equal(e.output[:, b.shape[1] :], a)
    sr = 8000
    long_a, long_b = tone(300.0, 30.0, sr=sr, channels=1), tone(500.0, 30.0, sr=sr, channels=1)
    e = make("SWAP", [src(long_a), src(long_b)], 0, Settings(sr))
    assert e.input.shape[1] <= MAX_OUTPUT_S * sr and e.output.shape == e.input.shape
    half = e.params["first_s"] * sr
    assert dominant_hz(e.output[:, : int(half)], sr) == pytest.approx(500.0, rel=0.01)


def test_captions_describe_input_and_output():
    base, target = real("phone-incoming-call"), real("complete")
    e = make("DROP", [src(base, "b.wav", "A phone rings."), src(target, "t.wav", "A bell rings.")], 0)
    assert e.output_caption == "A phone rings"
    assert e.input_caption == "A phone rings, with a bell ringing"
    e = make("ADD", [src(base, "b.wav", "A phone rings."), src(target, "t.wav", "A bell rings.")], 0)
    assert e.input_caption == "A phone rings" and "a bell ringing" in e.output_caption
