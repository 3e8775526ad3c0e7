"""gradlab: is a hand-written backward pass right, and if not, what is the bug?"""

__version__ = "0.1.0"
