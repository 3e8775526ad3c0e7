"""The registry of layer implementations, public face: `register`, `register_pair`, `load_reference`, `get`.

The implementation lives in `gradlab.conventions.registry`; this module keeps the short import that
the reference zoo and users' own registries write (`from gradlab.registry import register`).
"""

from gradlab.conventions.registry import Entry, get, load_reference, register, register_pair

__all__ = ["Entry", "get", "load_reference", "register", "register_pair"]
