"""Message keys the workbench templates build at run time ("admin.rule.kinds." ~ kind)
escape the scan of tests/unit/test_webui_messages.py; each family is checked here against
the values the code can produce, in both languages."""

from __future__ import annotations

from indexer.cluster_review import REVIEW_ORDERS, shown_fields
from indexer.theme_evidence import STEPS
from moisson.record import Record
from webui.admin.themes_pages import ACTIONS, CONDITION_KINDS
from webui.i18n import LANGUAGES, messages

FAMILIES: dict[str, list[str]] = {
    "admin.nav": ["overview", "themes", "thesaurus", "duplicates", "harvesting", "runs",
                  "quarantine", "retirements"],
    "admin.done": ["applied", "removed", "split", "pinned", "started", "approved", "rejected"],
    "admin.status": ["running", "never", "complete", "partial", "failed", "unchanged"],
    "admin.rule.kinds": list(CONDITION_KINDS),
    "admin.rule.actions": list(ACTIONS),
    "admin.thesaurus.steps": list(STEPS),
    "admin.dup.orders": list(REVIEW_ORDERS),
    "admin.dup.kinds": ["key", "similar"],
    "admin.cluster.fields": list(shown_fields(Record.new("s", "x", title="t"))),
    "admin.retire.statuses": ["pending", "approved", "rejected", "all"],
}  # fmt: skip


def test_every_run_time_key_exists_in_both_languages() -> None:
    table = messages()
    missing = [
        f"{lang}: {family}.{name}"
        for lang in LANGUAGES
        for family, names in FAMILIES.items()
        for name in names
        if f"{family}.{name}" not in table[lang]
    ]
    assert missing == []
