"""DDP: two CPU processes (gloo) train one run and hold the same weights after each step.

The run is started the way a user starts it, as one `sao train` process that
Lightning's launcher turns into two (it re-runs the script with LOCAL_RANK=1).
The driver script wraps training.run.train to add a callback that records
each rank's first loss and its final DiT weights, so the test can see that the
ranks trained on different batches yet ended with equal weights (the gradients
were averaged across processes), then runs the command line itself. Both
processes write to the same stdout and stderr, so the test also sees that the
progress bar is on stderr and that only rank 0 reports.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch
from test_train_data import CLIP_S, make_dataset, tiny_base

DRIVER = textwrap.dedent('''
    import sys
    import lightning as L
    import torch
    import training.run

    data, base, run_dir, out = sys.argv[1:5]

    class Record(L.Callback):
        def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
            if trainer.global_step == 1:
                torch.save({{"loss": outputs["loss"].item(), "world": trainer.world_size,
                            "dit": {{k: v.clone() for k, v in module.dit.state_dict().items()}}}},
                           f"{{out}}/rank{{trainer.global_rank}}.pt")

    train = training.run.train
    training.run.train = lambda *args, **kw: train(*args, callbacks=(Record(),), **kw)

    from sao_cli.app import app

    app(["train", "--data", data, "--base", base, "--out", run_dir, "--seconds", "{seconds}", "--batch-size", "2",
         "--precision", "fp32", "--max-steps", "2", "--validate-every", "0", "--log-every", "1", "--workers", "0",
         "--accelerator", "cpu", "--devices", "2", "--lr", "1e-3"], prog_name="sao")
''').format(seconds=CLIP_S)


@pytest.mark.slow  # two fresh processes import torch, Lightning and diffusers: about a minute on a busy 2-core machine
def test_two_gloo_processes_agree_on_the_weights_after_a_step_and_only_rank_0_reports(tmp_path):
    ds = make_dataset(tmp_path / "ds", seed=4, n=6)
    base = tiny_base(tmp_path / "base")
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", NO_COLOR="1",
               PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(__file__)), os.environ.get("PYTHONPATH", "")]))
    run_dir = tmp_path / "run"
    p = subprocess.run([sys.executable, str(driver), str(ds), str(base), str(run_dir), str(tmp_path)],
                       capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path, check=False)
    assert p.returncode == 0, p.stderr[-3000:]
    ranks = [torch.load(str(tmp_path / f"rank{r}.pt"), weights_only=True) for r in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2]
    assert ranks[0]["loss"] != ranks[1]["loss"]  # each rank trained on its own batch
    from training.init import load_for_training

    start = load_for_training(str(base)).dit.state_dict()
    changed = 0
    for key, value in ranks[0]["dit"].items():
        assert torch.equal(value, ranks[1]["dit"][key]), key
        changed += not torch.equal(value, start[key])
    assert changed > 10  # a real optimiser step, taken identically on both
    assert sorted(path.name for path in (run_dir / "checkpoints").iterdir()) == ["last.ckpt"]

    assert p.stderr.count(f"{run_dir}: trained to step 2") == 1  # rank 0 only
    assert "Epoch 0: 100%" in p.stderr and "Epoch" not in p.stdout  # the bar is on stderr (and only rank 0's)
