"""The checker core: finite differences, comparison, diagnosis, the check recipe and its results.

Imports no other gradlab subpackage."""
