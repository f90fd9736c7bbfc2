"""Every namespace mskg uses, named once. These IRIs are a public contract (see README)."""
from __future__ import annotations

from functools import lru_cache

from rdflib import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD, Namespace, URIRef

MSKG = Namespace("https://w3id.org/mskg/ontology#")
ID = Namespace("https://w3id.org/mskg/id/")
OA = Namespace("http://www.w3.org/ns/oa#")
SH = Namespace("http://www.w3.org/ns/shacl#")
SCT = Namespace("http://snomed.info/id/")
ICD10 = Namespace("http://purl.bioontology.org/ontology/ICD10/")
ICD10CM = Namespace("http://purl.bioontology.org/ontology/ICD10CM/")
DCMITYPE = Namespace("http://purl.org/dc/dcmitype/")

ONTOLOGY_IRI = URIRef("https://w3id.org/mskg/ontology")

#: prefix -> namespace, bound on every graph mskg writes (and offered to SPARQL users).
NAMESPACES: dict[str, Namespace] = {
    "mskg": MSKG,
    "id": ID,
    "oa": OA,
    "prov": Namespace(str(PROV)),
    "skos": Namespace(str(SKOS)),
    "time": Namespace(str(TIME)),
    "dct": Namespace(str(DCTERMS)),
    "dcmitype": DCMITYPE,
    "owl": Namespace(str(OWL)),
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "xsd": Namespace(str(XSD)),
    "sct": SCT,
    "icd10": ICD10,
    "icd10cm": ICD10CM,
}

_ID = str(ID)


@lru_cache(maxsize=8192)
def local_id(iri: object) -> str:
    """The short id of an mskg IRI (``id:tennis-elbow`` → ``tennis-elbow``; ``mskg:RedFlag`` → ``RedFlag``)."""
    text = str(iri)
    return text[len(_ID):] if text.startswith(_ID) else text.rsplit("#", 1)[-1]
