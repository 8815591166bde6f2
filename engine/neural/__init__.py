"""The neural engine's models: SAO-Instruct and Stable Audio Open, as diffusers modules.

Importing this package is cheap (it imports nothing); torch and diffusers load
when a module below is used. The parts, in the order a caller meets them:

- sources:     resolve --model / SAO_MODEL / a name to a model folder; `pull`; `list_local`.
- loader:      load_bundle(folder, device, dtype) -> ModelBundle, the one interface a sampler
               uses (text and seconds conditioning, DiT prediction, VAE encode/decode).
- folder:      the model folder on disk (sao_model.json + safetensors), written atomically.
- configs:     the full and tiny architectures and the config checks (no torch).
- convert:     stable-audio-tools checkpoints and diffusers pipeline folders -> model folders.
- random_init: random model folders for tests and measurements; tokenizer: their offline tokenizer.

docs/models.md describes the folder format, the sources and the exit codes.
"""
