"""A T5-style tokenizer built in-process, for random models that must never download.

It is byte-level: every UTF-8 byte is one token, so any text encodes without
training a vocabulary, and different instructions give different ids (which a
random model's tests need). Ids follow T5's convention (pad 0, eos 1, unk 2) and
every sequence ends in </s>, as T5's own tokenizer does.
"""

from __future__ import annotations

SPECIALS = ("<pad>", "</s>", "<unk>")


def byte_tokenizer(max_length: int):
    """A transformers fast tokenizer (save_pretrained / AutoTokenizer.from_pretrained round-trip)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(SPECIALS)}
    for char in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[char] = len(vocab)
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    core.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", vocab["</s>"])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=max_length
    )
