"""The forge check of the theme thesaurus and its mapping rules (`moisson thesaurus
validate`): every problem at once, each as `file:line: message`, so a merge request shows
exactly what to fix.

Thesaurus (SKOS Turtle):
- not exactly one skos:ConceptScheme;
- a concept without a prefLabel in each configured language, or with two in one language;
- two concepts with the same prefLabel in one language;
- a label (pref, alt or hidden, any language) that two concepts share after normalisation
  and stemming: the matcher could not tell them apart;
- a cycle in skos:broader; broader / narrower not mirrored, or pointing outside the scheme;
- an orphan: a concept with no broader that is not a top concept of the scheme;
- a *Match target that is not an absolute URI, or is under none of the known vocabularies
  (the `vocabularies` of the rules file).

Rules (YAML): a rule that fails the schema (missing comment, two conditions, a regex that
does not compile...), or whose `concept` is not in the thesaurus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from rdflib.namespace import SKOS

from indexer.rules import Rule, RuleSet, Vocabulary, rule_lines
from indexer.thesaurus import MATCH_RELATIONS, Thesaurus, label_keys, load_thesaurus
from moisson.errors import ConfigError

__all__ = ["Problem", "validate"]


_ABSOLUTE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"]+$")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def _concept_lines(thesaurus: Thesaurus) -> dict[str, int]:
    """Concept id -> 1-based line where its description starts in the Turtle file."""
    text = thesaurus.path.read_text(encoding="utf-8").splitlines()
    names: dict[str, str] = {}
    for concept in thesaurus.concepts.values():
        names[f"<{concept.uri}>"] = concept.id
        for prefix, namespace in thesaurus.graph.namespaces():
            if prefix and concept.uri.startswith(str(namespace)):
                names[f"{prefix}:{concept.uri[len(str(namespace)) :]}"] = concept.id
    found: dict[str, int] = {}
    for number, line in enumerate(text, start=1):
        if line[:1].isspace() or not line.strip():
            continue
        subject = line.split(None, 1)[0]
        if subject in names:
            found.setdefault(names[subject], number)
    return found


def _structure(thesaurus: Thesaurus, languages: list[str], lines: dict[str, int]) -> list[Problem]:
    file = str(thesaurus.path)
    problems: list[Problem] = []

    def report(concept: str | None, message: str) -> None:
        problems.append(Problem(file, lines.get(concept or "", 1), message))

    if len(thesaurus.schemes) != 1:
        report(None, f"expected one skos:ConceptScheme, found {len(thesaurus.schemes)}")
    tops = {c.id for c in thesaurus.concepts.values() if c.top}
    for prefix_top in thesaurus.graph.objects(None, SKOS.hasTopConcept):
        tops.add(str(prefix_top).removeprefix(thesaurus.namespace))
    seen_pref: dict[tuple[str, str], str] = {}
    seen_key: dict[str, tuple[str, str]] = {}
    for concept in thesaurus.concepts.values():
        prefs = concept.labels.get("prefLabel", {})
        for lang in languages:
            if not prefs.get(lang):
                report(concept.id, f"concept {concept.id} has no prefLabel in {lang!r}")
        for lang, values in prefs.items():
            if len(values) > 1:
                report(
                    concept.id,
                    f"concept {concept.id} has {len(values)} prefLabels in {lang!r}: "
                    + ", ".join(repr(v) for v in values),
                )
            for value in values:
                other = seen_pref.setdefault((lang, value.casefold()), concept.id)
                if other != concept.id:
                    report(
                        concept.id,
                        f"prefLabel {value!r}@{lang} of {concept.id} is also the prefLabel of "
                        f"{other}",
                    )
        for kind, lang, value in concept.all_labels():
            for key in label_keys(value):
                other_id, other_label = seen_key.setdefault(key, (concept.id, value))
                if other_id != concept.id:
                    report(
                        concept.id,
                        f"ambiguous label: {kind} {value!r}@{lang} of {concept.id} matches "
                        f"the label {other_label!r} of {other_id} after normalisation",
                    )
        for parent in concept.broader:
            if parent not in thesaurus.concepts:
                report(concept.id, f"{concept.id} has broader {parent}, which is not a concept")
            elif concept.id not in thesaurus.concepts[parent].narrower:
                report(
                    concept.id,
                    f"{concept.id} has broader {parent}, but {parent} does not list it as narrower",
                )
        for child in concept.narrower:
            if child not in thesaurus.concepts:
                report(concept.id, f"{concept.id} has narrower {child}, which is not a concept")
            elif concept.id not in thesaurus.concepts[child].broader:
                report(
                    concept.id,
                    f"{concept.id} has narrower {child}, but {child} does not list it as broader",
                )
        if not concept.broader and concept.id not in tops:
            report(
                concept.id,
                f"orphan concept {concept.id}: no broader concept and not a top concept of "
                "the scheme",
            )
    _cycles(thesaurus, report)
    return problems


def _cycles(thesaurus: Thesaurus, report: Any) -> None:
    """Report each broader cycle once, at its alphabetically first concept."""
    reported: set[frozenset[str]] = set()
    for start in sorted(thesaurus.concepts):
        path = [start]
        stack = [(start, iter(thesaurus.concepts[start].broader))]
        while stack:
            parents = stack[-1][1]
            parent = next(parents, None)
            if parent is None:
                stack.pop()
                path.pop()
                continue
            if parent == start:
                cycle = frozenset(path)
                if cycle not in reported:
                    reported.add(cycle)
                    chain = " -> ".join([*path, start])
                    report(min(path), f"cycle in skos:broader: {chain}")
                continue
            if parent in path or parent not in thesaurus.concepts:
                continue
            path.append(parent)
            stack.append((parent, iter(thesaurus.concepts[parent].broader)))


def _matches(
    thesaurus: Thesaurus, vocabularies: list[Vocabulary], lines: dict[str, int]
) -> list[Problem]:
    file = str(thesaurus.path)
    problems = []
    prefixes = [v.prefix for v in vocabularies]
    for concept in thesaurus.concepts.values():
        for relation in MATCH_RELATIONS:
            for target in concept.matches.get(relation, []):
                if not _ABSOLUTE.match(target):
                    message = f"skos:{relation} of {concept.id} is not an absolute URI: {target}"
                elif not any(target.startswith(p) for p in prefixes):
                    message = (
                        f"skos:{relation} of {concept.id} points at {target}, in no known "
                        "vocabulary (add its prefix to `vocabularies` in the rules file if "
                        "it is right)"
                    )
                else:
                    continue
                problems.append(Problem(file, lines.get(concept.id, 1), message))
    return problems


def _rules(path: Path, thesaurus: Thesaurus | None) -> tuple[list[Problem], RuleSet]:
    """Each rule validated on its own, so every bad rule is reported with its line."""
    file = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        return [
            Problem(
                file,
                getattr(getattr(exc, "problem_mark", None), "line", 0) + 1,
                f"cannot read the rules: {exc}",
            )
        ], RuleSet()
    if not isinstance(data, dict):
        return [Problem(file, 1, "the rules file must be a mapping")], RuleSet()
    lines = rule_lines(path)
    problems: list[Problem] = []
    good = []
    try:
        vocabularies = [Vocabulary.model_validate(v) for v in data.get("vocabularies") or []]
    except ValidationError as exc:
        problems.append(Problem(file, 1, f"vocabularies: {exc.errors()[0]['msg']}"))
        vocabularies = []
    seen: set[str] = set()
    for position, item in enumerate(data.get("rules") or []):
        line = lines.get(position, 1)
        try:
            rule = Rule.model_validate(item)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"]) or "rule"
                problems.append(
                    Problem(file, line, f"rule #{position + 1} {where}: {error['msg']}")
                )
            continue
        if rule.id in seen:
            problems.append(Problem(file, line, f"rule id {rule.id!r} appears twice"))
        seen.add(rule.id)
        if thesaurus is not None and rule.concept and rule.concept not in thesaurus.concepts:
            problems.append(
                Problem(file, line, f"rule {rule.id} points at {rule.concept!r}, not a concept")
            )
        good.append(rule)
    return problems, RuleSet(vocabularies=vocabularies, rules=good)


def validate(thesaurus_path: Path, rules_path: Path, languages: list[str]) -> list[Problem]:
    """Every problem of the thesaurus and the rules; empty when both are fit to publish."""
    try:
        thesaurus: Thesaurus | None = load_thesaurus(thesaurus_path)
    except ConfigError as exc:
        found = re.search(r"line (\d+)", exc.message)
        problems = [Problem(str(thesaurus_path), int(found.group(1)) if found else 1, exc.message)]
        thesaurus = None
    else:
        problems = []
    rule_problems, rules = _rules(rules_path, thesaurus)
    if thesaurus is not None:
        lines = _concept_lines(thesaurus)
        problems += _structure(thesaurus, languages, lines)
        problems += _matches(thesaurus, rules.vocabularies, lines)
    return problems + rule_problems
