from .linear_classifier import *  # noqa: F401,F403
