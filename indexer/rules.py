"""The admin-tuned keyword -> theme rules (mappings/theme-rules.yaml), validated by pydantic.

A rules file has two lists:

- `vocabularies`: URI prefixes of the vocabularies the thesaurus may *Match into (INSPIRE
  themes, ISO topic categories, EU data themes...). `moisson thesaurus validate` refuses a
  *Match to a URI under none of them (usually a typo).
- `rules`: each with an `id`, a `comment` saying why it exists, an `action` and exactly one
  condition:

  | condition | matches |
  |---|---|
  | `keyword` | a keyword label, compared like thesaurus labels (case, accents, stems) |
  | `keyword_pattern` | a regex searched in a keyword label (accents removed, any case) |
  | `uri` | a keyword URI (or a topic category's URI), compared like *Match targets |
  | `thesaurus` | any keyword from the thesaurus with this name or URI |
  | `source` | every record of this source id (`map` only: a default, see below) |
  | `pattern` | a regex searched in the title and abstract (accents removed, any case) |

  Actions: `map` files the record under `concept`; `exclude` removes `concept` from the
  records the condition matches, whatever step assigned it; `ignore` makes a keyword
  invisible to every step and to the unmapped-keyword report (for keywords that say
  nothing about a theme: 'données ouvertes', INSPIRE spatial scope...). A `source` rule is
  a default: it applies only when no other step found a theme.

Regexes are matched against text with accents removed and case folded, so write them
without accents ('zones? humides?', not 'zones? humides?' with accents).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from moisson.errors import ConfigError

__all__ = ["CONDITIONS", "Rule", "RuleSet", "Vocabulary", "load_rules", "rule_lines"]


CONDITIONS = ("keyword", "keyword_pattern", "uri", "thesaurus", "source", "pattern")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Vocabulary(_Model):
    prefix: str = Field(
        min_length=8, description="URI prefix, e.g. http://inspire.ec.europa.eu/theme/"
    )
    name: str = Field(min_length=1)


class Rule(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,80}$")
    comment: str = Field(min_length=1)
    action: Literal["map", "exclude", "ignore"] = "map"
    concept: str | None = None
    keyword: str | None = None
    keyword_pattern: str | None = None
    uri: str | None = None
    thesaurus: str | None = None
    source: str | None = None
    pattern: str | None = None

    @field_validator("keyword_pattern", "pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        given = [name for name in CONDITIONS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one condition of {', '.join(CONDITIONS)}; got "
                f"{', '.join(given) or 'none'}"
            )
        if self.action == "ignore":
            if self.concept is not None:
                raise ValueError("an `ignore` rule names no concept")
            if given[0] in {"source", "pattern"}:
                raise ValueError("an `ignore` rule applies to keywords, not to a source or text")
        elif self.concept is None:
            raise ValueError(f"a `{self.action}` rule needs a `concept`")
        if self.action == "exclude" and given[0] == "source":
            pass  # excluding a concept for a whole source is legitimate
        return self

    @property
    def condition(self) -> tuple[str, str]:
        """(condition name, value)."""
        for name in CONDITIONS:
            value = getattr(self, name)
            if value is not None:
                return name, value
        raise AssertionError("validated rule without condition")


class RuleSet(_Model):
    vocabularies: list[Vocabulary] = []
    rules: list[Rule] = []

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, value: list[Rule]) -> list[Rule]:
        seen: set[str] = set()
        for rule in value:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} appears twice")
            seen.add(rule.id)
        return value

    def with_rule(self, rule: Rule) -> RuleSet:
        """A copy with `rule` added, or replacing the rule with the same id."""
        rules = [r for r in self.rules if r.id != rule.id]
        return RuleSet(vocabularies=self.vocabularies, rules=[*rules, rule])

    def without(self, rule_id: str) -> RuleSet:
        return RuleSet(
            vocabularies=self.vocabularies, rules=[r for r in self.rules if r.id != rule_id]
        )

    def dump_yaml(self) -> str:
        data = {
            "vocabularies": [v.model_dump(mode="json") for v in self.vocabularies],
            "rules": [r.model_dump(mode="json", exclude_defaults=True) for r in self.rules],
        }
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"mapping rules file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def load_rules(path: str | Path) -> RuleSet:
    """Read and validate a rules file; ConfigError lists each bad field with its line."""
    file = Path(path)
    data = _read_yaml(file)
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        lines = rule_lines(file)
        problems = []
        for error in exc.errors():
            loc = error["loc"]
            line = lines.get(loc[1]) if len(loc) > 1 and loc[0] == "rules" else None
            where = ".".join(str(p) for p in loc)
            problems.append(f"{file}:{line or 1}: {where}: {error['msg']}")
        raise ConfigError("invalid mapping rules:\n" + "\n".join(problems)) from exc


def rule_lines(path: Path) -> dict[int | str, int]:
    """Rule position and rule id -> 1-based line of that rule in the YAML file."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    found: dict[int | str, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return found
    for key, value in root.value:
        if key.value != "rules" or not isinstance(value, yaml.SequenceNode):
            continue
        for position, item in enumerate(value.value):
            line = item.start_mark.line + 1
            found[position] = line
            if isinstance(item, yaml.MappingNode):
                for k, v in item.value:
                    if k.value == "id" and isinstance(v, yaml.ScalarNode):
                        found[str(v.value)] = line
    return found
