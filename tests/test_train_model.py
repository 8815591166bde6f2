"""What `sao train` starts from and optimises: the widened model, the v-objective, the schedule."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from models_helpers import one_thread  # noqa: F401  (fixture)

from training.init import load_for_training, widen
from training.module import Hyper, inverse_lr
from training.objective import draw_step, noised

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    from engine.neural.loader import load_bundle
    from engine.neural.random_init import init_random

    return load_bundle(init_random(tmp_path_factory.mktemp("base") / "sa", fmt="stable-audio", seed=3))


def test_the_widened_model_predicts_exactly_what_the_base_predicts(base):
    wide = widen(base)
    assert not base.is_instruct and wide.is_instruct
    assert wide.dit.config.in_channels == 2 * base.latent_channels == wide.config["dit"]["in_channels"]
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, base.latent_channels, 12, generator=g)
    z_in = 3 * torch.randn(3, base.latent_channels, 12, generator=g)  # a loud input latent: zero weights must ignore it
    cond = base.conditioning(["muffle it", "make it thin", ""], [0.0, 1.5, 0.0], [10.0, 4.0, 0.3])
    with torch.no_grad():
        for t in (0.02, 0.5, 0.97):
            want = base.predict(x, torch.full((3,), t), cond)
            got = wide.predict(x, torch.full((3,), t), cond, input_latent=z_in)
            assert (got - want).abs().max().item() < 1e-6
            assert want.abs().mean().item() > 0.1  # a real prediction, not zeros

        # The input latent is wired in: once the new weights move, it changes the prediction.
        wide.dit.proj_in.weight[:, base.latent_channels:] += 0.01
        moved = wide.predict(x, torch.full((3,), 0.5), cond, input_latent=z_in)
        assert (moved - base.predict(x, torch.full((3,), 0.5), cond)).abs().max().item() > 1e-3


def test_an_sao_instruct_model_is_trained_as_it_is(tmp_path):
    from safetensors.torch import load_file

    from engine.neural.random_init import init_random

    folder = init_random(tmp_path / "instruct", fmt="sao-instruct", seed=5)
    bundle = load_for_training(str(folder))
    stored = load_file(str(folder / "dit.safetensors"))
    assert bundle.is_instruct and all(torch.equal(v, stored[k]) for k, v in bundle.dit.state_dict().items())


def test_the_v_objective_is_stable_audios_cosine_schedule():
    g = torch.Generator().manual_seed(1)
    x0, noise = torch.randn(4, 3, 10, generator=g), torch.randn(4, 3, 10, generator=g)
    t = torch.tensor([0.0, 0.3, 0.7, 1.0])
    x_t, v = noised(x0, noise, t)
    assert torch.allclose(x_t[0], x0[0]) and torch.allclose(x_t[3], noise[3], atol=1e-6)  # t=0 clean, t=1 noise
    # sigma / alpha = tan(t pi / 2) (the bundle's time); x0 and the noise come back from (x_t, v)
    alpha, sigma = torch.cos(t * math.pi / 2)[:, None, None], torch.sin(t * math.pi / 2)[:, None, None]
    assert torch.allclose(alpha * x_t - sigma * v, x0, atol=1e-6)
    assert torch.allclose(sigma * x_t + alpha * v, noise, atol=1e-6)
    assert torch.allclose(x_t.var(), x0.var(), rtol=0.3)  # variance preserving


def test_step_draws_are_uniform_times_with_ten_percent_text_dropout_and_repeatable():
    draws = [draw_step(0, i, 0, (64, 2, 3), 0.1) for i in range(200)]
    t = torch.cat([d.t for d in draws])
    drop = torch.cat([d.drop_text for d in draws]).float()
    assert t.min() >= 0 and t.max() < 1 and t.mean().item() == pytest.approx(0.5, abs=0.01)
    assert (t < 0.25).float().mean().item() == pytest.approx(0.25, abs=0.01)
    assert drop.mean().item() == pytest.approx(0.1, abs=0.01)
    again = draw_step(0, 7, 0, (64, 2, 3), 0.1)
    assert torch.equal(again.noise, draws[7].noise) and torch.equal(again.t, draws[7].t)
    assert not torch.equal(draw_step(0, 7, 1, (64, 2, 3), 0.1).noise, draws[7].noise)  # another rank, other noise


def test_the_learning_rate_warms_up_from_one_percent_and_decays_as_inverse_square_root():
    h = Hyper()
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([param], lr=h.lr, betas=(h.beta1, h.beta2), weight_decay=h.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, inverse_lr(h.inv_gamma, h.power, h.warmup))
    lrs = []
    for _ in range(1000):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        schedule.step()
    assert lrs[0] == pytest.approx(0.01 * 5e-5)  # 1 - warmup
    assert all(a < b for a, b in itertools.pairwise(lrs[:900]))  # rises through the warm-up
    assert lrs[459] == pytest.approx(5e-5, rel=0.011) and lrs[999] == pytest.approx(5e-5, rel=1e-3)
    factor = inverse_lr(h.inv_gamma, h.power, h.warmup)
    assert factor(10**6) == pytest.approx(2 ** -0.5, rel=1e-6)  # inv_gamma steps halve lr^(1/power)
