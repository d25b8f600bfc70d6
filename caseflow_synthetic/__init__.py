"""Synthetic registry and business extracts with labelled corruptions.

For ``n`` business records this builds

* a **registry extract** (住民基本台帳): one row per My Number, organised in households
  (parents, children, some twins) so that a wrongly linked number can belong to a real
  family member;
* a **business extract**: one row per record of a linking agency, carrying the registered
  number and the basic four facts as the agency holds them;
* a **truth table** naming the scenario of each record and whether the registered number
  really is the record's person (``same_person``).

It is used by tests, the demo and benchmarks of the grader; it is not part of the application
(only the demo seed, caseflow.seeding, imports it) and it never imports the grader. It uses
caseflow's My Number rules and the extract reader's field labels, so that what it writes is what
an agency would upload.

A seed gives the same data on every run (see :mod:`caseflow_synthetic.randomness`). Modules:
``names``, ``addresses`` and ``households`` (the registry's people), ``scenarios`` (what happened
to each record), ``notation`` (the variants of writing the same), ``chunks`` (one chunk of
registry, records and truth), ``files`` (writing them), ``__main__`` (the command
``python -m caseflow_synthetic --n N --out DIR``).
"""

from caseflow_synthetic.addresses import HYPHENS, NUMERAL_TOWNS
from caseflow_synthetic.chunks import generate
from caseflow_synthetic.files import (
    CP932_SUBSTITUTES,
    JA_HEADERS,
    RECORD_COLUMNS,
    REGISTRY_COLUMNS,
    TRUTH_COLUMNS,
    write_dataset,
)
from caseflow_synthetic.scenarios import SCENARIOS, WRONG_LINKAGE, scenario_counts

__all__ = [
    "CP932_SUBSTITUTES", "HYPHENS", "JA_HEADERS", "NUMERAL_TOWNS", "RECORD_COLUMNS", "REGISTRY_COLUMNS", "SCENARIOS",
    "TRUTH_COLUMNS", "WRONG_LINKAGE", "generate", "scenario_counts", "write_dataset",
]
