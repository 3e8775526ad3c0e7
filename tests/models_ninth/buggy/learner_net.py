"""The learner's net of models/learner_net.py with one bug."""
from models.learner_net import LearnerNet


class LearnerNetHalfPenalty(LearnerNet):
    """The penalty's gradient without its 2 (strength * W where 2 * strength * W belongs)."""

    def penalty_gradient(self, W, strength):
        return strength * W
