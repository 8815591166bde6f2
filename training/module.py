"""The LightningModule: what one training step does, and the optimiser, schedule and EMA.

As stable-audio-tools trains Stable Audio (and SAO-Instruct was trained):
- the v-objective (objective.py) on the output's latent, with the input's latent
  concatenated to the DiT input and the instruction as the T5 prompt;
- classifier-free guidance dropout: with probability 0.1 an item's whole
  cross-attention conditioning (prompt and seconds tokens) is zeroed, which is
  exactly the "unconditional" branch the DiT sees at sampling time; the global
  seconds token and the input latent stay;
- AdamW (lr 5e-5, betas 0.9/0.999, weight decay 1e-3) with the inverse-LR
  schedule and exponential warm-up (inv_gamma 1e6, power 0.5, warmup 0.99):
  lr(step) = lr (1 - warmup^(step + 1)) (1 + step / inv_gamma)^-power;
- an EMA of the DiT (beta 0.9999, reached through ema-pytorch's warm-up
  1 - n^-3/4 after n updates), updated after every optimiser step.

Only the DiT trains, and exactly the DiT parameters stable-audio-tools trains:
its LayerNorms have no trainable bias there (diffusers' zero biases stay
frozen), and its Fourier timestep features are trained (diffusers marks them
frozen). The VAE, the T5 encoder and the seconds embedders (projection) stay
frozen and in eval mode, and are left out of checkpoints: they are the base
model's, and export copies them from there.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import lightning as L
import torch
from torch.optim.swa_utils import AveragedModel

from engine.neural.loader import ModelBundle

from .objective import draw_step, noised, v_loss

FROZEN = ("vae", "projection", "text_encoder")
NOT_TRAINED = re.compile(r"\.norm\d\.bias$")  # stable-audio-tools' LayerNorm has a fixed zero bias


@dataclass
class Hyper:
    lr: float = 5e-5
    beta1: float = 0.9
    beta2: float = 0.999
    weight_decay: float = 1e-3
    inv_gamma: float = 1e6
    power: float = 0.5
    warmup: float = 0.99
    ema_beta: float = 0.9999
    ema_power: float = 0.75
    cfg_dropout: float = 0.1


def inverse_lr(inv_gamma: float, power: float, warmup: float):
    """stable-audio-tools' InverseLR as a LambdaLR factor of the step."""

    def factor(step: int) -> float:
        return (1 - warmup ** (step + 1)) * (1 + step / inv_gamma) ** -power

    return factor


def ema_average(beta: float, power: float):
    """AveragedModel's averaging function: decay min(beta, 1 - n^-power) after n updates (the first copies)."""

    def average(ema_params, params, n_averaged) -> None:
        decay = min(beta, 1.0 - float(n_averaged) ** -power)
        for e, p in zip(ema_params, params, strict=True):
            e.lerp_(p, 1.0 - decay)

    return average


class InstructTraining(L.LightningModule):
    def __init__(self, bundle: ModelBundle, hyper: Hyper, seed: int = 0):
        super().__init__()
        if bundle.text_encoder is None or not bundle.is_instruct:
            raise ValueError("training needs an SAO-Instruct bundle with its text encoder (see init.load_for_training)")
        self.bundle = bundle  # its methods (conditioning, predict, vae_encode) run on the modules registered below
        self.hyper, self.seed = hyper, seed
        self.dit = bundle.dit
        for name, p in self.dit.named_parameters():
            p.requires_grad_(not NOT_TRAINED.search(name))
        for name in FROZEN:
            setattr(self, name, getattr(bundle, name).requires_grad_(False).eval())
        self.ema = AveragedModel(self.dit, multi_avg_fn=ema_average(hyper.ema_beta, hyper.ema_power)).requires_grad_(False)

    # ------------------------------------------------------------ modes and devices

    def train(self, mode: bool = True):
        """Lightning puts the whole module in train mode; the frozen parts stay in eval (T5 has dropout)."""
        super().train(mode)
        for name in FROZEN:
            getattr(self, name).eval()
        return self

    def on_fit_start(self) -> None:
        self.bundle = dataclasses.replace(self.bundle, device=self.device)

    def ema_bundle(self) -> ModelBundle:
        """The bundle with the EMA weights: what `export --ema` writes and the validation edits use."""
        return dataclasses.replace(self.bundle, dit=self.ema.module, device=self.device)

    # ------------------------------------------------------------ the step

    def latents(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """(input, output) latents of a batch: cached, or encoded here from cropped audio."""
        if "input_latent" in batch:
            return batch["input_latent"], batch["output_latent"]
        z = self.bundle.vae_encode(torch.cat([batch["input_audio"], batch["output_audio"]]))
        return z.float().chunk(2)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        z_in, z_out = self.latents(batch)
        draws = draw_step(self.seed, int(batch["index"]), self.global_rank, tuple(z_out.shape), self.hyper.cfg_dropout)
        t, noise, drop = (x.to(self.device) for x in (draws.t, draws.noise, draws.drop_text))
        cond = self.bundle.conditioning(batch["instruction"], batch["seconds_start"].tolist(), batch["seconds_total"].tolist())
        cond.cross_attention = torch.where(drop[:, None, None], torch.zeros_like(cond.cross_attention), cond.cross_attention)
        x_t, v = noised(z_out, noise.to(z_out.dtype), t)
        loss = v_loss(self.bundle.predict(x_t, t, cond, input_latent=z_in), v)
        self.log("train/loss", loss, prog_bar=True, on_step=True, on_epoch=False)
        self.log("train/lr", self.trainer.optimizers[0].param_groups[0]["lr"], on_step=True, on_epoch=False)
        return loss

    def optimizer_step(self, *args, **kwargs) -> None:
        """The EMA follows every optimiser step (with --accumulate K, every K-th micro-batch)."""
        super().optimizer_step(*args, **kwargs)
        self.ema.update_parameters(self.dit)

    def configure_optimizers(self):
        h = self.hyper
        params = [p for p in self.dit.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=h.lr, betas=(h.beta1, h.beta2), weight_decay=h.weight_decay)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, inverse_lr(h.inv_gamma, h.power, h.warmup))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}

    # ------------------------------------------------------------ checkpoints

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        """Leave the frozen modules out (gigabytes that never change) and record the model config."""
        checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if k.split(".")[0] not in FROZEN}
        checkpoint["sao_model_config"] = self.bundle.config
        checkpoint["sao_base_sha256"] = self.bundle.sha256  # export checks it reads the VAE and T5 trained with

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        """Put the frozen modules' own weights back, so loading stays strict about everything else."""
        own = self.state_dict()
        checkpoint["state_dict"].update({k: v for k, v in own.items() if k.split(".")[0] in FROZEN})
