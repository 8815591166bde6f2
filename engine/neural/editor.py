"""SAO-Instruct editing: the paper's loop behind `sao edit`, for short, long and region edits.

One neural step, end to end:
 1. The part to edit: the whole file, or for a region step the region plus
    windows.REGION_CONTEXT_S of context either side.
 2. It goes to the model's format (44.1 kHz stereo; mono is doubled) and, when
    longer than the model's window, is cut into overlapping windows of equal
    length. A shorter part is one window of its own length (rounded up to the
    VAE's 2048-sample hop), so a 5 s clip never pays for 47 s of DiT.
 3. Each window: VAE-encode to the input latent; start from it plus
    `strength`-scaled Gaussian noise; DPM-Solver++(3M) SDE from sigma = strength
    down to 0 with classifier-free guidance on the text (sampler.py); decode and
    crop. seconds_total is the window's length.
 4. The windows are joined with crossfades and returned to the input's rate,
    channel count and length. The level is the model's (a removal is meant to
    be quieter); only a region edit gets one gain, measured between the
    original and the regenerated context around the region, so that its seams
    match. `loudness="match"` (`--match-loudness`, and sidecars from before
    this setting) brings the result to the input's loudness instead, unless the
    instruction asks for a level change. Then it is kept under full scale.
 5. A region's edit is crossfaded back in inside the region; every sample
    outside it is the input's.

Determinism: the seed (drawn and recorded when none is given) and each window's
index make that window's starting noise (drawn on the CPU) and its SDE noise
(sampler.StepNoise; version 1 for old sidecars). The same input, instruction,
seed, model, device, precision and batch size give the same samples; other
batch sizes agree within float rounding.

Importing this module is cheap (no torch) so NeuralSettings can be made anywhere;
torch loads with the model.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from ..errors import BadAudio, ExitCode, SaoError, UsageError
from ..plan import EditPlan, Step
from . import windows
from .schedule import NOISE_VERSION, NOISE_VERSIONS

DEVICES = ("auto", "cuda", "mps", "cpu")
PRECISIONS = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
PEAK_LIMIT = 10 ** (-0.1 / 20)  # -0.1 dBFS: edits are scaled down to stay below it
MIN_WINDOW_S = 1.0
LOUDNESS_MODES = ("model", "match")  # keep the model's level (regions: calibrated on context), or match the input's
# With loudness="match": instructions that ask for a level change keep the model's level, all others the input's loudness.
LEVEL_CHANGE = re.compile(
    r"\b(loud\w*|quiet\w*|soft(er|en)|volume|gain|level|amplif\w*|boost\w*|attenuat\w*|normali[sz]\w*|"
    r"fade\w*|mute\w*|silen\w*|turn\s+(it\s+|this\s+)?(up|down)|\d+(\.\d+)?\s*db)\b",
    re.IGNORECASE,
)

Progress = Callable[[int, int], None]  # (diffusion steps done, steps in this edit)


@dataclass
class NeuralSettings:
    """How the model edits: `sao edit --steps --cfg --strength --seed --device --precision`, `sao batch --batch-size`."""

    steps: int = 100
    cfg: float = 5.0
    strength: float = 4.0  # the starting noise level sigma; about 2-6 is useful
    seed: int | None = None  # None: one is drawn (and recorded)
    device: str = "auto"  # auto | cuda | mps | cpu
    precision: str = "fp32"  # fp32 | fp16 | bf16
    batch_size: int = 1  # windows or clips of equal length per model batch
    window_s: float | None = None  # the model window for long audio; None: the model's own (about 47.5 s)
    noise: int = NOISE_VERSION  # the SDE noise (sampler.make_noise); sidecars without one replay with 1
    loudness: str = "model"  # model: keep the model's level (regions: calibrated on their context); match: the input's

    def check(self) -> None:
        """UsageError (exit 2) naming the first bad setting."""
        from .schedule import SIGMA_MAX

        problems = [
            (self.steps >= 1, f"--steps must be at least 1 (got {self.steps})"),
            (self.cfg >= 0, f"--cfg must not be negative (got {self.cfg})"),
            (0 < self.strength <= SIGMA_MAX, f"--strength must be above 0 and at most {SIGMA_MAX:g} (got {self.strength})"),
            (self.seed is None or 0 <= self.seed < 2**63, f"--seed must be between 0 and 2^63 - 1 (got {self.seed})"),
            (self.device in DEVICES, f"--device must be one of {', '.join(DEVICES)} (got {self.device!r})"),
            (self.precision in PRECISIONS, f"--precision must be one of {', '.join(PRECISIONS)} (got {self.precision!r})"),
            (self.batch_size >= 1, f"--batch-size must be at least 1 (got {self.batch_size})"),
            (self.window_s is None or self.window_s >= MIN_WINDOW_S,
             f"--window must be at least {MIN_WINDOW_S:g} s (got {self.window_s})"),
            (self.noise in NOISE_VERSIONS, f"noise version {self.noise!r} is unknown to this sao (it knows "
                                           f"{', '.join(map(str, NOISE_VERSIONS))})"),
            (self.loudness in LOUDNESS_MODES, f"loudness must be one of {', '.join(LOUDNESS_MODES)} (got {self.loudness!r})"),
        ]
        for ok, message in problems:
            if not ok:
                raise UsageError(message)


class DeviceOutOfMemory(SaoError):
    """The device ran out of memory: not a bug, but no other exit code fits (exit 1, with a hint)."""

    code = ExitCode.INTERNAL


def draw_seed() -> int:
    return secrets.randbelow(2**32)


def asks_for_level_change(instruction: str) -> bool:
    return bool(LEVEL_CHANGE.search(instruction))


def resolve_device(name: str) -> str:
    """auto -> cuda, else mps, else cpu; a named device that torch cannot use is a usage error."""
    import torch

    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if name == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if (name == "cuda" and not cuda) or (name == "mps" and not mps):
        raise UsageError(f"--device {name}: this machine has no {name.upper()} device that torch {torch.__version__} can use",
                         hint="Use --device auto (the best there is) or --device cpu.")
    return name


def load_editor(model: str | None, settings: NeuralSettings) -> "SaoInstructEditor":
    """Resolve --model (or SAO_MODEL, or sao-instruct) and load it on the settings' device and precision.

    Errors: NeedsModel (6) when the model is not on this machine; UsageError (2)
    for bad settings, a device torch cannot use, or a model that cannot edit.
    """
    import torch

    from .loader import load_bundle
    from .sources import resolve_model

    settings.check()
    path = resolve_model(model)
    device = resolve_device(settings.device)
    with out_of_memory_hint(device, "loading the model"):
        bundle = load_bundle(path, device, getattr(torch, PRECISIONS[settings.precision]))
    if not bundle.is_instruct:
        raise UsageError(f"{path} is a {bundle.format} (text-to-audio) model; editing needs a sao-instruct model",
                         hint="Run `sao models pull sao-instruct`, or pass --model with a SAO-Instruct folder or checkpoint.")
    return SaoInstructEditor(bundle, replace(settings, device=device))


@contextlib.contextmanager
def out_of_memory_hint(device: str, doing: str):
    """Turn an out-of-memory failure (CUDA, MPS or the host) into a DeviceOutOfMemory with advice."""
    import torch

    try:
        yield
    except (torch.OutOfMemoryError, MemoryError):
        pass
    except RuntimeError as e:
        text = str(e).lower()
        if "out of memory" not in text and "can't allocate memory" not in text:
            raise
    else:
        return
    if device == "cuda":
        torch.cuda.empty_cache()
    raise DeviceOutOfMemory(f"the {device} device ran out of memory {doing}",
                            hint="Use a smaller --batch-size, a shorter --window (e.g. --window 20), "
                                 "--precision bf16, or another --device.")


@dataclass
class _Segment:
    """One window of audio in the model's format, to be edited with `text`."""

    audio: np.ndarray  # (2, frames) float32 at the model's rate
    text: str
    window: int  # its index within its edit: varies the noise from window to window


