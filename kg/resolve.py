"""Resolve what a person types to one concept: by id, preferred label, synonym or SNOMED CT code.

Matching ignores case, punctuation (curly or straight quotes, dashes, slashes), surrounding
whitespace, word order, filler words, contractions, inflections, British/American spelling and small
typing errors (see :class:`Resolver`). When nothing matches, or more than one concept matches equally, the caller gets a
``ResolutionError`` naming the input and the closest candidates, never a guess.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from importlib.resources import files
from itertools import combinations

from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef

from ..ontology.namespaces import ID, MSKG, SCT

#: Kinds of concept a presentation may name (a body site or activity is not something a person "has").
PRESENTATION_ROOTS = ("ClinicalFinding", "Condition")

#: Readable names of the ontology classes concepts and facts are typed with.
_TYPE_LABELS_QUERY = """
SELECT ?class ?label WHERE { ?class a owl:Class ; skos:prefLabel ?label . FILTER(STRSTARTS(STR(?class), STR(mskg:))) }
"""


def normalise(text: str) -> str:
    """Case-fold, drop punctuation and collapse whitespace: 'Numbness “around the bottom/genitals”' -> 'numbness around the bottom genitals'."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"(?<=\w)['’]s\b", "", text)  # possessive 's: "her leg's" is one leg, not legs
    text = text.replace("'", "").replace("’", "")  # can't -> cant
    text = text.replace("&", " and ")  # pins & needles -> pins and needles
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


#: Longest input read, in characters: anything longer is refused before any matching (bounded cost).
MAX_INPUT = 200


@dataclass(frozen=True)
class Lexicon:
    """How people write (kg/lexicon.yaml): phrase rewrites, spellings, irregular forms, fillers, site words, and
    the concepts whose site-less wordings the article uses for one region only (asked about beside another)."""

    phrases: tuple[tuple[str, str], ...]
    spellings: dict[str, str]
    lemmas: dict[str, str]
    fillers: frozenset[str]
    covered_sites: frozenset[str]
    uncovered_sites: frozenset[str]
    negations: frozenset[str]
    others: frozenset[str]
    context: frozenset[str]
    #: (concept id, question, wordings): wordings that name a finding only with the qualifier the article gives
    #: it ("weight loss" may be intended; the article's red flag is *unexplained* weight loss): asked about
    ask: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    site_less: frozenset[str] = frozenset()  # concept ids (see lexicon.yaml ``site_less``)
    site_less_kept: frozenset[str] = frozenset()  # concept ids (see lexicon.yaml ``site_less_kept``)
    #: (side, wordings): how a side of the legs is named ("left", "right", "second": "the other leg"); lexicon
    #: ``both_legs.sides``, read from the input before any rewrite
    sides: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: words that may stand beside a side in an input of its own ("now the other leg too")
    beside: frozenset[str] = frozenset()
    #: one-leg finding id -> the finding the graph names for both legs (lexicon ``both_legs.counterparts``)
    both_legs: tuple[tuple[str, str], ...] = ()
    #: finding id -> the findings whose wordings, inside one of its wordings, are read too (lexicon ``also``)
    also: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: words that say a side of the legs is well ("the other leg is fine"; lexicon ``both_legs.fine``)
    fine: frozenset[str] = frozenset()
    #: words that start a new clause ("numbness in my left leg but the other leg is fine"; ``both_legs.clauses``)
    clauses: frozenset[str] = frozenset()
    #: words that say something is wrong without saying what ("funny", "weird"): never a reason to offer a finding
    #: as the closest match of an input not understood (lexicon ``vague``)
    vague: frozenset[str] = frozenset()
    #: wordings of how symptoms are changing ("not getting better"), longest first (lexicon ``timing.trends``)
    trends: tuple[str, ...] = ()
    #: a regular expression for a duration said in words ("for 8 weeks", "a couple of days ago"; lexicon ``timing``)
    duration: str | None = None


def _duration_pattern(timing: dict) -> str | None:
    """The regular expression of a duration (over normalised text) from the lexicon's ``timing`` words."""
    units = [normalise(w) for w in str(timing.get("units") or "").split()]
    if not units:
        return None
    numbers = [normalise(w) for w in str(timing.get("numbers") or "").split()]
    lead = [normalise(str(w)) for w in timing.get("lead") or ()]
    alt = lambda words: "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))  # noqa: E731
    number = rf"(?:\d+(?:\.\d+)?|{alt(numbers)})(?: (?:{alt(numbers)}|of|and a half))*"
    return rf"(?<!\S)(?:(?:{alt(lead)}) )*{number} ?(?:{alt(units)})(?: ago)?(?!\S)"


@cache
def load_lexicon() -> Lexicon:
    """Read kg/lexicon.yaml (packaged data)."""
    import yaml

    data = yaml.safe_load(files("mskg.kg").joinpath("lexicon.yaml").read_text(encoding="utf-8"))
    phrases = sorted(((normalise(str(k)), normalise(str(v))) for k, v in data["phrases"].items()),
                     key=lambda kv: (-len(kv[0].split()), kv[0]))
    return Lexicon(
        phrases=tuple(phrases),
        spellings={normalise(k): normalise(v) for k, v in data["spellings"].items()},
        lemmas={normalise(k): normalise(v) for k, v in data["lemmas"].items()},
        fillers=frozenset(normalise(w) for w in data["fillers"].split()),
        covered_sites=frozenset(normalise(w) for w in data["covered_sites"].split()),
        uncovered_sites=frozenset(normalise(w) for w in data["uncovered_sites"].split()),
        negations=frozenset(normalise(w) for w in data["negations"].split()),
        others=frozenset(normalise(w) for w in data["others"].split()),
        context=frozenset(normalise(w) for w in data["context"].split()),
        ask=tuple((str(concept), str(entry["question"]), tuple(str(w) for w in entry["wordings"]))
                  for concept, entry in sorted((data.get("ask") or {}).items())),
        site_less=frozenset(str(c) for c in data.get("site_less") or ()),
        site_less_kept=frozenset(str(c) for c in data.get("site_less_kept") or ()),
        sides=tuple((str(side), tuple(normalise(str(w)) for w in wordings))
                    for side, wordings in sorted(((data.get("both_legs") or {}).get("sides") or {}).items())),
        beside=frozenset(normalise(w) for w in str((data.get("both_legs") or {}).get("beside") or "").split()),
        both_legs=tuple(sorted((str(k), str(v)) for k, v in
                               ((data.get("both_legs") or {}).get("counterparts") or {}).items())),
        also=tuple(sorted((str(k), tuple(str(c) for c in v)) for k, v in (data.get("also") or {}).items())),
        fine=frozenset(normalise(w) for w in str((data.get("both_legs") or {}).get("fine") or "").split()),
        clauses=frozenset(normalise(w) for w in str((data.get("both_legs") or {}).get("clauses") or "").split()),
        vague=frozenset(normalise(w) for w in str(data.get("vague") or "").split()),
        trends=tuple(sorted({normalise(str(w)) for w in (data.get("timing") or {}).get("trends") or ()},
                            key=lambda w: (-len(w.split()), w))),
        duration=_duration_pattern(data.get("timing") or {}),
    )


class Reader:
    """Reads a wording into a bag of word stems, the same way for what people type and for every label.

    Order, filler words, contractions, inflections and British/American spelling do not matter
    ("my leg feels weak" and "weakness in one leg" read the same); words that carry meaning (a body
    site, 'both', a negation, 'cannot') are always kept.
    """

    def __init__(self, lexicon: Lexicon):
        import snowballstemmer

        self.lexicon = lexicon
        self._stem = snowballstemmer.stemmer("english").stemWord

    def words(self, text: str) -> list[str]:
        """The input's words after phrase rewrites, spelling variants and irregular forms (not yet stemmed)."""
        key = f" {normalise(text)} "
        for phrase, replacement in self.lexicon.phrases:
            key = key.replace(f" {phrase} ", f" {replacement} ")
        for phrase, replacement in self.lexicon.spellings.items():
            if " " in phrase:
                key = key.replace(f" {phrase} ", f" {replacement} ")
        out: list[str] = []
        for word in key.split():
            word = self.lexicon.spellings.get(word, word)
            out += self.lexicon.lemmas.get(word, word).split()
        return out

    def bag(self, words: Iterable[str]) -> frozenset[str]:
        """The stems of the meaningful words. Words after 'than' are marked, so that "leg hurts more than
        back" and "back hurts more than leg" read differently."""
        out = set()
        prefix = ""
        for w in words:
            if w == "than":
                prefix = "than:"
            elif w not in self.lexicon.fillers:
                out.add(prefix + self._stem(w))
        return frozenset(out)

    def stems(self, words: Iterable[str]) -> frozenset[str]:
        """The stems of ``words`` (for the lexicon's word lists)."""
        return frozenset(self._stem(w) for w in words)


@dataclass(frozen=True)
class Concept:
    """A resolvable concept: its IRI, id, preferred label, synonyms, type and root kind."""

    iri: URIRef
    id: str
    label: str
    synonyms: tuple[str, ...]
    type: str
    root: str
    codes: tuple[str, ...]
    hidden: tuple[str, ...] = ()  # skos:hiddenLabel: misspellings and non-words that match but are never shown
    sites: tuple[str, ...] = ()  # ids of its body sites (mskg:hasBodySite)
    region: str | None = None  # id of its body region (mskg:inRegion), e.g. "region/back-and-leg"


@dataclass(frozen=True)
class Match:
    """A concept that matched an input, and the wording that matched (label, synonym, id or code)."""

    concept: Concept
    matched: str  # the wording of the concept that matched
    how: str  # "id" | "label" | "synonym" | "code" | "spelling" | "both-sides"
    read_as: str | None = None  # for a spelling correction: the corrected input ("siatica" -> "sciatica")
    #: the other findings the input names whole beside this one ("fell heavily onto my elbow": significant trauma and
    #: the elbow's injury), each read too
    also: tuple["Match", ...] = ()
    #: (finding id, question, wording): a wording of the lexicon's ``ask`` found beside what was read ("back pain
    #: after a fall"): the finding it may be is asked about, never read as it and never dropped
    asked: tuple[tuple[str, str, str], ...] = ()
    #: (kind, words): words about how long ("duration": "for 8 weeks") or how symptoms are changing ("trend": "not getting
    #: better") said beside the finding read (lexicon ``timing``): for --duration and --trend, never part of the finding
    timing: tuple[tuple[str, str], ...] = ()


class ResolutionError(ValueError):
    """An input matched no concept, or several equally; carries the input and the closest candidates."""

    def __init__(self, text: str, reason: str, candidates: list[Match], kind: str = "unmatched",
                 timing: tuple[tuple[str, str], ...] = ()):
        self.text = text
        #: words about how long or how symptoms are changing found in the input (see ``Match.timing``)
        self.timing = timing
        self.reason = reason
        self.candidates = candidates
        #: "ambiguous" or "several" when every candidate is a reading of the input (it matches several concepts
        #: equally, asks which one, or names several findings); "unmatched" when the candidates are only the
        #: closest wordings (spelling neighbours)
        self.kind = kind
        listing = "; ".join(f"{m.concept.label} ({m.concept.id})" for m in candidates) or "none"
        super().__init__(f"{reason}: {text!r}. Closest matches: {listing}")


def _similarity(a: str, b: str, **_: object) -> float:
    """How alike two wordings look, 0-100: rapidfuzz's weighted ratio (good at a word inside a longer
    wording) averaged with the plain ratio of the whole strings, so that a shared fragment ("rf-", "numb")
    does not rank a different wording level with the intended one."""
    from rapidfuzz import fuzz

    return (fuzz.WRatio(a, b) + fuzz.ratio(a, b)) / 2


class Resolver:
    """An index of the graph's clinical concepts by every wording a person may use.

    A wording is matched, in order: exactly (id, label, synonym, hidden label or SNOMED CT code, after
    :func:`normalise`); then as a bag of word stems (:class:`Reader`: any order, without filler words,
    contractions and inflections); then with typing errors corrected word by word (rapidfuzz, at most one
    edit in a short word and two in a long one, and only when one known word is nearest). A match must name
    every meaningful word of the input: nothing is dropped to force a match, so a hand is never read as a
    leg. An input made of whole wordings of several findings reads each (``Match.also``: the fewest that cover
    it), and a wording the lexicon asks about found beside them is asked about (``Match.asked``). Anything else
    is a ``ResolutionError`` saying why, with the closest concepts.
    """

    def __init__(self, concepts: Iterable[Concept], lexicon: Lexicon | None = None,
                 regions: dict[str, str] | None = None):
        self.concepts = {c.id: c for c in concepts}
        self.lexicon = lexicon if lexicon is not None else load_lexicon()
        self.regions = dict(regions or {})  # region id -> its label ("region/back-and-leg" -> "low back and leg")
        self._keys: dict[str, list[tuple[Concept, str, str]]] = {}
        self._bags: dict[frozenset[str], list[tuple[Concept, str, str]]] = {}
        self._vocabulary: set[str] = set()
        reader = self.reader
        hidden_words: set[str] = set()
        self._stem_owners: dict[str, set[str]] = {}  # word stem -> the concepts whose wordings use it
        own_stems: dict[str, set[str]] = {}
        for concept in self.concepts.values():
            for wording, how in [(concept.label, "label"), *((w, "synonym") for w in concept.synonyms),
                                 *((w, "synonym") for w in concept.hidden)]:
                self._index(concept, wording, how)
                if wording not in concept.hidden:  # hidden labels match as they are, never as a correction
                    self._vocabulary.update(normalise(wording).split())
                else:
                    hidden_words.update(normalise(wording).split())
                wording_bag = reader.bag(reader.words(wording))
                for stem in wording_bag:
                    self._stem_owners.setdefault(stem, set()).add(concept.id)
                own_stems.setdefault(concept.id, set()).update(wording_bag)
                entries = self._bags.setdefault(wording_bag, [])
                if all(c.id != concept.id for c, _, _ in entries):
                    entries.append((concept, wording, how))
            for code in concept.codes:
                self._index(concept, code, "code")
            self._index(concept, concept.id, "id")
        # a concept's own words include those of its body sites ("lower back" for back muscle spasm)
        for concept in self.concepts.values():
            for site in concept.sites:
                if site in own_stems:
                    own_stems.setdefault(concept.id, set()).update(own_stems[site])
        self._own_stems = {k: frozenset(v) for k, v in own_stems.items()}
        self._context_stems = reader.stems(self.lexicon.context)
        lexicon = self.lexicon
        rewritten = {w for phrase, _ in lexicon.phrases for w in phrase.split()} | set(lexicon.spellings) \
            | set(lexicon.lemmas)
        # the words of the wordings asked about ("tripped", "slipped") and of context ("deadlifts") are known words:
        # never "corrected" into another word ("tripped" is not a misspelt "trapped")
        asked_words = {w for _, _, wordings in lexicon.ask for wording in wordings for w in normalise(wording).split()}
        self._known = (self._vocabulary | hidden_words | rewritten | lexicon.fillers | lexicon.covered_sites
                       | lexicon.uncovered_sites | lexicon.negations | lexicon.others | _TIME_WORDS | asked_words
                       | lexicon.context | lexicon.fine | lexicon.vague)
        # the words either side of a clause word inside a wording ("pins and needles", "left and right"): never a
        # clause break there
        joined = [normalise(w) for c in self.concepts.values() for w in (c.label, *c.synonyms)]
        joined += [w for pair in lexicon.phrases for w in pair] + [w for _, ws in lexicon.sides for w in ws]
        self._joined = frozenset((words[i - 1], word, words[i + 1]) for wording in joined
                                 for words in [wording.split()] for i, word in enumerate(words)
                                 if word in lexicon.clauses and 0 < i < len(words) - 1)
        #: (finding id, question, ((wording, its bag), ...)) for the lexicon's ``ask``
        self._ask_bags = tuple((concept_id, question, tuple((w, b) for w in wordings
                                                            if (b := reader.bag(reader.words(w)))))
                               for concept_id, question, wordings in lexicon.ask)
        self._targets = sorted(self._vocabulary | lexicon.fillers | rewritten | lexicon.covered_sites
                               | lexicon.uncovered_sites | lexicon.negations)
        self._targets_by_initial: dict[str, list[str]] = {}
        for word in self._targets:
            self._targets_by_initial.setdefault(word[0], []).append(word)

    @property
    def reader(self) -> Reader:
        reader = self.__dict__.get("_reader")
        if reader is None:
            reader = self.__dict__["_reader"] = Reader(self.lexicon)
        return reader

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_reader", None)  # rebuilt on first use; the stemmer is not data
        state.pop("_key_bag_cache", None)
        return state

    def _index(self, concept: Concept, wording: str, how: str) -> None:
        key = normalise(wording)
        entries = self._keys.setdefault(key, [])
        if all(c.id != concept.id for c, _, _ in entries):
            entries.append((concept, wording, how))

    def lookup(self, text: str, roots: Iterable[str] | None = None) -> list[Match]:
        """Every concept (of the given root kinds) that ``text`` names exactly, after normalisation."""
        key = normalise(text)
        if key.startswith("sct "):
            key = key[4:]
        allowed = set(roots) if roots is not None else None
        return [Match(c, wording, how) for c, wording, how in self._keys.get(key, [])
                if allowed is None or c.root in allowed]

    def _by_bag(self, bag: frozenset[str], allowed: set[str] | None) -> list[tuple[Concept, str, str]]:
        return [e for e in self._bags.get(bag, []) if allowed is None or e[0].root in allowed]

    def _correct(self, words: list[str]) -> list[str] | None:
        """The (normalised) words with typing errors corrected, or None when nothing could be (or needed to be)."""
        from rapidfuzz.distance import DamerauLevenshtein
        from rapidfuzz.process import extract

        changed = False
        out = []
        for word in words:
            if word in self._known or len(word) < 4 or word.isdigit():
                out.append(word)
                continue
            limit = 1 if len(word) <= 5 else 2
            # typing errors rarely change the first letter: only words that start alike are candidates
            targets = self._targets_by_initial.get(word[0], ())
            found = extract(word, targets, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=None)
            if not found:
                return None
            best = min(score for _, score, _ in found)
            nearest = sorted(choice for choice, score, _ in found if score == best)
            # equally near: a swap of two letters, then the same length, else do not guess
            swapped = [c for c in nearest if sorted(c) == sorted(word)]
            same_length = [c for c in nearest if len(c) == len(word)]
            nearest = swapped if len(swapped) == 1 else same_length if len(same_length) == 1 else nearest
            if len(nearest) != 1:
                return None
            out.append(nearest[0])
            changed = True
        return out if changed else None

    def resolve_match(self, text: str, roots: Iterable[str] | None = PRESENTATION_ROOTS) -> Match:
        """The one concept ``text`` names, and how it matched; raise ``ResolutionError`` otherwise.

        A one-leg finding said of both legs in one input ("weakness in my right leg and now the other leg too")
        is read as its both-legs counterpart (lexicon ``both_legs``; ``how`` is ``both-sides``)."""
        match = self._resolve_match(text, roots)
        counterpart = self.both_legs_of(match.concept.id)
        if counterpart is not None and self.names_both_legs([text]):
            return replace(match, concept=counterpart, matched=counterpart.label, how="both-sides",
                           read_as=counterpart.label)
        return match

    def also_named(self, text: str, match: Match) -> list[Match]:
        """The other findings ``text`` names whole beside the one it was read as: those the resolver read beside it
        ("fell heavily onto my elbow": the elbow's injury beside significant trauma), and, of each finding read, those
        the lexicon's ``also`` lists whose wording is inside it ("leg pain aggravated by coughing" is leg pain too).
        Each is shown by the wording of it that was found."""
        out = list(match.also)
        read = {match.concept.id} | {m.concept.id for m in out}
        also = dict(self.lexicon.also)
        bag = self.reader.bag(self.reader.words(text))
        for concept_id in [c for m in (match, *match.also) for c in also.get(m.concept.id, ())]:
            concept = self.concepts.get(concept_id)
            if concept is None or concept_id in read:
                continue
            wordings = [(concept.label, "label"), *((w, "synonym") for w in concept.synonyms)]
            found = [(w, how) for w, how in wordings if (b := self.reader.bag(self.reader.words(w))) and b <= bag]
            if found:
                wording, how = max(found, key=lambda f: (len(self.reader.bag(self.reader.words(f[0]))), f[1] == "label"))
                out.append(Match(concept, wording, how, wording))
                read.add(concept_id)
        return out

    def both_legs_of(self, concept_id: str) -> Concept | None:
        """The finding the graph names for both legs, for a one-leg finding (lexicon ``both_legs``), else None."""
        counterpart = dict(self.lexicon.both_legs).get(concept_id)
        return self.concepts.get(counterpart) if counterpart is not None else None

    def _side_clauses(self, text: str) -> list[tuple[frozenset[str], bool]]:
        """The clauses of ``text`` (split at punctuation and at the lexicon's clause words, "but", "while", "and" …,
        never inside a wording: "left and right", "pins and needles"), each as (the sides it names, whether it says
        them well).

        A clause says its side is well when it has a word of ``both_legs.fine`` ("the other leg is fine"), no
        negation ("the other leg is not fine", "doesn't feel normal") and names one kind of side only: "numb left leg
        right leg fine" is not read as saying which leg is well (over-calling both legs is the safer reading)."""
        lexicon = self.lexicon
        pieces: list[list[str]] = []
        for piece in re.split(r"[,;.!?:()\[\]/]+|\s[-–—]+\s", text):
            words = normalise(piece).split()
            current: list[str] = []
            for i, word in enumerate(words):
                inside = bool(current) and i + 1 < len(words) and (current[-1], word, words[i + 1]) in self._joined
                if word in lexicon.clauses and not inside:
                    if current:
                        pieces.append(current)
                    current = []
                    continue
                current.append(word)
            if current:
                pieces.append(current)
        negations = lexicon.negations
        out = []
        unplaced = False  # a clause that says something of no side ("the other leg is fine but getting weak")
        for words in pieces:
            key = f" {' '.join(words)} "
            sides = frozenset(side for side, wordings in lexicon.sides if any(f" {w} " in key for w in wordings))
            read = set(self.reader.words(" ".join(words)))  # "isn't" -> "is not"
            well = (bool(read & lexicon.fine) and not read & negations and len(sides) == 1)
            unplaced = unplaced or (not sides and bool(self._rest_beside_sides(" ".join(words)) - lexicon.fine))
            out.append((sides, well))
        if unplaced:
            # what is said of no side may be said of the leg said to be well: both are read, the safer reading
            return [(sides, False) for sides, _ in out]
        return out

    def sides_named(self, text: str) -> frozenset[str]:
        """The sides of the legs ``text`` names ("left", "right", "second" for "the other leg"), read from its words
        before any rewrite (the lexicon reads "left leg" as "one leg"); a side said to be well ("the other leg is
        fine") is not one of them."""
        return frozenset().union(*(sides for sides, well in self._side_clauses(text) if not well))

    def sides_said_well(self, text: str) -> frozenset[str]:
        """The sides of the legs ``text`` says are well ("numbness in my left leg, the other leg is fine": the second),
        and names nowhere else."""
        clauses = self._side_clauses(text)
        return (frozenset().union(*(sides for sides, well in clauses if well))
                - frozenset().union(*(sides for sides, well in clauses if not well)))

    def names_both_legs(self, texts: Iterable[str]) -> bool:
        """Whether ``texts`` together name two legs: the left and the right, or a second one ("the other leg")."""
        sides = frozenset().union(*(self.sides_named(t) for t in texts))
        return "second" in sides or {"left", "right"} <= sides

    def names_only_a_well_side(self, text: str) -> bool:
        """Whether ``text`` says a side of the legs is well and nothing else ("the other leg is fine", "my right leg is
        ok"): said beside a one-leg finding, it says that finding is not in both legs."""
        if not self.sides_said_well(text) or self.sides_named(text):
            return False
        return not self._rest_beside_sides(text) - self.lexicon.fine

    def _rest_beside_sides(self, text: str) -> set[str]:
        key = f" {normalise(text)} "
        for _, wordings in self.lexicon.sides:
            for wording in wordings:
                key = key.replace(f" {wording} ", " ")
        lexicon = self.lexicon
        return set(key.split()) - lexicon.beside - lexicon.fillers - lexicon.clauses - {"leg", "legs", "foot", "feet",
                                                                                          "side", "one"}

    def names_only_a_side(self, text: str) -> bool:
        """Whether ``text`` names a side of the legs and nothing else ("now the other leg too", "my left leg as
        well"): said beside a one-leg finding, it says that finding is on that side too."""
        if not self.sides_named(text):
            return False
        return not self._rest_beside_sides(text)

    def timing_in(self, text: str) -> tuple[tuple[tuple[str, str], ...], str]:
        """The words of ``text`` about how long symptoms have lasted or how they are changing (lexicon ``timing``), as
        (kind, words) with kind "duration" or "trend", and the text without them (normalised)."""
        key = f" {normalise(text)} "
        found: list[tuple[int, str, str]] = []
        for trend in self.lexicon.trends:
            while f" {trend} " in key:
                at = key.index(f" {trend} ")
                found.append((at, "trend", trend))
                key = key[:at] + " " + "_" * len(trend) + " " + key[at + len(trend) + 2:]
        if self.lexicon.duration:
            for m in re.finditer(self.lexicon.duration, key):
                found.append((m.start(), "duration", m.group(0)))
            key = re.sub(self.lexicon.duration, lambda m: "_" * len(m.group(0)), key)
        rest = " ".join(w for w in key.split() if set(w) != {"_"})
        return tuple((kind, words) for _, kind, words in sorted(found)), rest

    def _resolve_match(self, text: str, roots: Iterable[str] | None = PRESENTATION_ROOTS) -> Match:
        """:meth:`_resolve_words`, with the words about how long or how symptoms are changing (lexicon ``timing``) set
        aside: an input read whole keeps those its wordings do not use as ``Match.timing`` ("back pain for 8 weeks"); an
        input not read whole is read without them ("back pain for 8 weeks not getting better": not an absence)."""
        timing, rest = self.timing_in(text) if len(text) <= MAX_INPUT else ((), "")
        try:
            match = self._resolve_words(text, roots)
        except ResolutionError as exc:
            if not timing or exc.kind != "unmatched":
                raise  # read, but as several findings or a question: its own words say what to ask
            if not rest or not self.reader.bag(self.reader.words(rest)):
                raise ResolutionError(text, "says how long or how it is changing, not what: give that with --duration "
                                            "or --trend, and the finding itself with --finding", [], "unmatched",
                                      timing) from exc
            try:
                match = self._resolve_words(rest, roots)
            except ResolutionError as inner:
                raise ResolutionError(text, inner.reason, inner.candidates, inner.kind, timing) from exc
            return replace(match, timing=timing)
        used = frozenset().union(self._wording_bag(match.matched), *(self._wording_bag(m.matched) for m in match.also),
                                 *(self._wording_bag(w) for _, _, w in match.asked))
        timing = tuple((kind, words) for kind, words in timing if not self._wording_bag(words) <= used)
        return replace(match, timing=timing) if timing else match

    def _wording_bag(self, wording: str) -> frozenset[str]:
        return self.reader.bag(self.reader.words(wording))

    def _resolve_words(self, text: str, roots: Iterable[str] | None = PRESENTATION_ROOTS) -> Match:
        roots = tuple(roots) if roots is not None else None
        if len(text) > MAX_INPUT:
            raise ResolutionError(text[:40] + "…", f"too long ({len(text)} characters; at most {MAX_INPUT})", [])
        if not normalise(text):
            raise ResolutionError(text, "empty input", [])
        matches = self.lookup(text, roots)
        if len(matches) > 1:
            raise ResolutionError(text, "ambiguous input matches several concepts equally", matches, "ambiguous")
        if matches:
            return matches[0]
        other_kind = self.lookup(text, None)
        if other_kind and roots is not None:
            kinds = ", ".join(sorted({m.concept.type for m in other_kind}))
            raise ResolutionError(text, f"not a finding or condition (it is a {kinds})", self.closest(text, roots))
        allowed = set(roots) if roots is not None else None
        words = self.reader.words(text)
        bag = self.reader.bag(words)
        # a typing error is corrected before anything else is read as context around a known wording
        corrected = self._correct(normalise(text).split()) if bag else None
        if corrected is not None:
            words = words + self.reader.words(" ".join(corrected))
            bag = self.reader.bag(self.reader.words(" ".join(corrected)))
        if bag:
            found = self._by_bag(bag, allowed)
            contained = False
            beside: list[tuple[Concept, str, str]] = []  # further findings named whole in the input
            asked: tuple[tuple[str, str, str], ...] = ()
            if not found:
                found, several = self._contained(bag, allowed)
                also = dict(self.lexicon.also)
                # several findings, one of which reads the others too (lexicon ``also``): that one, with the rest
                lead = [e for e in several if {c.id for c, _, _ in several} - {e[0].id} <= set(also.get(e[0].id, ()))]
                if several and lead:
                    found, several = lead[:1], []
                if not found:
                    # whole wordings of several findings, or of a finding and a wording asked about ("back pain after
                    # a fall"): each read (or asked about), rather than refused (HAZ-32, HAZ-36)
                    compound = self._compound(bag, allowed)
                    if compound is not None:
                        (first, *beside), asked = compound
                        found, several = [first], []
                elif len(found) == 1:
                    # one finding read, with words around it that are not another finding's: a wording asked about
                    # among them ("took a tumble") is asked about too
                    asked = self._asked_beside(bag, [found[0][0].id], self._own_bag(found[0]))
                if several:
                    raise ResolutionError(text, "names several findings: give each as its own finding",
                                          [Match(c, w, h) for c, w, h in several], "several")
                contained = bool(found)
            if len(found) > 1:
                raise ResolutionError(text, "ambiguous input matches several concepts equally",
                                      [Match(c, w, h) for c, w, h in found], "ambiguous")
            if found:
                concept, wording, how = found[0]
                more = tuple(Match(c, w, h, w) for c, w, h in beside)
                if corrected is not None:
                    return Match(concept, wording, "spelling", " ".join(corrected), more, asked)
                return Match(concept, wording, how, wording if contained else None, more, asked)
        raise self._unresolved(text, words, bag, roots)

    def _own_bag(self, entry: tuple[Concept, str, str]) -> frozenset[str]:
        """The word stems of an (concept, wording, how) entry's wording."""
        return self.reader.bag(self.reader.words(entry[1]))

    def _asks_in(self, bag: frozenset[str]) -> list[tuple[str, str, str, frozenset[str]]]:
        """The lexicon's ``ask`` wordings all of whose words are in ``bag``: (finding id, question, wording, its bag)."""
        refusing = self.reader.stems(self.lexicon.negations | self.lexicon.others)
        return [(concept_id, question, wording, b) for concept_id, question, wordings in self._ask_bags
                for wording, b in wordings if b <= bag and not (bag - b) & refusing]

    def _asked_beside(self, bag: frozenset[str], read: Iterable[str], used: frozenset[str]
                      ) -> tuple[tuple[str, str, str], ...]:
        """The wordings asked about (lexicon ``ask``) found in ``bag`` beside the findings read (ids ``read``, whose
        wordings use the stems ``used``): one per finding asked about, its widest wording; none whose finding was
        read, nor any whose words are all in the wordings read ("fell heavily" is significant trauma, no question)."""
        read = set(read)
        out: dict[str, tuple[str, str, str, frozenset[str]]] = {}
        for concept_id, question, wording, b in self._asks_in(bag):
            if concept_id in read or concept_id not in self.concepts or not b - used:
                continue
            if concept_id not in out or (len(b), wording) > (len(out[concept_id][3]), out[concept_id][2]):
                out[concept_id] = (concept_id, question, wording, b)
        return tuple((c, q, w) for c, q, w, _ in sorted(out.values()))

    def _compound(self, bag: frozenset[str], allowed: set[str] | None
                  ) -> tuple[list[tuple[Concept, str, str]], tuple[tuple[str, str, str], ...]] | None:
        """An input made of whole wordings of several findings, or of findings and wordings the lexicon asks about
        (with context around them): "fell heavily onto my elbow" (significant trauma, and the elbow's injury),
        "sciatica worse when I sneeze", "back pain after a fall" (back pain, and the question whether it was a heavy
        fall). Returns (the findings read, widest first; the wordings asked about), or None when the input is not
        read this way (nothing in it, a word of another finding or a body site the article does not cover left over,
        or two different sets of findings that would read it equally).

        Of the widest finding wordings inside the input, those inside a wording asked about are the question's
        ("landed on my back" is a fall, not back pain). The findings read are the fewest whose wordings cover every
        word the finding wordings cover: "back pain with numbness in my leg" is back pain and numbness in the leg,
        not also leg pain."""
        refusing = self.reader.stems(self.lexicon.negations | self.lexicon.others)
        uncovered = self.reader.stems(self.lexicon.uncovered_sites)
        asks = self._asks_in(bag)
        candidates = []
        for wording_bag, entries in self._bags.items():
            if not wording_bag or not wording_bag <= bag or (bag - wording_bag) & refusing:
                continue
            if any(wording_bag <= b for _, _, _, b in asks):
                continue  # a word of a fall ("landed on my back"): asked about, never read as a finding
            for concept, wording, how in entries:
                if allowed is None or concept.root in allowed:
                    candidates.append((wording_bag, concept, wording, how))
        widest = [c for c in candidates if not any(c[0] < other[0] for other in candidates)]
        covered: dict[str, frozenset[str]] = {}
        for wording_bag, concept, _, _ in widest:
            covered[concept.id] = covered.get(concept.id, frozenset()) | wording_bag
        if not covered or len(covered) > 8:
            return None
        everything = frozenset().union(*covered.values())
        covers = []
        for size in range(1, len(covered) + 1):
            covers = [set(combo) for combo in combinations(sorted(covered), size)
                      if frozenset().union(*(covered[c] for c in combo)) == everything]
            if covers:
                break
        if len(covers) != 1:
            return None  # two readings as good as each other: not a choice
        (chosen,) = covers
        own = frozenset().union(*(self._own_stems.get(c, frozenset()) for c in chosen))
        asking = frozenset().union(*(b for c, _, _, b in asks if c not in chosen))
        rest = bag - everything - asking
        if rest & (uncovered | refusing) or {s for s in rest - own - self._context_stems if s in self._stem_owners}:
            return None
        best: dict[str, tuple[frozenset[str], Concept, str, str]] = {}
        for entry in widest:
            if entry[1].id in chosen:
                current = best.get(entry[1].id)
                key = (len(entry[0]), entry[3] == "label", entry[2])
                if current is None or key > (len(current[0]), current[3] == "label", current[2]):
                    best[entry[1].id] = entry
        read = sorted(best.values(), key=lambda e: (-len(covered[e[1].id]), e[2]))
        asked = self._asked_beside(bag, chosen, everything)
        if len(read) == 1 and not asked:
            return None  # one finding with nothing else: _contained's to read (it was not)
        return [e[1:] for e in read], asked

    def _contained(self, bag: frozenset[str], allowed: set[str] | None
                   ) -> tuple[list[tuple[Concept, str, str]], list[tuple[Concept, str, str]]]:
        """Wordings all of whose words are in ``bag`` (the rest being context such as "when I walk").

        The longest such wordings (by inclusion) must all name one concept; the words left over may not
        negate it, name someone else, or name a body site the wording does not anchor (a hand complaint
        never becomes a leg finding). Returns (the match, or []), and the competing matches when the
        input names several findings.
        """
        refusing = self.reader.stems(self.lexicon.negations | self.lexicon.others)
        uncovered = self.reader.stems(self.lexicon.uncovered_sites)
        candidates = []
        for wording_bag, entries in self._bags.items():
            if not wording_bag or not wording_bag < bag or (bag - wording_bag) & refusing:
                continue
            for concept, wording, how in entries:
                if allowed is None or concept.root in allowed:
                    candidates.append((wording_bag, concept, wording, how))
        widest = [c for c in candidates if not any(c[0] < other[0] for other in candidates)]
        if not widest:
            return [], []
        covered: dict[str, frozenset[str]] = {}
        for wording_bag, concept, _, _ in widest:
            covered[concept.id] = covered.get(concept.id, frozenset()) | wording_bag
        # the concept whose wordings account for most of the input; a tie between concepts is not a choice
        ranked = sorted(covered.items(), key=lambda kv: -len(kv[1]))
        if len(ranked) == 1 or len(ranked[0][1]) > len(ranked[1][1]):
            concept_id, used = ranked[0]
            rest = bag - used
            # what is left over is context ("when I walk"): never a site the article does not cover, and never
            # a word of another concept's wordings that this one's do not use ("bowel" in "bowel cancer",
            # "elbow" in "pins and needles in my elbow", "both" in "bilateral radicular pain")
            own = self._own_stems.get(concept_id, frozenset())
            foreign = {stem for stem in rest - own - self._context_stems if stem in self._stem_owners}
            if not (rest & uncovered or foreign):
                best = max((c for c in widest if c[1].id == concept_id),
                           key=lambda c: (len(c[0]), c[3] == "label", c[2]))
                return [best[1:]], []
        if len(ranked) == 1:
            return [], []
        seen: dict[str, tuple[Concept, str, str]] = {}
        for _, concept, wording, how in sorted(widest, key=lambda c: (-len(c[0]), c[2])):
            seen.setdefault(concept.id, (concept, wording, how))
        return [], list(seen.values())

    def names_site(self, text: str) -> bool:
        """Whether ``text`` names a body site, covered or not ("my leg", "legs", "tingly toes"), read as every
        wording is (phrases, spellings, irregular forms, stems), so that a wording naming none can be asked about."""
        lexicon = self.lexicon
        sites = lexicon.covered_sites | lexicon.uncovered_sites
        words = self.reader.words(text)
        return bool(set(words) & sites or self.reader.stems(words) & self.reader.stems(sites))

    def region_label(self, region: str) -> str:
        """The readable name of a region id ("region/elbow-and-forearm" -> "elbow and forearm")."""
        return self.regions.get(region) or region.rsplit("/", 1)[-1].replace("-", " ")

    def resolve(self, text: str, roots: Iterable[str] | None = PRESENTATION_ROOTS) -> Concept:
        """The one concept ``text`` names; raise ``ResolutionError`` with the closest candidates otherwise (and when it
        names several findings, each read by :meth:`resolve_match`: one concept cannot stand for them)."""
        match = self.resolve_match(text, roots)
        if match.also:
            raise ResolutionError(text, "names several findings: give each as its own finding", [match, *match.also],
                                  "several")
        return match.concept

    def _unresolved(self, text: str, words: list[str], bag: frozenset[str], roots) -> ResolutionError:
        """Why ``text`` names no concept, in plain words, with the closest concepts (or, when it is part of
        several findings' wordings, up to eight of those findings, by label)."""
        lexicon = self.lexicon
        closest = self.closest(text, roots)
        uncovered = [w for w in words if w in lexicon.uncovered_sites]
        if uncovered:
            spelled = {replacement: phrase for phrase, replacement in reversed(lexicon.phrases)}
            named = ", ".join(dict.fromkeys(spelled.get(w, w) for w in uncovered))
            return ResolutionError(text, f"the article does not cover this body site ({named}): it covers the low "
                                         "back and legs, and the elbow", closest)
        if any(w in lexicon.others for w in words):
            return ResolutionError(text, "reads as about someone else: report what you have yourself", closest)
        if any(w in lexicon.negations for w in words):
            return ResolutionError(text, "reads as something not present: report it as absent (--absent)", closest)
        for concept_id, question, wordings in self._ask_bags:
            concept = self.concepts.get(concept_id)
            inside = [b for _, b in wordings if b <= bag]
            # its wordings, with nothing else but context around them ("fell off my bike yesterday", "playing
            # football", "slipped on ice and landed on my back")
            if concept is not None and bag and inside and not (bag - frozenset().union(*inside) - self._context_stems):
                # the finding it may be, alone: never read as it, never dropped without saying so (spelling
                # neighbours of a known wording are noise: "lost weight" is not faecal incontinence)
                return ResolutionError(text, f"ambiguous: {question}", [Match(concept, concept.label, "label")],
                                       "ambiguous")
        if bag:
            allowed = set(roots) if roots is not None else None
            wider = {}
            for other, entries in self._bags.items():
                if bag < other:
                    for concept, wording, how in entries:
                        if allowed is None or concept.root in allowed:
                            wider.setdefault(concept.id, Match(concept, wording, how))
            if len(wider) > 1:
                ranked = sorted(wider.values(), key=lambda m: m.concept.label)
                return ResolutionError(text, "ambiguous: it could be any of several findings; say more "
                                             "(for example where, or one side or both)", ranked[:8],
                                       kind="ambiguous")
        return ResolutionError(text, "unknown finding or condition", closest)

    def closest(self, text: str, roots: Iterable[str] | None = None, limit: int = 5) -> list[Match]:
        """Concepts whose wordings look most like ``text``, best first.

        When words of the input (other than fillers and the lexicon's ``vague`` words, "funny", "weird") are words of
        some concepts' wordings, only those concepts are offered, ranked by how many of the input's words their
        nearest wording shares with it (over all the words of both) and then by how alike the two look: "peeing
        funny" is offered the bladder's findings, not "elbow is a funny shape". Otherwise (a typing error, a word no
        wording uses) the concepts whose wordings look most alike (rapidfuzz), if any looks alike enough."""
        from rapidfuzz import process

        key = normalise(text)
        if not key:
            return []
        allowed = set(roots) if roots is not None else None
        bag = self.reader.bag(self.reader.words(text)) - self.reader.stems(self.lexicon.vague)
        sharing = {c for stem in bag for c in self._stem_owners.get(stem, ())
                   if allowed is None or self.concepts[c].root in allowed}
        scored: dict[str, tuple[float, Match]] = {}
        if sharing:
            for choice, entries in self._keys.items():
                for concept, wording, how in entries:
                    if concept.id not in sharing or wording in concept.hidden:
                        continue
                    other = self._key_bag(choice)
                    score = 100 * len(bag & other) / len(bag | other) + _similarity(key, choice)
                    if concept.id not in scored or score > scored[concept.id][0]:
                        scored[concept.id] = (score, Match(concept, wording, how))
        else:
            choices = [k for k, entries in self._keys.items()
                       if any(allowed is None or c.root in allowed for c, _, _ in entries)]
            # the 40 closest wordings, best first: a concept keeps its best-scoring wording
            for choice, score, _ in process.extract(key, choices, scorer=_similarity, limit=40, score_cutoff=55):
                for concept, wording, how in self._keys[choice]:
                    if allowed is None or concept.root in allowed:
                        scored.setdefault(concept.id, (score, Match(concept, wording, how)))
        ranked = sorted(scored.values(), key=lambda item: (-item[0], item[1].concept.id))
        return [match for _, match in ranked[:limit]]

    def _key_bag(self, key: str) -> frozenset[str]:
        """The word stems of an indexed wording (cached)."""
        cache = self.__dict__.setdefault("_key_bag_cache", {})
        if key not in cache:
            cache[key] = self.reader.bag(self.reader.words(key))
        return cache[key]

    def search(self, text: str, limit: int = 20) -> list[Match]:
        """Concepts matching ``text`` as a phrase inside any wording, or failing that the closest ones.

        Concepts ``text`` names exactly come first, shown by the wording that matched; then those whose label
        holds the phrase, shortest label first ("elbow": "elbow pain" and "tennis elbow" before "elbow still
        bends and straightens fully"), then those found by a synonym, code or id only; each by label within
        its group, and each shown by a wording containing the phrase: a label rather than a synonym, a synonym
        rather than a code, a code rather than an id (of equals, the first in alphabetical order). Hidden
        labels match but are never shown: a concept named exactly by one is shown by its label.
        """
        key = normalise(text)
        if not key:
            return []
        found: dict[str, Match] = {}
        exact = [Match(m.concept, m.concept.label, "label") if m.matched in m.concept.hidden else m
                 for m in self.lookup(text)]
        for match in exact:
            found[match.concept.id] = match
        preference = ("label", "synonym", "code", "id")
        for candidate_key, entries in sorted(self._keys.items()):
            if re.search(rf"(^| ){re.escape(key)}( |$)", candidate_key):
                for concept, wording, how in entries:
                    if wording in concept.hidden:
                        continue  # hidden labels match but are never shown
                    current = found.get(concept.id)
                    if current is None or (current not in exact
                                           and preference.index(how) < preference.index(current.how)):
                        found[concept.id] = Match(concept, wording, how)
        if not found:
            return self.closest(text, None, limit)
        ordered = sorted(found.values(), key=lambda m: (False, False, 0, m.concept.label.casefold()) if m in exact
                         else (True, m.how != "label", len(m.concept.label.split()), m.concept.label.casefold()))
        return ordered[:limit]


#: Words about time: never "corrected" into a clinical word ("week" is not a misspelt "weak").
_TIME_WORDS = frozenset("hour hours day days week weeks wk wks month months year years fortnight fortnights "
                        "yesterday today tonight morning evening night since ago last".split())


def concepts_from_graph(graph: Graph) -> list[Concept]:
    """Read every clinical concept (a class under mskg:ClinicalConcept in the id: namespace) from ``graph``."""
    roots = {MSKG[name] for name in ("ClinicalFinding", "Condition", "BodySite", "Activity")}
    namespaces = {"mskg": MSKG, "skos": SKOS, "owl": OWL}
    type_labels = {str(c): str(label) for c, label in graph.query(_TYPE_LABELS_QUERY, initNs=namespaces)}
    concepts = []
    for iri in sorted(set(graph.subjects(RDFS.subClassOf, None))):
        if not isinstance(iri, URIRef) or not str(iri).startswith(str(ID)):
            continue
        ancestors = list(graph.transitive_objects(iri, RDFS.subClassOf))
        root = next((r for r in ancestors if r in roots), None)
        if root is None:
            continue
        # its type: the nearest mskg: class above it (a finding under another finding has that one's type)
        kind = next((a for a in ancestors if str(a).startswith(str(MSKG))), root)
        codes = tuple(sorted(str(o)[len(str(SCT)):] for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch)
                             for o in graph.objects(iri, p) if str(o).startswith(str(SCT))))
        concepts.append(Concept(
            iri=iri,
            id=str(iri)[len(str(ID)):],
            label=str(graph.value(iri, SKOS.prefLabel)),
            synonyms=tuple(sorted(str(a) for a in graph.objects(iri, SKOS.altLabel))),
            type=type_labels.get(str(kind), str(kind)),
            root=str(root)[len(str(MSKG)):],
            codes=codes,
            hidden=tuple(sorted(str(h) for h in graph.objects(iri, SKOS.hiddenLabel))),
            sites=tuple(sorted(str(s)[len(str(ID)):] for s in graph.objects(iri, MSKG.hasBodySite))),
            region=next((str(r)[len(str(ID)):] for r in sorted(graph.objects(iri, MSKG.inRegion))
                         if str(r).startswith(str(ID))), None),
        ))
    return concepts


def regions_from_graph(graph: Graph) -> dict[str, str]:
    """Every body region's id and label (mskg:BodyRegion), for the resolver's plain sentences."""
    return {str(r)[len(str(ID)):]: str(graph.value(r, SKOS.prefLabel))
            for r in sorted(graph.subjects(RDF.type, MSKG.BodyRegion)) if str(r).startswith(str(ID))}


@lru_cache(maxsize=4)
def resolver_for(graph: Graph) -> Resolver:
    """The resolver of ``graph``, built once per process and graph."""
    return Resolver(concepts_from_graph(graph), regions=regions_from_graph(graph))
