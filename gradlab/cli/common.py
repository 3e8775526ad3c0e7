"""What every subcommand shares: exit statuses and the usage error.

Each subcommand module has `add_parser(subparsers)`, which registers the subcommand and sets
`run`, a function from the parsed arguments to an exit status; `gradlab.cli.main` lists them.
"""

from __future__ import annotations

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments: printed as one line, exit status 2."""
