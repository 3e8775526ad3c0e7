# Prints 10 MB while being imported, and a little in every call; the layers are correct.
import sys

print("x" * (10 * 2**20))
sys.stderr.write("e" * 2**20)
