"""Terminology bindings: the confirmed SNOMED CT / ICD-10 codes in ``kg/terminology.tsv`` and their checks."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib.resources import files

from rdflib import SKOS, URIRef

from ..ontology.namespaces import ICD10, ICD10CM, SCT

TERMINOLOGY_FILE = "terminology.tsv"

SYSTEMS = {"snomed": SCT, "icd10": ICD10, "icd10cm": ICD10CM}
MATCHES = {"exact": SKOS.exactMatch, "close": SKOS.closeMatch, "broad": SKOS.broadMatch}

# Verhoeff tables (dihedral group D5 multiplication, position permutation, inverse).
_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


def verhoeff_valid(number: str) -> bool:
    """True when the last digit of ``number`` is its Verhoeff check digit (as every SNOMED CT id's is)."""
    if not number.isdigit():
        return False
    check = 0
    for i, digit in enumerate(reversed(number)):
        check = _D[check][_P[i % 8][int(digit)]]
    return check == 0


@dataclass(frozen=True)
class Binding:
    """One confirmed code for one mskg concept."""

    concept: str
    system: str
    code: str
    match: str
    source_row: str

    @property
    def iri(self) -> URIRef:
        """The code's IRI, as the biomedical semantic web writes it."""
        return SYSTEMS[self.system][self.code]

    @property
    def predicate(self) -> URIRef:
        """The SKOS mapping property for this binding's match type."""
        return MATCHES[self.match]


class TerminologyError(ValueError):
    """A binding is malformed (unknown system or match type, or a SNOMED CT id failing its check digit)."""


def parse_bindings(text: str) -> list[Binding]:
    """Parse the bindings table (tab-separated, ``#`` comments) and check each row."""
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    bindings = []
    for n, row in enumerate(csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t"), start=2):
        binding = Binding(row["concept"], row["system"], row["code"], row["match"], row["source_row"])
        if binding.system not in SYSTEMS:
            raise TerminologyError(f"row {n}: unknown system {binding.system!r}")
        if binding.match not in MATCHES:
            raise TerminologyError(f"row {n}: unknown match type {binding.match!r}")
        if binding.system == "snomed" and not verhoeff_valid(binding.code):
            raise TerminologyError(f"row {n}: SNOMED CT id {binding.code} fails its Verhoeff check digit")
        bindings.append(binding)
    return bindings


def load_bindings() -> list[Binding]:
    """Load the packaged bindings table."""
    return parse_bindings(files("mskg.kg").joinpath(TERMINOLOGY_FILE).read_text(encoding="utf-8"))
