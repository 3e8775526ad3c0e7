"""A source written to a file and checked through the public CLI's JSON, as the tests of one file's slips need it."""

from __future__ import annotations

import json
from pathlib import Path

from gradlab.cli.main import main


def checked(tmp_path: Path, source: str, *options: str, file: str = "layers.py") -> dict[str, dict]:
    """`gradlab check FILE --examples 8 OPTIONS --json` of `source` written to `tmp_path / file` (an `--examples` in
    OPTIONS wins): each layer's JSON entry by its name."""
    (tmp_path / file).write_text(source, encoding="utf-8")
    out = tmp_path / "out.json"
    main(["check", str(tmp_path / file), "--examples", "8", *options, "--json", str(out)])
    return {layer["name"]: layer for layer in json.loads(out.read_text(encoding="utf-8"))["layers"]}
