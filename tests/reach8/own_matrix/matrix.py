"""A pure-Python matrix, the array type of a learner's library."""


class Matrix:
    def __init__(self, rows):
        self.rows = [list(r) for r in rows]

    def map(self, func):
        return Matrix([[func(v) for v in r] for r in self.rows])
