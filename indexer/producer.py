"""Is this record its producer's own copy? (for choosing the copy a duplicate cluster shows)

Republished copies are often *more* complete than the original (a national body adds its
own keywords and contacts) and fresher (re-stamped on republication), so "most complete,
then freshest" alone picks the all-caps re-publication of a regional record over the
producer's own. The producer's copy says who made it in a way a republication cannot
keep: its identifier's namespace names the organisation that is responsible for it in the
same record (`EPTB-VIL-ZH-2022` in `https://sdi.example.org/eptb-vilaine/`, contact
"EPTB Vilaine", owner). A republished copy keeps the identifier (that is how it is
recognised as a copy) but names its own organisation as contact or publisher.

Pure over a Record: the answer is a short reason ("" when the record does not show it),
stored with the record's fingerprint and shown by the cluster API.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from moisson.record import Contact, Identifier, Record

__all__ = ["PRODUCER_ROLES", "producer_evidence"]

# ISO CI_RoleCode values saying "we made or hold this resource"; not publisher,
# distributor or reseller, which is what a republishing body calls itself.
PRODUCER_ROLES = frozenset(
    {
        "owner",
        "originator",
        "author",
        "custodian",
        "pointofcontact",
        "principalinvestigator",
        "resourceprovider",
        "creator",
        "rightsholder",
    }
)
# Path segments and host labels that say nothing about an organisation.
_GENERIC = frozenset(
    {
        "www", "http", "https", "id", "ids", "data", "donnees", "geo", "geonetwork", "srv",
        "eng", "fre", "api", "catalog", "catalogue", "catalogs", "csw", "sdi", "metadata",
        "metadonnees", "resource", "resources", "dataset", "datasets", "record", "records",
        "registry", "register", "uri", "urn", "def", "example", "org", "com", "net", "fr",
        "eu", "gov", "gouv", "info",
    }
)  # fmt: skip
_WORD = re.compile(r"[a-z0-9]+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _words(text: str) -> list[str]:
    return _WORD.findall(_fold(text))


def _namespace_parts(identifier: Identifier) -> list[str]:
    """The organisation-like parts of an identifier's namespace: path segments (and the
    host's distinctive labels) of its codespace, or of the code itself when it is a URI."""
    namespace = identifier.codespace or ""
    if not namespace and "://" in identifier.code:
        namespace = identifier.code.rsplit("/", 1)[0]
    if not namespace:
        return []
    parts = urlsplit(namespace) if "://" in namespace else None
    if parts is None:
        pieces = re.split(r"[/:#]", namespace)
    else:
        pieces = [*parts.path.split("/"), *parts.hostname.split(".")] if parts.hostname else []
    found = []
    for piece in pieces:
        words = [w for w in _words(piece) if w not in _GENERIC]
        if words:
            found.append(" ".join(words))
    return found


def _names(part: str, contact: Contact) -> bool:
    """Whether a namespace part ('eptb vilaine', 'ign') names the contact's organisation:
    all its words are words of the name, or it is the name's acronym."""
    organisation = contact.organisation or ""
    words = _words(organisation)
    if not words:
        return False
    wanted = part.split()
    if all(w in words for w in wanted):
        return True
    capitals = [w[0] for w in re.findall(r"[^\W\d_]+", organisation) if w[0].isupper()]
    acronym = "".join(capitals).lower()
    return len(wanted) == 1 and len(acronym) >= 2 and wanted[0] == acronym


def producer_evidence(record: Record) -> str:
    """Why the record looks like its producer's own copy, or "" when it does not show it."""
    contacts = [
        c
        for c in record.contacts
        if c.organisation and (c.role or "pointOfContact").lower() in PRODUCER_ROLES
    ]
    if not contacts:
        return ""
    for identifier in record.identifiers:
        for part in _namespace_parts(identifier):
            for contact in contacts:
                if _names(part, contact):
                    return (
                        f"its identifier {identifier.code} is in the namespace of its "
                        f"{contact.role or 'contact'} {contact.organisation}"
                    )
    return ""
