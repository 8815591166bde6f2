"""Bayesian optimisation of each sample's generation parameters, stored so that a killed run resumes.

Every sample attempt gets an optuna study (TPE, maximising the CLAP objective)
in one SQLite file under the dataset folder, `DATASET/optuna.sqlite3`, named
by the sample id and attempt. The study also keeps the attempt's plan (its
captions, the chosen seed and CFG) as user attributes, so a resumed attempt
optimises exactly what the killed one did.

On reopening, trials left RUNNING by a killed process are marked FAIL (the
dataset folder's lock guarantees no other process is running them) and only
the missing COMPLETE trials are run. TPE is reseeded before each trial from the
study name and the number of completed trials, so a resumed study asks for the
same parameters an uninterrupted one would have.

Search spaces (the SAO-Instruct paper's):

- Prompt-to-Prompt: λ_frac ∈ [0.3, 0.9], λ_delay ∈ [0, 0.6] with
  λ_frac + λ_delay ≤ 1, λ_weight ∈ [1, 1.8]. λ_delay is searched as a share of
  the room left, min(0.6, 1 − λ_frac), which keeps the space fixed for TPE and
  every point feasible.
- DDPM inversion: T_start ∈ [18, 65] at 70 steps (scaled to other step
  counts), CFG_src ∈ [1, 3], CFG_tar ∈ [3, 10].
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.shard import stable_hash

STORAGE = "optuna.sqlite3"
P2P_FRAC = (0.3, 0.9)
P2P_DELAY = (0.0, 0.6)
P2P_WEIGHT = (1.0, 1.8)
INVERSION_T_START = (18, 65)  # at INVERSION_STEPS
INVERSION_STEPS = 70
INVERSION_CFG_SRC = (1.0, 3.0)
INVERSION_CFG_TAR = (3.0, 10.0)

Evaluate = Callable[[dict], "tuple[float, Any]"]  # params -> (objective, what to keep if it is the best)


def p2p_space(trial) -> dict:
    frac = trial.suggest_float("lambda_frac", *P2P_FRAC)
    share = trial.suggest_float("delay_share", 0.0, 1.0)
    weight = trial.suggest_float("lambda_weight", *P2P_WEIGHT)
    return {"lambda_frac": frac, "lambda_delay": share * min(P2P_DELAY[1], 1.0 - frac), "lambda_weight": weight}


def t_start_range(steps: int) -> tuple[int, int]:
    """The paper's T_start range at 70 steps, scaled to `steps` (at least 1 step)."""
    lo, hi = (max(1, round(t * steps / INVERSION_STEPS)) for t in INVERSION_T_START)
    return lo, max(lo, hi)


def inversion_space(steps: int) -> Callable[[Any], dict]:
    def space(trial) -> dict:
        return {"t_start": trial.suggest_int("t_start", *t_start_range(steps)),
                "cfg_src": trial.suggest_float("cfg_src", *INVERSION_CFG_SRC),
                "cfg_tar": trial.suggest_float("cfg_tar", *INVERSION_CFG_TAR)}

    return space


def open_storage(root: Path):
    """The dataset's study storage (created on first use)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no line per trial on stderr
    return optuna.storages.RDBStorage(f"sqlite:///{Path(root).resolve() / STORAGE}")


@dataclass
class Best:
    params: dict  # as the search space returned them
    value: float
    trial: int  # its trial number
    artifact: Any  # what evaluate returned with it; None when it ran before a kill
    complete: int  # COMPLETE trials in the study
    ran: int  # trials run by this call


class SampleStudy:
    """The study of one sample attempt: its plan and its trials."""

    def __init__(self, storage, name: str):
        import optuna

        self.name = name
        self.study = optuna.create_study(storage=storage, study_name=name, direction="maximize", load_if_exists=True)

    @property
    def plan(self) -> dict | None:
        return self.study.user_attrs.get("plan")

    def save_plan(self, plan: dict) -> None:
        self.study.set_user_attr("plan", plan)

    def trials(self, state: str) -> list:
        from optuna.trial import TrialState

        return self.study.get_trials(deepcopy=False, states=(TrialState[state],))

    def optimise(self, space: Callable[[Any], dict], evaluate: Evaluate, n_trials: int, startup_trials: int | None = None) -> Best:
        """Run trials until the study has `n_trials` complete ones; the best of them.

        The first `startup_trials` (default a third, at least 2) are random, as
        TPE needs a few points to model; optuna's own default (10) would make a
        10-trial study pure random search.
        """
        from optuna.samplers import TPESampler
        from optuna.trial import TrialState

        for stale in self.trials("RUNNING"):
            self.study.tell(stale.number, state=TrialState.FAIL)
        kept: tuple[int, float, Any] | None = None  # this call's best trial, value and artifact (only the best is held)
        ran = 0
        startup = startup_trials if startup_trials is not None else max(2, n_trials // 3)
        done = len(self.trials("COMPLETE"))
        while done < n_trials:
            self.study.sampler = TPESampler(seed=stable_hash(f"{self.name}:{done}") % 2**32, n_startup_trials=startup)
            trial = self.study.ask()
            params = space(trial)
            trial.set_user_attr("params", params)
            value, artifact = evaluate(params)
            if not math.isfinite(value):
                raise ValueError(f"{self.name}: the objective is {value} for {params}")
            self.study.tell(trial, value)
            if kept is None or value > kept[1]:
                kept = (trial.number, value, artifact)
            done, ran = done + 1, ran + 1
        best = self.study.best_trial
        artifact = kept[2] if kept is not None and kept[0] == best.number else None
        return Best(best.user_attrs["params"], best.value, best.number, artifact, done, ran)
