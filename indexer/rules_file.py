"""Edit the rules file (mappings/theme-rules.yaml) in place, the way an admin would by hand.

The file is the admins' own: comments say why a rule exists, sections group rules, quoting
is chosen for regexes. Saving a rule from the admin API must leave all of that alone, so
the file is edited as a YAML round-trip document (ruamel.yaml): a new rule is appended to
`rules`, a replaced rule takes the place of the old one and keeps the comments around it,
and every other byte stays as it was. The result is validated (`load_rules`) before it
replaces the file, atomically, so a failed save leaves the old file whole.
"""

from __future__ import annotations

import copy
import io
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from indexer.rules import CONDITIONS, Rule, load_rules
from moisson.errors import ConfigError

__all__ = ["delete_rule", "save_rule"]

logger = logging.getLogger(__name__)

_ITEM_INDENT = re.compile(r"^rules:[^\n]*\n(?:[ \t]*(?:#[^\n]*)?\n)*( *)- ", re.MULTILINE)


def _yaml(text: str) -> YAML:
    """A round-trip YAML with the file's own list indentation (`rules:\\n  - id:`)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long comment or regex
    found = _ITEM_INDENT.search(text)
    offset = len(found.group(1)) if found else 2
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    return yaml


def _load(path: Path) -> tuple[YAML, Any]:
    """The round-trip YAML fitted to the rules file and its document (None when
    empty or missing). Raises ConfigError when it is not YAML: the file is never edited then."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    yaml = _yaml(text)
    try:
        document = yaml.load(text) if text.strip() else None
    except YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML, not edited: {exc}") from exc
    return yaml, document


def _as_map(rule: Rule) -> CommentedMap:
    """The rule in the shipped file's order: id, comment, its condition, concept, then
    action when not `map`."""
    data = rule.model_dump(mode="json", exclude_none=True)
    ordered = CommentedMap()
    ordered["id"] = data["id"]
    ordered["comment"] = data["comment"]
    for name in CONDITIONS:
        if name in data:
            ordered[name] = data[name]
    if "concept" in data:
        ordered["concept"] = data["concept"]
    if rule.action != "map":
        ordered["action"] = rule.action
    return ordered


def _following_comment(item: Any, *, take: bool) -> Any:
    """The comment lines after a rule's last line (a heading of the next group, a note at
    the end of the file), without the end-of-line comment of that last line. With `take`,
    they are removed from the rule (to move to another one)."""
    if not isinstance(item, CommentedMap) or not item:
        return None
    slot = item.ca.items.get(list(item)[-1])
    if not slot or len(slot) < 3 or slot[2] is None:
        return None
    token = slot[2]
    end_of_line, newline, following = str(token.value).partition("\n")
    if not following.strip("\n"):
        return None
    moved = copy.copy(token)
    moved.value = "\n" + following  # a first empty line: no end-of-line comment
    if take:
        token.value = end_of_line + newline
    return moved


def _attach(new: CommentedMap, comment: Any) -> None:
    if comment is not None:
        new.ca.items[list(new)[-1]] = [None, None, comment, None]


def save_rule(path: Path, rule: Rule) -> Rule | None:
    """Write `rule` into the rules file: replace the rule with its id where it stands, or
    append it. Returns the rule it replaced, if any. Raises ConfigError when the file is not
    a YAML mapping or the result would not load."""
    yaml, document = _load(path)
    if document is None:
        document = CommentedMap(vocabularies=CommentedSeq(), rules=CommentedSeq())
    if not isinstance(document, CommentedMap):
        raise ConfigError(f"{path}: not a mapping with `vocabularies` and `rules`, not edited")
    rules = document.get("rules")
    if rules is None:
        rules = document["rules"] = CommentedSeq()
    if not isinstance(rules, CommentedSeq):
        raise ConfigError(f"{path}: `rules` is not a list, not edited")
    new = _as_map(rule)
    replaced: Rule | None = None
    for position, item in enumerate(rules):
        if isinstance(item, dict) and item.get("id") == rule.id:
            replaced = Rule.model_validate(dict(item))
            if isinstance(item, CommentedMap) and item.ca.comment is not None:
                new.ca.comment = item.ca.comment  # comment lines just before the rule
            _attach(new, _following_comment(item, take=False))
            rules[position] = new
            break
    else:
        # A note after the last rule stays at the end, after the new one.
        _attach(new, _following_comment(rules[-1], take=True) if rules else None)
        rules.append(new)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    _replace_file(path, buffer.getvalue())
    logger.info("%s rule %s in %s", "replaced" if replaced else "added", rule.id, path)
    return replaced


def delete_rule(path: Path, rule_id: str) -> Rule | None:
    """Take the rule with `rule_id` out of the rules file, every other byte kept (a group
    heading or end note that followed it moves to the rule before). Returns the rule
    removed, None when no rule has that id (the file is left alone)."""
    yaml, document = _load(path)
    rules = document.get("rules") if isinstance(document, CommentedMap) else None
    if not isinstance(rules, CommentedSeq):
        return None
    for position, item in enumerate(rules):
        if isinstance(item, dict) and item.get("id") == rule_id:
            removed = Rule.model_validate(dict(item))
            following = _following_comment(item, take=True)
            del rules[position]
            if following is not None and position > 0:
                _append_comment(rules[position - 1], following)
            break
    else:
        return None
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    _replace_file(path, buffer.getvalue())
    logger.info("removed rule %s from %s", rule_id, path)
    return removed


def _append_comment(item: Any, comment: Any) -> None:
    """Add comment lines after `item`'s own end-of-line comment, if it has one."""
    if not isinstance(item, CommentedMap) or not item:
        return
    slot = item.ca.items.get(list(item)[-1])
    if not slot or len(slot) < 3 or slot[2] is None:
        _attach(item, comment)
        return
    token = slot[2]
    token.value = str(token.value).rstrip("\n") + comment.value


def _replace_file(path: Path, text: str) -> None:
    """Validate the new text as a rules file, then swap it in atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        load_rules(name)  # raises ConfigError, leaving the file as it was
        if path.exists():
            os.chmod(name, path.stat().st_mode & 0o777)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
