"""Diagnosis's questions about the batch: does one sample's output or gradient depend on the others?

A wrong gradient that mixes samples (a sum over the batch where each sample's own is meant, a missing or extra 1/N)
is told from one that does not by running the layer on a larger batch: another sample joining, the other samples'
upstream gradient changing, each sample held twice. Each answer is None when the layer cannot give it.
Non-goal: naming the bug (that is `gradlab.core.diagnose`); the answers are measurements only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from gradlab.core import numeric
from gradlab.core.layer_on_case import LayerOnCase


class SampleQuestions(LayerOnCase):
    """The questions `Evidence` asks of the layer on batches other than the case's own."""

    @property
    def batch_axis(self) -> int:
        """The user's batch axis: 1 for a layer written for samples as columns (its view transposes x), else 0."""
        seen = np.shape(self.show(self.x)) if self.target == "x" else self.x.shape
        return 1 if self.x.ndim == 2 and self.x.shape[0] != self.x.shape[1] and seen == self.x.shape[::-1] else 0

    def output_depends_on_another_sample(self) -> bool | None:
        """Whether sample 0's output changes when another sample joins the batch (None: cannot tell)."""
        if self.t is not None or self.x.ndim < 2 or self.y0.ndim < 1 or self.y0.shape[0] != self.x.shape[0]:
            return None
        # two other samples, one at a time: a shifted copy of sample 0 (a softmax over the batch of saturated
        # logits would not move for a sample far away) and one unlike it (a mean is unmoved by a copy)
        others = (lambda v: v[:1] + 1.0, lambda v: -1.7 * v[:1] + 0.3 * np.std(v) + 0.5)

        def changed() -> bool:
            for other in others:
                batch = np.concatenate([self.x, other(self.x)], axis=0)
                y = self._forward_with_rows(batch, other)
                if y.shape[1:] != self.y0.shape[1:] or y.shape[0] != batch.shape[0]:
                    raise ValueError("not a per-sample output")
                before, after = self.y0, y[:self.y0.shape[0]]
                if not np.allclose(after, before, rtol=1e-9, atol=1e-12 * (1.0 + float(np.abs(before).max()))):
                    return True
            return False

        return self._quietly(changed)

    def _forward_with_rows(self, batch: np.ndarray, other: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """forward on `batch` (x and samples joined after it), with every parameter that holds one row per sample
        (`Kind.batch_params`: an attention's decoder state h, a recurrent step's prev_h) joined by `other` of its
        own rows as well, so that a batch of one can be asked about a second sample; those parameters put back."""
        kind = getattr(self.layer, "kind", None)
        hook = getattr(self.layer, "install_param", None)

        def install(key: str, array: np.ndarray) -> None:  # as the protocol has it (`gradlab.core.protocol`)
            if callable(hook):
                hook(key, array)
            else:
                self.layer.params[key] = array

        joined = {}
        try:
            for key in getattr(kind, "batch_params", ()):
                p = self.layer.params.get(key)
                if isinstance(p, np.ndarray) and p.ndim >= 1 and p.shape[0] == self.x.shape[0] < batch.shape[0]:
                    joined[key] = p
                    install(key, np.concatenate([p] + [other(p)] * (batch.shape[0] - p.shape[0]), axis=0))
            return np.asarray(self.layer.forward(batch, None), dtype=np.float64)
        finally:
            for key, p in joined.items():
                install(key, p)  # gradlab's own array, the very object, back in its place

    def gradient_depends_on_another_upstream(self) -> bool | None:
        """Whether sample 0's dx changes when only the other samples' upstream gradient does (the same forward
        before each backward); None: cannot tell. A layer whose outputs are per sample gives each sample's dx
        from its own dout alone, whatever it does with its own features."""
        G = self.G
        if self.target != "x" or G is None or self.t is not None or self.x.ndim < 2 or G.ndim < 1 \
                or G.shape[0] != self.x.shape[0]:
            return None
        # one more sample, unlike sample 0, so that a batch of one asks the question too
        x = np.concatenate([self.x, -1.3 * self.x[:1] + 0.3 * float(np.std(self.x)) + 0.7], axis=0)
        rng = np.random.default_rng(11)
        size = 1.0 + float(np.std(G))
        first_G = np.concatenate([G, size * rng.standard_normal(G[:1].shape)], axis=0)
        second_G = first_G.copy()
        second_G[1:] = size * rng.standard_normal(second_G[1:].shape)

        def changed() -> bool | None:
            first = self._dx_for(x, first_G)
            second = self._dx_for(x, second_G)
            scale = float(np.abs(first).max(initial=0.0)) + float(np.abs(second).max(initial=0.0))
            same = partial(np.allclose, rtol=1e-9, atol=1e-12 * (1.0 + scale))
            if not same(self._dx_for(x, first_G), first):
                return None  # backward does not repeat itself (state kept between calls): no evidence here
            return not same(first[0], second[0])

        return self._quietly(changed)

    def loss_couples_samples(self) -> bool | None:
        """For a loss: whether sample 0's gradient stops being proportional to its own (the mean's 1/N aside)
        when another sample joins the batch; numeric, 2 calls per element of sample 0."""
        if self.target != "x" or self.t is None or self.n is None or self.y0.size != 1 or self.x.ndim < 2:
            return None
        x0, n0 = self.x[:1], self.n[:1]
        # two other samples, one at a time: near sample 0 (saturated logits still interact), and one unlike it (a
        # softmax over the batch of logits shifted by their row maximum does not see a copy shifted as a whole)
        others = (x0 + 1.0, -1.7 * x0 + 0.3 * float(np.std(self.x)) + 0.5)

        def coupled() -> bool:
            t0 = np.asarray(self.t)[:1]
            # the other sample's label: sample 0's, or the next class (a softmax over the batch of row-max-shifted
            # logits gives sample 0's own label, when it is its row's maximum, the same probability whatever x0 is)
            moved = (t0 + 1) % self.x.shape[-1] if np.issubdtype(t0.dtype, np.integer) and t0.shape == x0.shape[:-1] \
                else np.roll(t0, 1, axis=-1) if t0.shape == x0.shape else t0
            labels = [np.concatenate([self.t, t1], axis=0) for t1 in (t0, moved)]

            def sample0(xs: np.ndarray, ts: Any, stretch: float = 1.0) -> np.ndarray:
                first = xs[:1]  # a view of the batch: perturbed in place, element by element
                return numeric.looped_gradient(lambda: np.asarray(self.layer.forward(xs, ts)), first,
                                               np.ones(1), stretch * self.h[:1]).reshape(-1)  # the check's steps

            alone = np.array(self.x, dtype=np.float64)
            # the finite differences' own noise, from two steps on the case's batch: a layer computing in
            # float32 is ~1e-3 off, which is no coupling (any failing float32 loss was couples-samples)
            first, second = sample0(alone, self.t), sample0(alone, self.t, 1.5)
            noise = float(np.linalg.norm(first - second)) / max(float(np.linalg.norm(first)), 1e-300)
            own = n0.reshape(-1)
            if self._backward_couples(others, labels):
                return True
            for other, t in ((o, t) for o in others for t in labels):
                g = sample0(np.concatenate([self.x, other], axis=0), t)
                if not np.any(own) or not np.any(g):
                    if np.any(own) != np.any(g):
                        return True
                    continue
                c = float(g @ own) / float(own @ own)
                if np.linalg.norm(g - c * own) > max(1e-4, 30 * noise) * np.linalg.norm(g):
                    return True
            return False

        return self._quietly(coupled)

    def _backward_couples(self, others: tuple[np.ndarray, ...], labels: list[Any]) -> bool:
        """Whether backward's own dx for sample 0 changes when only the other sample of a batch of two changes: a
        loss computed right whose backward normalises over the batch axis (a softmax's probabilities over axis 0 in
        dx alone). Exact (no finite differences); batches of one size only, so that a backward depending on the
        batch size alone (np.eye(samples)[y]) is not taken for one mixing samples."""
        G = np.ones(()) if self.G is None else np.asarray(self.G)

        def dx0(other: np.ndarray, ts: Any) -> np.ndarray | None:
            dx, _ = self._backward_after_forward(np.concatenate([self.x, other], axis=0), ts, G.copy())
            return None if dx is None else np.asarray(dx, dtype=np.float64)[:1].reshape(-1)

        for t in labels:
            g1, g2 = dx0(others[0], t), dx0(others[1], t)
            if g1 is None or g2 is None or g1.shape != g2.shape or not np.all(np.isfinite(g1) & np.isfinite(g2)):
                continue
            if not np.any(g1) or not np.any(g2):
                if np.any(g1) != np.any(g2):
                    return True
                continue
            c = float(g2 @ g1) / float(g1 @ g1)
            if np.linalg.norm(g2 - c * g1) > 1e-6 * max(float(np.linalg.norm(g2)), 1e-300):
                return True
        return False

    def factor_on_a_doubled_batch(self, *, max_size: int = 2000) -> float | None:
        """The factor between backward's dx and the true one for the case's samples when the batch holds each
        sample twice (labels and upstream rows repeated): a missing or extra 1/N doubles or halves with the
        batch, a constant (a pooling window's area, a keep ratio) that equals N on this case stays. None: no
        answer (a parameter's gradient, samples as columns, a layer that cannot take the larger batch)."""
        G, N = self.G, self.x.shape[0] if self.x.ndim else 0
        if self.target != "x" or G is None or N < 1 or self.batch_axis != 0 or 2 * self.x.size > max_size:
            return None
        loss = self.y0.size == 1 and G.size == 1
        if not loss and (G.ndim < 1 or G.shape[0] != N):
            return None
        x2 = np.concatenate([self.x, self.x], axis=0)
        t2 = None if self.t is None else np.concatenate([np.asarray(self.t)] * 2, axis=0)
        G2 = np.asarray(G, dtype=np.float64) if loss else np.concatenate([G, G], axis=0)

        def factor() -> float | None:
            def total() -> float:
                y = np.asarray(self.layer.forward(x2, t2), dtype=np.float64)
                if y.shape != G2.shape:
                    raise ValueError("not one output per sample on a larger batch")
                return float(np.sum(G2 * y))

            first, h = x2[:N].reshape(-1), numeric.steps(self.x).reshape(-1)
            n2 = np.empty(first.size)
            for k in range(first.size):
                old = first[k]
                x2[:N].flat[k] = old + h[k]
                up = total()
                x2[:N].flat[k] = old - h[k]
                down = total()
                x2[:N].flat[k] = old
                n2[k] = (up - down) / (2 * h[k])
            dx, _ = self._backward_after_forward(x2.copy(), t2, G2.copy())
            if dx is None or np.shape(dx) != x2.shape:
                raise ValueError("no dx of the larger batch's shape")
            a2 = np.asarray(dx, dtype=np.float64)[:N].reshape(-1)
            if not np.any(n2):
                return None
            return float(a2 @ n2) / float(n2 @ n2)

        return self._quietly(factor)
