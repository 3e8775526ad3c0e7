from tinyformer.nn import base, layers  # noqa: F401
