"""Subcommands of the `gradlab` command line, one module each.

Each module has `add_parser(subparsers)`, which registers the subcommand and sets `run`, a
function from the parsed arguments to an exit status. Add a module to COMMANDS to add a command.
"""

from __future__ import annotations

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments: printed as one line, exit status 2."""


from gradlab.commands import batch, bench, check, data, demo, grade, gradescope, report, train  # noqa: E402  (after the names the command modules import)

COMMANDS = [check, batch, report, data, train, demo, grade, gradescope, bench]