@dataclass
class _Job:
    """One step on one piece of audio: where it reads, what it sends to the model, how it comes back."""

    samples: np.ndarray
    sample_rate: int
    text: str
    span: tuple[int, int]  # input frames sent to the model
    region: tuple[int, int] | None  # input frames that change (None: the whole file)
    starts: list[int]  # window starts, model-rate frames within the span
    frames: int  # the span's length at the model's rate
    fade: int  # window crossfade, model-rate frames
    segments: list[_Segment]


class SaoInstructEditor:
    """A loaded SAO-Instruct model with its settings (engine.render.NeuralEditor)."""

    def __init__(self, bundle, settings: NeuralSettings, progress: Progress | None = None):
        self.bundle = bundle
        self.settings = settings if settings.seed is not None else replace(settings, seed=draw_seed())
        self.seed: int = self.settings.seed
        self.name: str = bundle.name
        self.sha256: str = bundle.sha256
        self.device: str = str(bundle.device.type)
        self.precision: str = settings.precision
        self.progress = progress

    def with_settings(self, settings: NeuralSettings) -> "SaoInstructEditor":
        """The same loaded model with other steps, cfg, strength, seed or batch size (device and precision stay)."""
        settings.check()
        return SaoInstructEditor(self.bundle, replace(settings, device=self.device, precision=self.precision), self.progress)

    def record(self, plan: EditPlan) -> dict:
        from ..sidecar import step_record

        s = self.settings
        settings = {"steps": s.steps, "cfg": s.cfg, "strength": s.strength, "device": self.device, "precision": self.precision}
        if s.window_s is not None:
            settings["window_s"] = s.window_s
        settings.update(noise=s.noise, loudness=s.loudness)
        return step_record(plan, seed=self.seed, model={"name": self.name, "sha256": self.sha256, "path": str(self.bundle.path)}, settings=settings)

    def edit(self, samples: np.ndarray, sample_rate: int, step: Step) -> np.ndarray:
        return self.edit_batch([(samples, sample_rate, step)])[0]

    def edit_batch(self, items: list[tuple[np.ndarray, int, Step]]) -> list[np.ndarray]:
        """Edit several pieces at once: windows of equal length share model batches of up to batch_size."""
        jobs = [self._prepare(samples, sr, step) for samples, sr, step in items]
        edited = iter(self._run([seg for job in jobs for seg in job.segments]))
        return [self._finish(job, [next(edited) for _ in job.segments]) for job in jobs]

    # ------------------------------------------------------------ audio in and out

    def _prepare(self, samples: np.ndarray, sample_rate: int, step: Step) -> _Job:
        if samples.shape[0] > 2:
            raise BadAudio(f"the neural engine edits mono or stereo audio; this has {samples.shape[0]} channels",
                           hint="Pass --downmix to fold it down to stereo first (ITU-R BS.775).")
        frames = samples.shape[1]
        region = step.region.frames(sample_rate, frames) if step.region is not None else None
        if region is not None and region[1] <= region[0]:
            return _Job(samples, sample_rate, "", (0, 0), region, [], 0, 0, [])  # an empty region: nothing to edit
        span = (0, frames) if region is None else windows.region_span(*region, frames, round(windows.REGION_CONTEXT_S * sample_rate))
        piece = samples[:, span[0] : span[1]]
        audio = resample(np.repeat(piece, 2, axis=0) if piece.shape[0] == 1 else piece, sample_rate, self.bundle.sample_rate)
        window = self._window_frames()
        fade = round(window * windows.OVERLAP_FRACTION)
        starts = windows.window_starts(audio.shape[1], window, fade)
        text = str(step.params.get("instruction") or step.text)
        if len(starts) == 1:
            segments = [_Segment(np.ascontiguousarray(audio), text, 0)]
        else:
            segments = [_Segment(np.ascontiguousarray(audio[:, s : s + window]), text, i) for i, s in enumerate(starts)]
        return _Job(samples, sample_rate, text, span, region, starts, audio.shape[1], fade, segments)

    def _window_frames(self) -> int:
        """The window in model-rate frames: the DiT's full sample_size, or --window when shorter."""
        b = self.bundle
        full = b.config["dit"].get("sample_size", 1024) * b.hop_length
        if self.settings.window_s is None:
            return full
        return min(full, round(self.settings.window_s * b.sample_rate))

    def _finish(self, job: _Job, edited: list[np.ndarray]) -> np.ndarray:
        if not job.segments:
            return job.samples
        lo, hi = job.span
        joined = windows.join(edited, job.starts, job.frames, job.fade)
        out = resample(joined, self.bundle.sample_rate, job.sample_rate)
        out = np.pad(out[:, : hi - lo], ((0, 0), (0, max(0, hi - lo - out.shape[1]))))
        if job.samples.shape[0] == 1:
            out = out.mean(axis=0, keepdims=True)
        start, end = job.region or job.span
        changed = slice(start - lo, end - lo)  # what will replace the input's samples
        if self.settings.loudness == "match":
            if not asks_for_level_change(job.text):
                out = keep_loudness(out, out[:, changed], job.samples[:, start:end], job.sample_rate)
        elif job.region is not None:
            out = keep_context_level(out, job.samples[:, lo:hi], changed, job.sample_rate)
        out = under_full_scale(out.astype(np.float32), out[:, changed])
        if job.region is None:
            return out
        return windows.splice(job.samples, out, job.span, job.region, round(windows.REGION_FADE_S * job.sample_rate))

    # ------------------------------------------------------------ the model

    def _run(self, segments: list[_Segment]) -> list[np.ndarray]:
        """Edit every segment; equal lengths share batches of up to batch_size, in order."""
        batches: list[list[int]] = []
        open_batch: dict[int, list[int]] = {}
        for i, seg in enumerate(segments):
            length = seg.audio.shape[1]
            if length not in open_batch or len(open_batch[length]) == self.settings.batch_size:
                open_batch[length] = []
                batches.append(open_batch[length])
            open_batch[length].append(i)
        total = self.settings.steps * len(batches)
        results: list[np.ndarray | None] = [None] * len(segments)
        for n, batch in enumerate(batches):
            done = n * self.settings.steps
            report = (lambda i, done=done: self.progress(done + i, total)) if self.progress else None
            for i, out in zip(batch, self._generate([segments[i] for i in batch], report)):
                results[i] = out
        return results

    def _generate(self, batch: list[_Segment], on_step: Callable[[int], None] | None) -> list[np.ndarray]:
        """One model batch of equal-length segments through encode, sampling and decode."""
        import torch

        from .configs import sigma_min
        from .sampler import guided_denoiser, make_noise, sample_dpmpp_3m_sde
        from .schedule import schedule

        b, s = self.bundle, self.settings
        frames = batch[0].audio.shape[1]
        shape = (b.latent_channels, b.latent_frames(frames))
        seeds = [noise_seeds(self.seed, seg.window) for seg in batch]
        sigmas = schedule(s.steps, s.strength, sigma_min(b.config))
        if on_step:
            on_step(0)
        with (torch.inference_mode(), out_of_memory_hint(self.device, f"editing {len(batch)} x {frames / b.sample_rate:.1f} s"),
              make_noise(s.noise, shape, [sde for _, sde in seeds], sigmas, b.device) as noise):
            start = torch.stack([torch.randn(shape, generator=torch.Generator().manual_seed(first)) for first, _ in seeds])
            z_in = b.vae_encode(torch.from_numpy(np.stack([seg.audio for seg in batch]))).float()
            cond = b.conditioning([seg.text for seg in batch], [0.0] * len(batch), [frames / b.sample_rate] * len(batch))
            x = z_in + start.to(b.device) * sigmas[0]
            z = sample_dpmpp_3m_sde(guided_denoiser(b, cond, z_in, s.cfg), x, sigmas, noise, on_step)
            audio = b.vae_decode(z).float()[..., :frames].cpu().numpy()
        return list(audio)


