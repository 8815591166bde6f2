"""T5 in fp16 against fp32 (issue 16): the text encoder runs in fp16 on CUDA by default, as stable-audio-tools runs it.

    python3 bench/t5_precision_check.py [--device cuda] [--size full|tiny] [--dtype fp16] [--json OUT.json]

Encodes a set of instructions with the same weights in fp32 and in --dtype, as
ModelBundle.encode_text feeds the projection (T5's last hidden state, padding
masked out), and reports whether any value is inf or NaN and the cosine
similarity of every real token's embedding. Pass: all finite and every cosine
at least 0.999. The weights are t5-base's when it is in the local Hugging Face
cache, else a random encoder of t5-base's shape (what it shows then is the
arithmetic, not the trained weights' ranges: rerun once t5-base is here).
Exit status 1 when the check fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.neural import configs  # noqa: E402
from engine.neural.tokenizer import byte_tokenizer  # noqa: E402

PROMPTS = ["remove the dog barking", "add birdsong in the background", "make it sound like an old telephone",
           "add a large hall reverb", "get rid of the hum", "replace the rain with applause and add distant thunder",
           "x", "turn the crowd noise down and add a church bell at the end " * 3]
MIN_COSINE = 0.999
DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}


def load_t5(size: str):
    """(encoder in fp32, tokenizer, max_length, source): t5-base from the local cache, else random weights."""
    from transformers import AutoTokenizer, T5Config, T5EncoderModel

    if size == "full":
        try:
            from engine.neural.sources import hub_snapshot

            where = hub_snapshot(configs.T5_BASE)
            return (T5EncoderModel.from_pretrained(str(where)), AutoTokenizer.from_pretrained(str(where)), 128,
                    f"{configs.T5_BASE} (local cache)")
        except Exception:  # noqa: BLE001  (not here: random weights of its shape)
            pass
    torch.manual_seed(0)
    max_length = 128 if size == "full" else 64
    return (T5EncoderModel(T5Config(**configs.t5_config(size))), byte_tokenizer(max_length), max_length,
            f"random {size} T5 (seed 0)")


def check(device: str, size: str, dtype: str) -> dict:
    model, tokenizer, max_length, source = load_t5(size)
    model = model.to(device).eval()
    tokens = tokenizer(PROMPTS, padding="max_length", max_length=max_length, truncation=True, return_tensors="pt")
    ids, mask = tokens["input_ids"].to(device), tokens["attention_mask"].to(device).bool()
    with torch.inference_mode():
        reference = model(input_ids=ids, attention_mask=mask).last_hidden_state.double()
        low = model.to(DTYPES[dtype])(input_ids=ids, attention_mask=mask).last_hidden_state
    finite = bool(torch.isfinite(low).all())
    cosine = torch.nn.functional.cosine_similarity(low.double(), reference, dim=-1)[mask]
    result = {"device": device, "weights": source, "dtype": dtype, "prompts": len(PROMPTS), "tokens": int(mask.sum()),
              "finite": finite, "min_cosine": round(float(cosine.min()), 6), "mean_cosine": round(float(cosine.mean()), 6),
              "max_abs_fp32": round(float(reference.abs().max()), 3)}
    result["pass"] = finite and result["min_cosine"] >= MIN_COSINE
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--size", default="full", choices=configs.SIZES)
    p.add_argument("--dtype", default="fp16", choices=list(DTYPES))
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    r = check(args.device, args.size, args.dtype)
    print(f"T5 {r['dtype']} against fp32 on {r['device']}: {r['weights']}, {r['prompts']} prompts, {r['tokens']} tokens")
    print(f"finite: {r['finite']}; cosine per token: min {r['min_cosine']}, mean {r['mean_cosine']} "
          f"(largest fp32 value {r['max_abs_fp32']})")
    print(f"pass (finite and min cosine >= {MIN_COSINE}): {r['pass']}")
    if args.json:
        args.json.write_text(json.dumps(r, indent=2) + "\n")
    sys.exit(0 if r["pass"] else 1)


if __name__ == "__main__":
    main()
