"""The scenario format and its loading: what a scenario file says, checked, with every number's source.

A scenario is read from YAML (strict booleans, no duplicate keys, ``extends:`` merged),
validated into frozen pydantic models and its quotes checked against their articles.
Nothing here imports the engine or any heavy library, so ``negosim validate`` stays fast.

- :mod:`~negosim.scenario.numbers`: ``Number``, one scenario number (plain, with evidence, an
  assumption, a range or a distribution) and the allowed bounds of party numbers;
- :mod:`~negosim.scenario.schema`: the pydantic models of the format, cross-field checks, number paths;
- :mod:`~negosim.scenario.yaml_io`: safe YAML loading, ``extends:``, ``file:line:col`` errors, dumping;
- :mod:`~negosim.scenario.evidence`: quote normalisation and the check that each quote is in its article;
- :mod:`~negosim.scenario.provenance`: every number with its source, quote and confidence.
"""
