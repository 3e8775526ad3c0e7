"""A logging decorator written without functools.wraps: the wrapper takes anything and passes it on."""
import time


def logged(func):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        result = func(*args, **kwargs)
        wrapper.seconds += time.perf_counter() - start
        return result
    wrapper.seconds = 0.0
    return wrapper
