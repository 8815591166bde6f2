"""Numbers, times and direction words as people write them, and the refusals of what cannot be done
(issue 15, points 3 and 4), at plan level: each form with the exact parameters and region it gives.
(tests/test_planner_refusals.py renders the same cases through `sao edit` and measures the audio.)
"""

from __future__ import annotations

import math

import pytest

from engine.errors import ExitCode, NotUnderstood, Refused
from engine.planner import make_plan
from engine.planner.limits import RANGES, registry_ranges
from engine.planner.numbers import find_quantities, spell_out


def steps(text: str) -> list[tuple]:
    """(op, params, region) of each step, regions as (start, end) tuples."""
    return [(s.op, s.params, (s.region.start_s, s.region.end_s) if s.region else None) for s in make_plan(text).steps]


def only(text: str) -> tuple:
    (step,) = steps(text)
    return step


# --- times in every form ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    # mm:ss, minutes past 99, h:mm:ss, a semicolon for a colon, a zero too many
    ("mute from 1:30 to 2:45", ("mute", {}, (90.0, 165.0))),
    ("mute 105:40 to 107:40", ("mute", {}, (6340.0, 6460.0))),
    ("make 1:02:03 to 1:02:10 quieter", ("gain", {"db": -6.0}, (3723.0, 3730.0))),
    ("mute 1;15 to 2;00", ("mute", {}, (75.0, 120.0))),
    ("cut out 00:06 to 00:009", ("trim", {"start_s": 6.0, "end_s": 9.0}, None)),
    ("remove the part from timestamp 1:00 to timestamp 1:10", ("trim", {"start_s": 60.0, "end_s": 70.0}, None)),
    # units glued to the number, ranges with a dash, spelled-out lengths
    ("cut the first 45min", ("trim", {"start_s": 0.0, "end_s": 2700.0}, None)),
    ("make 5.5-7.5 seconds quieter", ("gain", {"db": -6.0}, (5.5, 7.5))),
    ("keep only the last five minutes", ("keep", {"start_s": -300.0, "end_s": None}, None)),
    ("make the first 2 hours quieter", ("gain", {"db": -6.0}, (0.0, 7200.0))),
    # the ordinal "second" used as a time stamp
    ("mute from second 20 to second 28", ("mute", {}, (20.0, 28.0))),
    ("keep only second 20 to second 28", ("keep", {"start_s": 20.0, "end_s": 28.0}, None)),
])
def test_times_in_every_form(text, expected):
    assert only(text) == expected


def test_a_decade_is_not_a_time():
    assert find_quantities(spell_out("like a radio from the 1940s")) == []
    assert find_quantities(spell_out("from the '40s")) == find_quantities(spell_out("like the 80s")) == []
    plan = steps("make it sound like a radio from the 1940s")
    assert {op for op, _, _ in plan} == {"band_pass", "distortion"} and all(region is None for _, _, region in plan)
    # ... while a time with its unit stays one
    assert only("make everything after the 30s mark quieter") == ("gain", {"db": -6.0}, (30.0, None))
    assert only("trim the first 40s") == ("trim", {"start_s": 0.0, "end_s": 40.0}, None)


# --- rates, ratios and percentages --------------------------------------------------------------------

@pytest.mark.parametrize("text, ratio", [
    ("speed it up x1.25", 1.25),
    ("speed it up by about 10 %", 1.1),
    ("make it 800 % slower", 1 / 8),  # 8 times as long: a speed cannot drop by more than 100 %
    ("make it 50% slower", 0.5),
    ("change the tempo from 100 to 120 bpm", 1.2),  # the new rate over the old, not "120 %"
    ("from 100 bpm to 120 bpm", 1.2),
    ("convert it from 24 fps to 25 fps", 25 / 24),
    ("change the frame rate from 25 to 24 fps", 24 / 25),
    ("stretch it to 150 % of its length", 1 / 1.5),  # a length: longer, the inverse of a tempo
    ("stretch it to 150%", 1 / 1.5),
    ("shorten it to 80% of its length", 1.25),
    ("make it 20% shorter", 1.25),
])
def test_speed_numbers(text, ratio):
    assert only(text) == ("time_stretch", {"ratio": pytest.approx(ratio, abs=1e-4)}, None)


