"""`sao train`: fine-tune SAO-Instruct on gen-data triplets (docs/training.md).

Importing this package is cheap; torch and Lightning load with the modules below.
In the order a run meets them:

- data:      the dataset folders (mixed with weights), random crops to the training length,
             every batch a function of (seed, step, rank), and the latent cache.
- init:      the model to train: a Stable Audio base widened with zero-initialised input
             channels (step 0 predicts what the base predicts), or an SAO-Instruct model as it is.
- objective: the v-objective on Stable Audio's cosine schedule, and the per-step random draws.
- module:    the LightningModule: loss, AdamW + inverse-LR warm-up, EMA, CFG dropout, frozen VAE/T5.
- run:       the Trainer: devices, DDP, checkpoints, exact resume, logs, validation edits.
- export:    a run's checkpoint -> a model folder (or a stable-audio-tools checkpoint).
"""
