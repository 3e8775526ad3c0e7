"""The JSON documents gradlab writes, each described by a JSON Schema (draft 2020-12) shipped here.

Every document carries its id in a top-level `"schema"` field, `<name>/<major version>`: fields may
be added within a version; a field renamed, removed or changed in meaning bumps the version. Tools
reading gradlab's output should check that id. `schema(id)` returns the schema as a dict; validate
with any JSON Schema library (the project's tests use `jsonschema`).
Non-goal: producing the documents (each producer builds its own: `gradlab.cases.check_many.Outcome`,
`gradlab.cases.per_sample.batch_document`, the registry report, a user's report, the trainer, the benchmark).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

#: schema id -> the file that describes it
FILES = {
    "gradlab-check/1": "check.schema.json",
    "gradlab-batch/1": "batch.schema.json",
    "gradlab-bench/1": "bench.schema.json",
    "gradlab-registry/1": "registry.schema.json",
    "gradlab-training/1": "training.schema.json",
    "gradlab-report/1": "report.schema.json",
}


def schema(schema_id: str) -> dict[str, Any]:
    """The JSON Schema of documents whose `"schema"` field is `schema_id`; a miss lists the known ids."""
    try:
        name = FILES[schema_id]
    except KeyError:
        raise KeyError(f"no schema {schema_id!r}; gradlab writes: {', '.join(sorted(FILES))}") from None
    result: dict[str, Any] = json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))
    return result