@pytest.mark.parametrize("text, semitones", [
    ("retune the song from A=435 Hz to A=440 Hz", 12 * math.log2(440 / 435)),
    ("retune it from 435 to 440 Hz", 12 * math.log2(440 / 435)),
    ("convert the tuning from A4 = 440 to A4 = 432", 12 * math.log2(432 / 440)),
    ("transpose it from F to D#", -2),  # the nearer way round
    ("transpose it up from F to D#", 10),  # unless a direction is said
    ("transpose it down from F to G", -10),
    ("change the key from Eb major to G major", 4),
    ("F to D#", -2),
    ("pitch it up by roughly 2 semitones", 2),
])
def test_pitch_numbers(text, semitones):
    assert only(text) == ("pitch_shift", {"semitones": pytest.approx(semitones, abs=1e-4)}, None)


def test_letters_are_notes_only_where_the_words_are_about_pitch():
    assert spell_out("fade from a to b") == "fade from a to b"
    assert spell_out("transpose from a to c") == "transpose 3 semitones"
    assert spell_out("change it from c major to c minor") == "change it from c major to c minor"  # a mode, not a transposition


@pytest.mark.parametrize("text, expected", [
    ("make it louder by about 3 dB", ("louder", {"db": 3.0}, None)),
    ("make it louder by ~3 dB", ("louder", {"db": 3.0}, None)),
    ("pan 30 left", ("pan", {"position": -0.3}, None)),  # "L30" of 100, as a mixer shows it
])
def test_approximate_and_bare_numbers(text, expected):
    assert only(text) == expected


@pytest.mark.parametrize("text, low, high", [
    ("boost between 2 and 5 kHz by 3 dB", 2000, 5000), ("boost 2-5 kHz by 3 dB", 2000, 5000),
    ("cut 100 to 200 hz by 3 dB", 100, 200), ("cut 300 Hz to 3 kHz by 2 dB", 300, 3000),
])
def test_a_band_of_frequencies_is_one_bell_over_it(text, low, high):
    """Not a bell at one edge: centred on the band (geometric mean), as wide as it (q = centre / width)."""
    op, params, region = only(text)
    centre = math.sqrt(low * high)
    assert (op, region) == ("peak_eq", None)
    assert params["freq_hz"] == pytest.approx(centre, abs=1e-3) and params["q"] == pytest.approx(centre / (high - low), abs=1e-3)


# --- direction words ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("duck it by 6 dB", ("gain", {"db": -6.0}, None)),
    ("duck the music by 6 dB", ("gain", {"db": -6.0}, None)),
    ("cut the highs by 3 dB", ("high_shelf", {"freq_hz": 4000.0, "gain_db": -3.0}, None)),
    ("cut the low end below 80", ("high_pass", {"cutoff_hz": 80.0}, None)),
    ("cut the highs above 8", ("low_pass", {"cutoff_hz": 8000.0}, None)),
    ("boost the bass below 100", ("low_shelf", {"freq_hz": 100.0, "gain_db": 4.0}, None)),
    ("tighten up the low end", ("low_shelf", {"freq_hz": 150.0, "gain_db": -5.0}, None)),
    ("tighten the low end a bit", ("low_shelf", {"freq_hz": 150.0, "gain_db": -2.0}, None)),
    ("tame the highs", ("high_shelf", {"freq_hz": 4000.0, "gain_db": -4.0}, None)),
    ("scoop the mids", ("peak_eq", {"freq_hz": 1000.0, "gain_db": -4.0, "q": 1.0}, None)),
    ("lift the highs", ("high_shelf", {"freq_hz": 4000.0, "gain_db": 4.0}, None)),
    ("lift it by 3 dB", ("louder", {"db": 3.0}, None)),
])
def test_direction_words(text, expected):
    assert only(text) == expected


