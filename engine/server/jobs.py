"""The job queue and the one worker that runs jobs on the device.

Jobs run one at a time, in arrival order, through the very same `run_edit` as an
in-process edit, so a served result is byte-identical to a local one. Jobs whose
neural settings ask for a batch size above 1 and are equal (seed included) are
taken together, up to that size: they run side by side and their neural steps
share model batches (engine.batch.BatchingEditor, as `sao batch` does in-process).
Batched results match unbatched ones within float rounding, not bit for bit.

Cancelling is cooperative: Python cannot stop a thread from outside, so a
cancelled job stops at its next checkpoint (before each plan, and after each
diffusion step) by raising JobCancelled inside run_edit. Every checkpoint comes
before the output is written, and writes are temp-file-then-rename, so a
cancelled job leaves no file behind. A single long DSP step is not interrupted;
it runs to its end and the job stops after it.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from collections.abc import Callable

from engine.errors import NoServer, SaoError

from . import protocol

log = logging.getLogger("sao.serve")

GATHER_S = 0.2  # how long a batchable job waits for equal jobs to batch with


class JobCancelled(Exception):
    """Raised at a checkpoint of a job whose client went away (or whose server is stopping)."""


@dataclass(eq=False)
class Job:
    id: int
    request: "object"  # engine.pipeline.EditRequest
    settings: dict | None  # neural settings, as sent
    emit: Callable[[dict], None]  # thread-safe: queue a message for this job's client
    cancelled: threading.Event = field(default_factory=threading.Event)
    started: float = 0.0

    @property
    def needs_editor(self) -> bool:
        return needs_editor(self.request)

    @property
    def batch_size(self) -> int:
        return int((self.settings or {}).get("batch_size") or 1) if self.needs_editor else 1

    def checkpoint(self) -> None:
        if self.cancelled.is_set():
            raise JobCancelled


def needs_editor(request) -> bool:
    """Whether a run needs the neural editor loaded: the same rule in-process and served.
    `--engine dsp` never loads it (check_runnable then refuses a neural step with exit 6)."""
    return request.engine != "dsp" and any(p.needs_model for p in request.plans)


class Worker:
    """A queue of jobs and the thread that runs them.

    `editor_for(job)` gives a job its neural editor (loading the model if need be);
    `warm_up()` runs once in the worker thread before the first job.
    """

    def __init__(self, editor_for: Callable[[Job], object], warm_up: Callable[[], None] | None = None):
        self._editor_for = editor_for
        self._warm_up = warm_up
        self._queue: deque[Job] = deque()
        self._cv = threading.Condition()
        self._stopping = False
        self.running: list[Job] = []
        self.done = 0
        self.failed = 0
        self.cancelled = 0
        self.last_active = time.monotonic()
        self.thread = threading.Thread(target=self._loop, name="sao-worker", daemon=True)

    def start(self) -> None:
        self.thread.start()

    @property
    def queued(self) -> int:
        with self._cv:
            return len(self._queue)

    @property
    def busy(self) -> bool:
        with self._cv:
            return bool(self._queue or self.running)

    def running_ids(self) -> list[int]:
        with self._cv:
            return [job.id for job in self.running]

    def submit(self, job: Job) -> int:
        """Queue a job; returns how many jobs are ahead of it (running ones included)."""
        with self._cv:
            if self._stopping:
                raise NoServer("the sao server is stopping and takes no new jobs")
            ahead = len(self._queue) + len(self.running)
            self._queue.append(job)
            self._cv.notify_all()
            return ahead

    def cancel(self, job: Job) -> None:
        job.cancelled.set()
        with self._cv:
            if job in self._queue:
                self._queue.remove(job)
                self.cancelled += 1
                log.info(f"job {job.id}: cancelled while queued (its client went away)")

    def stop(self) -> None:
        """Refuse new jobs, drop queued ones (their clients are told) and cancel the running ones."""
        with self._cv:
            self._stopping = True
            dropped, self._queue = list(self._queue), deque()
            for job in self.running:
                job.cancelled.set()
            self._cv.notify_all()
        for job in dropped:
            job.emit(protocol.error_message(NoServer("the sao server stopped before running this job")))

    # ------------------------------------------------------------ the worker thread

    def _loop(self) -> None:
        from engine.ops import load_all

        load_all()  # import every operation now, so the first job does not wait for it
        if self._warm_up:
            try:
                self._warm_up()
            except Exception as e:  # jobs that need the model will report it
                log.error(f"could not load the model: {getattr(e, 'message', e)}")
        while True:
            with self._cv:
                while not self._queue and not self._stopping:
                    self._cv.wait()
                if not self._queue:
                    return
                group = self._take_group()
                self.running = group
            try:
                self._run_group(group)
            finally:
                with self._cv:
                    self.running = []
                    self.last_active = time.monotonic()

    def _take_group(self) -> list[Job]:
        """The next job, and queued jobs it can batch with (same settings), waiting GATHER_S for them. Holds _cv."""
        first = self._queue.popleft()
        if first.batch_size <= 1:
            return [first]
        deadline = time.monotonic() + GATHER_S
        while True:
            mates = [j for j in self._queue if j.needs_editor and j.settings == first.settings][: first.batch_size - 1]
            left = deadline - time.monotonic()
            if len(mates) == first.batch_size - 1 or left <= 0 or self._stopping:
                break
            self._cv.wait(left)
        for job in mates:
            self._queue.remove(job)
        return [first, *mates]

    def _run_group(self, group: list[Job]) -> None:
        if len(group) == 1:
            job = group[0]
            self._run(job, lambda: self._with_progress(self._editor_for(job), group) if job.needs_editor else None)
            return
        from engine.batch import BatchingEditor

        try:
            shared = BatchingEditor(self._with_progress(self._editor_for(group[0]), group), len(group))
        except Exception as e:  # the model would not load: every job in the group fails with it
            for job in group:
                self._finish(job, e)
            return
        log.info(f"jobs {', '.join(str(j.id) for j in group)}: batched together")

        def run_one(job: Job) -> None:
            try:
                self._run(job, lambda: shared)
            finally:
                shared.leave()

        threads = [threading.Thread(target=run_one, args=(job,), name=f"sao-job-{job.id}") for job in group]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    @staticmethod
    def _with_progress(editor, group: list[Job]):
        """Send diffusion progress to the group's clients; stop when every one of them has gone."""
        if editor is None:  # a server without a model: run_edit refuses the neural step (exit 6)
            return None

        def progress(done: int, total: int) -> None:
            if all(job.cancelled.is_set() for job in group):
                raise JobCancelled
            for job in group:
                job.emit({"type": "progress", "job": job.id, "diffusion": done, "of": total})

        editor.progress = progress
        return editor

    def _run(self, job: Job, get_editor: Callable[[], object]) -> None:
        from engine.pipeline import run_edit

        job.started = time.monotonic()
        total = len(job.request.plans)

        def on_step(i: int, plan) -> None:
            job.checkpoint()
            job.emit({"type": "progress", "job": job.id, "step": i, "of": total, "instruction": plan.instruction})

        try:
            job.checkpoint()
            outcome = run_edit(job.request, neural=get_editor(), on_step=on_step)
        except Exception as e:  # every failure goes to the client; the server goes on
            self._finish(job, e)
            return
        self.done += 1
        log.info(f"job {job.id}: {job.request.input} -> {job.request.output.path} in {time.monotonic() - job.started:.2f} s")
        job.emit({"type": "result", "job": job.id, "outcome": protocol.outcome_to_dict(outcome)})

    def _finish(self, job: Job, error: Exception) -> None:
        """Report a job that did not complete."""
        if isinstance(error, JobCancelled):  # its client went away, or the server is stopping (then the client is told)
            self.cancelled += 1
            log.info(f"job {job.id}: cancelled; nothing was written")
            error = NoServer("the sao server stopped before this job finished")
        elif isinstance(error, SaoError):
            self.failed += 1
            log.info(f"job {job.id}: failed (exit {int(error.code)}): {error.message}")
        else:  # a bug, or out of memory
            self.failed += 1
            log.error(f"job {job.id}: internal error\n{''.join(traceback.format_exception(error))}")
            error = internal_error(error)
        job.emit(protocol.error_message(error))


def internal_error(e: BaseException) -> SaoError:
    """An unexpected failure as exit 1; out-of-memory says what to try, and frees the device cache."""
    if isinstance(e, MemoryError) or type(e).__name__ == "OutOfMemoryError":
        _free_device_memory()
        return SaoError(f"out of memory while editing: {e}".rstrip(": "),
                        hint="Try a shorter file or a smaller --batch-size, or run it in-process with --server off.")
    return SaoError(f"internal error in the sao server: {type(e).__name__}: {e}",
                    hint="This is a bug in sao; the server's log has the traceback.")


def _free_device_memory() -> None:
    import sys

    torch = sys.modules.get("torch")  # only if a model was loaded: never import torch here
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
