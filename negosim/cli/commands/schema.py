"""``negosim schema``: the JSON Schema of the scenario format."""

from __future__ import annotations

import json


def add_parser(sub) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of the scenario format",
                       description="Print the JSON Schema of the scenario format (for editor completion).")
    p.set_defaults(func=run)


def run(args) -> int:
    from negosim.scenario.schema import Scenario
    schema = Scenario.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "negosim scenario"
    print(json.dumps(schema, indent=2))
    return 0