def test_a_duck_is_still_an_animal():
    assert make_plan("add a duck quacking").needs_model and make_plan("remove the duck").needs_model


def test_them_points_back_at_the_previous_region():
    assert steps("fade out the last 2 seconds and make them brighter") == [
        ("fade", {"out_s": 2.0}, None), ("high_shelf", {"freq_hz": 4000.0, "gain_db": 4.0}, (-2.0, None))]
    assert steps("mute from 1 to 2 s. Then make that part louder")[1] == ("louder", {"db": 6.0}, (1.0, 2.0))
    assert steps("fade out the last 2 seconds and make it brighter")[1][2] is None  # "it" is the file


# --- refusals: what cannot be done is said, not done differently -----------------------------------------

@pytest.mark.parametrize("text, words", [
    ("make it 900 dB louder", ["louder", "900", "0 to 48 dB"]),
    ("pitch it up 400 semitones", ["pitch_shift", "400", "-48 to 48 semitones"]),
    ("pitch it up 400", ["pitch_shift", "400", "-48 to 48 semitones"]),
    ("loop it 100000 times", ["loop", "100000", "1 to 1000"]),
    ("low pass at 0 Hz", ["low_pass", "0 Hz", "10 to 40000 Hz"]),
    ("high pass at 96 kHz", ["high_pass", "96000 Hz", "10 to 40000 Hz"]),
    ("boost the bass by 40 dB", ["low_shelf", "40 dB", "-30 to 30 dB"]),
    ("make it 20 times slower", ["time_stretch", "0.05", "0.1 to 10"]),
    ("add 2 hours of silence", ["pad", "7200 s", "0 to 3600 s"]),
    ("resample to 500 Hz", ["resample", "500 Hz", "1000 to 384000 Hz"]),
    ("compress it with a ratio of 0.5:1", ["compressor", "0.5", "1 to 100"]),
    ("add 150% reverb", ["reverb", "1.5", "0 to 1"]),
])
def test_a_value_out_of_range_is_refused_naming_the_range(text, words):
    with pytest.raises(Refused) as e:
        make_plan(text)
    assert e.value.code == ExitCode.NOT_UNDERSTOOD == 5
    assert all(w in e.value.message for w in words), e.value.message


@pytest.mark.parametrize("text, words", [
    ("make it quieter between 4 and 2 seconds", ["between 4 and 2 seconds", "ends before it starts", "from 2 s to 4 s"]),
    ("mute 3-1s", ["ends before it starts"]),
    ("make it quieter from 4 s to 4 s", ["is empty"]),
    ("make the last -2 seconds quieter", ["the last -2 seconds", "no length"]),
    ("fade out the last 0 seconds", ["the last 0 seconds", "no length"]),
    ("make it 100% shorter", ["leaves no length"]),
])
def test_an_impossible_region_or_length_is_refused(text, words):
    with pytest.raises(Refused) as e:
        make_plan(text)
    assert all(w in e.value.message for w in words), e.value.message


def test_two_lengths_are_not_a_reversed_region():
    """"from 10 to 5 seconds" is a length before and after: read as such, or not read, never a region refused as reversed."""
    try:
        assert not any(s.region for s in make_plan("shorten it from 10 to 5 seconds").steps)
    except NotUnderstood as e:
        assert type(e) is NotUnderstood and "shorten" in e.message


def test_a_refusal_never_reaches_the_unread_hook():
    asked = []
    with pytest.raises(Refused):
        make_plan("make it 900 dB louder", unread=lambda text: asked.append(text))
    with pytest.raises(Refused):
        make_plan("make it quieter between 4 and 2 seconds", unread=lambda text: asked.append(text))
    assert asked == []


def test_the_planner_s_ranges_are_the_registry_s():
    """op_ranges.py is a copy the planner can read without numpy: `python3 -m engine.planner.limits` rewrites it."""
    assert RANGES == registry_ranges()
