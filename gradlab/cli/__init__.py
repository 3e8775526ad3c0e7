"""The `gradlab` command line: `main` in `gradlab.cli.main`, one module per subcommand."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """`gradlab.cli.main`, imported on call so `import gradlab.cli` stays cheap."""
    from gradlab.cli.main import main as run

    return run(argv)