def resample(samples: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """engine.ops.pitch.resample_to, imported only when the rates differ (it brings in pedalboard)."""
    if from_hz == to_hz:
        return samples
    from ..ops.pitch import resample_to

    return resample_to(samples, from_hz, to_hz)


def noise_seeds(seed: int, window: int) -> tuple[int, int]:
    """(starting noise, SDE noise) seeds for one window of an edit made with `seed`."""
    start, sde = np.random.SeedSequence([seed, window]).generate_state(2, dtype=np.uint64)
    return int(start), int(sde)


def keep_loudness(out: np.ndarray, measured: np.ndarray, reference: np.ndarray, sample_rate: int) -> np.ndarray:
    """Scale `out` so that `measured` (part of it) has the loudness of `reference`.

    Integrated loudness (BS.1770) where both are long and loud enough to gate,
    else RMS. Silence on either side leaves `out` as it is.
    """
    from ..measure import lufs, rms_db

    target, level = lufs(reference, sample_rate), lufs(measured, sample_rate)
    if not (np.isfinite(target) and np.isfinite(level)):
        target, level = rms_db(reference), rms_db(measured)
    if not (np.isfinite(target) and np.isfinite(level)) or min(target, level) < -120:
        return out
    return out * np.float32(10 ** ((target - level) / 20))


def keep_context_level(out: np.ndarray, original: np.ndarray, changed: slice, sample_rate: int) -> np.ndarray:
    """Scale a region's edited span by the one gain that brings its regenerated context to the original's.

    `out` and `original` are the span (region plus context); `changed` is the
    region within it. Only the region is spliced back, so this gain makes its
    seams meet the untouched audio at the same level, while a change inside the
    region (a removal) stays. No context (a region that is the whole file): no gain.
    """
    context = lambda x: np.concatenate([x[:, : changed.start], x[:, changed.stop :]], axis=1)  # noqa: E731
    ours, theirs = context(out), context(original)
    if ours.shape[1] < sample_rate // 100:  # under 10 ms of context: nothing to calibrate on
        return out
    return keep_loudness(out, ours, theirs, sample_rate)


def under_full_scale(samples: np.ndarray, judged: np.ndarray) -> np.ndarray:
    """Scale down, if needed, so that no sample of `judged` (part of `samples`) exceeds -0.1 dBFS."""
    peak = float(np.abs(judged).max()) if judged.size else 0.0
    return samples * np.float32(PEAK_LIMIT / peak) if peak > PEAK_LIMIT else samples


class LazyEditor:
    """load_editor at the first neural edit, so that checks failing first (an existing
    output, an unreadable input) cost no model load. `on_load(editor)` runs once loaded."""

    def __init__(self, model: str | None, settings: NeuralSettings, progress: Progress | None = None,
                 on_load: Callable[[SaoInstructEditor], None] | None = None):
        self.model, self.settings, self.progress, self.on_load = model, settings, progress, on_load
        self._editor: SaoInstructEditor | None = None

    def loaded(self) -> SaoInstructEditor:
        if self._editor is None:
            self._editor = load_editor(self.model, self.settings)
            self._editor.progress = self.progress
            if self.on_load:
                self.on_load(self._editor)
        return self._editor

    def edit(self, samples: np.ndarray, sample_rate: int, step: Step) -> np.ndarray:
        return self.loaded().edit(samples, sample_rate, step)

    def edit_batch(self, items: list[tuple[np.ndarray, int, Step]]) -> list[np.ndarray]:
        return self.loaded().edit_batch(items)

    def record(self, plan: EditPlan) -> dict:
        return self.loaded().record(plan)
