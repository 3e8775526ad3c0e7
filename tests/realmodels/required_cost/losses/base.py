class Cost:
    """What every cost offers: its value for an output a and a target y, and the output layer's error."""

    def __call__(self, a, y):
        raise NotImplementedError

    def delta(self, a, y, z):
        raise NotImplementedError
