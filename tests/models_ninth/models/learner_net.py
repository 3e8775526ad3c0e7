"""A CS231n two-layer net as a learner writes it: `self.parameters` where the course says `self.params`, its
regularisation strength a keyword of loss, weights drawn from its own generator."""
import numpy as np


class LearnerNet:
    def __init__(self, input_dim, hidden_dim, num_classes, *, weight_scale=1e-3, seed=None):
        rng = np.random.default_rng(seed)
        self.parameters = {"W1": rng.normal(scale=weight_scale, size=(input_dim, hidden_dim)),
                           "b1": np.zeros(hidden_dim),
                           "W2": rng.normal(scale=weight_scale, size=(hidden_dim, num_classes)),
                           "b2": np.zeros(num_classes)}

    def penalty_gradient(self, W, strength):
        return 2 * strength * W

    def loss(self, features, labels=None, *, regularization_strength=0.0):
        p = self.parameters
        pre = features @ p["W1"] + p["b1"]
        hidden = np.maximum(pre, 0)
        scores = hidden @ p["W2"] + p["b2"]
        if labels is None:
            return scores
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        n = len(labels)
        loss = -np.log(probs[np.arange(n), labels]).mean()
        loss += regularization_strength * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        dscores = probs.copy()
        dscores[np.arange(n), labels] -= 1
        dscores /= n
        dhidden = (dscores @ p["W2"].T) * (pre > 0)
        grads = {"W2": hidden.T @ dscores + self.penalty_gradient(p["W2"], regularization_strength),
                 "b2": dscores.sum(axis=0),
                 "W1": features.T @ dhidden + self.penalty_gradient(p["W1"], regularization_strength),
                 "b1": dhidden.sum(axis=0)}
        return loss, grads
