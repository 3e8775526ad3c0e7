"""A learner's layers, plotted with a library the grader does not have."""
import numpy as np
import seaborn_not_installed_here as sns
from plot_helpers_not_uploaded import show_curve


class Relu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[~self.mask] = 0
        return dx


class Tanh:
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout * (1 + self.y ** 2)


class Sigmoid:
    def forward(self, x):
        self.y = 1 / (1 + np.exp(-x))
        show_curve(self.y)  # the missing helper: this layer cannot run here
        return self.y

    def backward(self, dout):
        return dout * self.y * (1 - self.y)


def plot_losses(losses):
    sns.lineplot(x=range(len(losses)), y=losses)
