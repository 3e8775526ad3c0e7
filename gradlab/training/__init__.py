"""MNIST from verified layers: the data, the trainer, the optimizers, the refusal of unverified layers."""
