"""A course's set-up helper that makes numpy compute in float32 for the whole process, as the nnfs book's
`nnfs.init()` does: it replaces np.dot and np.zeros. Imported and called at the top of layers.py."""
import numpy as np

_dot, _zeros = np.dot, np.zeros


def setup():
    np.dot = lambda *arrays, **kw: _dot(*[np.asarray(a, dtype=np.float32) for a in arrays], **kw)
    np.zeros = lambda shape, dtype=np.float32, **kw: _zeros(shape, dtype=dtype, **kw)
