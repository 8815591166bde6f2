"""Prompt-to-Prompt for the Stable Audio DiT: the input generation's cross-attention maps, injected into the output's.

Prompt-to-Prompt (Hertz et al. 2022) makes the output clip share the input
clip's structure: both are generated from the same noise in one batch, and
while injection is on, the output's cross-attention probabilities over the
caption tokens are replaced by the input's. Three parameters shape it:

- λ_frac: the share of the steps that inject;
- λ_delay: the share of the steps skipped before injection starts
  (λ_frac + λ_delay ≤ 1), so the first, coarse steps can follow the new caption;
- λ_weight: a scale on the attention of the tokens that differ between the
  captions (Prompt-to-Prompt's re-weighting), to strengthen or soften the edit.

Tokens are matched with difflib on the two captions' token ids: equal runs and
same-length replacements take the input's column for that token (a swapped word
inherits where the old one attended: P2P's "replace"); inserted tokens keep the
output's own column (P2P's "refine"). Every token outside an equal run is
"changed" and is scaled by λ_weight. Padding and the two seconds tokens are the
same in both sequences and always map.

The processors compute attention explicitly (softmax(QKᵀ/√d) · V) because
scaled_dot_product_attention never exposes the probabilities. They replace
only the cross-attention (`attn2`) of every DiT block, and only for the batch
rows of the conditional passes: the negative-prompt rows of classifier-free
guidance are left alone, as in Prompt-to-Prompt.

Pitfall: T5's token embeddings depend on the whole sentence, so even a
"same" token carries different values in the two captions; only where it is
attended to is shared.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class TokenMap:
    """For each cross-attention token of the output caption: its input column (−1: its own) and whether it changed."""

    source: torch.Tensor  # (tokens,) long
    changed: torch.Tensor  # (tokens,) bool


def align_tokens(source_ids: Sequence[int], target_ids: Sequence[int], max_length: int, extra: int = 2) -> TokenMap:
    """Match the real (unpadded) token ids of two captions; see the module docstring.

    The cross-attention sequence is `max_length` prompt positions (real tokens,
    then padding) followed by `extra` tokens (the seconds embeddings).
    """
    source = torch.full((max_length + extra,), -1, dtype=torch.long)
    changed = torch.zeros(max_length + extra, dtype=torch.bool)
    matcher = difflib.SequenceMatcher(None, list(source_ids), list(target_ids), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            source[j1:j2] = torch.arange(i1, i2)
        changed[j1:j2] = tag != "equal"
    if len(source_ids) < max_length:  # every padding key is the same vector: any input padding column stands for any other
        pads = torch.arange(len(target_ids), max_length)
        source[pads] = pads.clamp(min=len(source_ids))
    source[max_length:] = torch.arange(max_length, max_length + extra)
    return TokenMap(source, changed)


@dataclass
class Injection:
    """One cross-attention call of the output generation, kept when `record` is on (tests, inspection)."""

    step: int
    layer: int
    injected: bool
    source: torch.Tensor  # the input generation's probabilities (rows, heads, queries, tokens)
    own: torch.Tensor  # what the output generation computed itself
    used: torch.Tensor  # what it went on with


@dataclass
class CrossAttentionControl:
    """The injection plan, shared by every cross-attention layer; the sampler sets `step` before each model call.

    `source_rows` and `target_rows` are the batch rows of the input's and the
    output's conditional passes, paired in order.
    """

    tokens: TokenMap
    steps: int
    frac: float
    delay: float
    weight: float = 1.0
    source_rows: tuple[int, ...] = (0,)
    target_rows: tuple[int, ...] = (1,)
    record: bool = False
    step: int = 0
    log: list[Injection] = field(default_factory=list)
    first: int = field(init=False)  # the first step that injects
    stop: int = field(init=False)  # the first step after injection

    def __post_init__(self):
        if not (0 <= self.frac <= 1 and 0 <= self.delay <= 1 and self.frac + self.delay <= 1 + 1e-9):
            raise ValueError(f"need 0 <= λ_frac, λ_delay and λ_frac + λ_delay <= 1 (got {self.frac}, {self.delay})")
        self.first = round(self.delay * self.steps)
        self.stop = min(self.steps, self.first + round(self.frac * self.steps))

    def injecting(self) -> bool:
        return self.first <= self.step < self.stop

    def __call__(self, probs: torch.Tensor, layer: int) -> torch.Tensor:
        """The probabilities (batch, heads, queries, tokens) the layer goes on with."""
        src, own = probs[list(self.source_rows)], probs[list(self.target_rows)]
        used = own
        if self.injecting():
            tokens = self.tokens.source.to(probs.device)
            mapped = src.index_select(-1, tokens.clamp(min=0))
            scale = torch.where(self.tokens.changed, self.weight, 1.0).to(probs.device, probs.dtype)
            used = torch.where(tokens >= 0, mapped, own) * scale
            probs = probs.clone()
            probs[list(self.target_rows)] = used
        if self.record:
            self.log.append(Injection(self.step, layer, self.injecting(), src.clone(), own.clone(), used.clone()))
        return probs


class InjectingCrossAttention:
    """A diffusers attention processor for a DiT block's cross-attention that lets `control` edit its probabilities.

    Same computation as diffusers' StableAudioAttnProcessor2_0 on cross-attention
    (grouped key/value heads, no rotary embedding on the caption tokens), written
    out so the probabilities exist as a tensor.
    """

    def __init__(self, control: CrossAttentionControl, layer: int):
        self.control = control
        self.layer = layer

    def __call__(self, attn, hidden_states: torch.Tensor, encoder_hidden_states: torch.Tensor | None = None,
                 attention_mask: torch.Tensor | None = None, rotary_emb=None) -> torch.Tensor:
        if encoder_hidden_states is None or attention_mask is not None or rotary_emb is not None:
            raise ValueError("InjectingCrossAttention handles unmasked cross-attention without rotary embeddings only")
        batch = hidden_states.shape[0]
        query = attn.to_q(hidden_states)
        key, value = attn.to_k(encoder_hidden_states), attn.to_v(encoder_hidden_states)
        head_dim = query.shape[-1] // attn.heads
        kv_heads = key.shape[-1] // head_dim
        query = query.view(batch, -1, attn.heads, head_dim).transpose(1, 2)
        key = key.view(batch, -1, kv_heads, head_dim).transpose(1, 2).repeat_interleave(attn.heads // kv_heads, dim=1)
        value = value.view(batch, -1, kv_heads, head_dim).transpose(1, 2).repeat_interleave(attn.heads // kv_heads, dim=1)
        probs = torch.softmax((query @ key.transpose(-1, -2)).float() * attn.scale, dim=-1)
        probs = self.control(probs, self.layer)
        out = (probs.to(value.dtype) @ value).transpose(1, 2).reshape(batch, -1, attn.heads * head_dim)
        return attn.to_out[1](attn.to_out[0](out))


@contextlib.contextmanager
def injecting(dit, control: CrossAttentionControl):
    """Run the DiT with `control` on every block's cross-attention; its own processors come back afterwards."""
    before = dit.attn_processors
    processors = {}
    for name, processor in before.items():
        block, _, kind = name.rpartition(".attn")
        if kind == "2.processor":
            module = dit.get_submodule(name.rsplit(".", 1)[0])
            if module.norm_q is not None or module.norm_k is not None or module.residual_connection or module.rescale_output_factor != 1:
                raise ValueError(f"{name}: attention options InjectingCrossAttention does not implement")
            processor = InjectingCrossAttention(control, int(block.rsplit(".", 1)[1]))
        processors[name] = processor
    dit.set_attn_processor(processors)
    try:
        yield control
    finally:
        dit.set_attn_processor(before)
