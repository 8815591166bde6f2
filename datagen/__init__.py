"""Training data for SAO-Instruct: (input audio, instruction, output audio) triplets.

`sao gen-data` drives it; `sao train` reads what it writes (the dataset folder
format is in docs/gen-data.md). This package depends on the engine only, and
runs every signal-processing edit through the engine's operation registry, so
the model learns from the same DSP that users get.
"""
