"""Fingerprints of a record, and the test that two records describe the same dataset.

Pure over Records: no database, no clock, no network (indexer/clusters.py persists them).

Two kinds of evidence join two records:

- **strong keys**: a normalised resource identifier (`id:codespace/code`, `doi:10.x/y`), a
  normalised landing page URL (`landing:`), or a normalised OGC service endpoint plus layer
  name (`layer:OGC:WMS|host/path|name`). Two records sharing an identifier key are the same
  dataset, whatever their titles say. A link key is weaker: one multi-year WMS layer or
  one portal page is linked from 'PLU 2019' and 'PLU 2021', or from one record per
  département; two records sharing only a link whose titles name different years or places,
  or whose extents do not overlap, are *related* (`link_conflict`, verdict kind "related",
  stored apart and shown as related records), not folded.
- **near-duplicate text**: a MinHash signature over word shingles of the normalised title and
  abstract. LSH banding (`band_ints`) gives candidate pairs in sub-quadratic time; a candidate
  is *confirmed* only if the estimated text similarity, the title similarity and, where both
  records have one, the bounding box overlap are all high enough, and the titles differ by no
  number or place name (`title_conflict`): '... 2019' vs '... 2021' or two départements are
  different datasets from the same producer, not copies.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property, lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from datasketch import MinHash

from indexer.producer import producer_evidence
from moisson.record import BBox, Record

__all__ = [
    "NUM_PERM",
    "Fingerprint",
    "MatchParams",
    "Verdict",
    "band_hashes",
    "band_ints",
    "bbox_overlap",
    "compare",
    "completeness",
    "fingerprint",
    "identifier_conflict",
    "link_conflict",
    "normalise_text",
    "normalise_url",
    "strong_keys",
    "title_conflict",
    "with_bands",
]

NUM_PERM = 128
BANDS = 32  # 32 bands of 4 rows: a pair with text Jaccard 0.5 is a candidate with p > 0.86
ROWS = NUM_PERM // BANDS
SHINGLE = 5  # words; shorter texts give one shingle of all their words (+ title words)
_SCHEME = "affine32"
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=1, scheme=_SCHEME).permutations  # built once

_DOI = re.compile(r"\b(10\.\d{4,9}/\S+)", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script
_WORD_FAST = re.compile(r"\w+")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_NUMBER = re.compile(r"\d")
# Query parameters that say how to call an OGC service, not which data it serves.
_OGC_PARAMS = frozenset(
    {"service", "request", "version", "acceptversions", "layers", "typename", "typenames"}
    | {"format", "outputformat", "srs", "crs", "bbox", "width", "height"}
)
_TRACKING = re.compile(r"^(utm_|fbclid$|gclid$)")
LINK_KEY_PREFIXES = ("landing:", "layer:")  # keys from links, not from the dataset's own ids
_SERVICES = {"OGC:WMS", "OGC:WFS", "OGC:WMTS", "OGC:WCS", "OGC API - Features"}
# Words that differ between two titles without making them different datasets.
_STOPWORDS = frozenset(
    """a an and the of in on for to by with de des du la le les l d et en au aux sur pour par
    dans une un der die das und von zu im""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class MatchParams:
    """Thresholds of `compare`. Defaults come from the labelled set in tests/unit/
    test_fingerprints.py and bench/bench_duplicates.py (no false pair, recall >= 0.99)."""

    text_similarity: float = 0.5  # estimated Jaccard of title+abstract shingles
    title_similarity: float = 0.8  # difflib ratio of normalised titles
    bbox_overlap: float = 0.5  # intersection over union, when both records have a bbox


@dataclass
class Fingerprint:
    """What matching needs of a record, small enough to store and compare in bulk."""

    record_id: str
    source_id: str
    title: str  # normalised
    title_tokens: tuple[str, ...]
    marked_tokens: frozenset[str]  # numbers and capitalised words of the title
    keys: frozenset[str]
    signature: np.ndarray  # uint64[NUM_PERM]
    bbox: tuple[float, float, float, float] | None
    resource_type: str
    completeness: int = 0
    freshness: str = ""  # ISO date or ""
    producer: str = ""  # why it is its producer's own copy, or "" (indexer/producer.py)

    @cached_property
    def bands(self) -> list[int]:
        keys: list[int] = band_ints(self.signature.reshape(1, -1))[0].tolist()
        return keys


def with_bands(fps: Iterable[Fingerprint]) -> None:
    """Compute the band keys of many fingerprints in one numpy expression (a page's in the
    writer) instead of one `band_ints` call per record; `Fingerprint.bands` then holds them."""
    missing = [fp for fp in fps if "bands" not in fp.__dict__]
    if not missing:
        return
    rows = band_ints(np.stack([fp.signature for fp in missing])).tolist()
    for fp, row in zip(missing, rows, strict=True):
        fp.__dict__["bands"] = row


@dataclass(frozen=True)
class Verdict:
    """Why two records are the same dataset (`same`) or not, as stored pair evidence."""

    same: bool
    kind: str  # "key" | "similar" | "related" | "blocked" | "different"
    detail: str
    score: float = 0.0


def _fold(text: str) -> str:
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def normalise_text(text: str | None) -> list[str]:
    """Lower-cased, accent-free alphanumeric words: casing and punctuation never count."""
    folded = _fold(text or "").lower()
    # `\w+` is `[^\W_]+` when there is no underscore to exclude, and a quarter cheaper.
    return (_WORD if "_" in folded else _WORD_FAST).findall(folded)


def normalise_url(url: str, *, drop: set[str] | frozenset[str] = frozenset()) -> str:
    """Scheme-less, lower-case host, default port, trailing slash, fragment, tracking and
    `drop` parameters removed, remaining parameters sorted: one spelling per address."""
    return _normalised_url(url, frozenset(drop))


@lru_cache(maxsize=4096)  # service endpoints and portal pages recur across a catalogue
def _normalised_url(url: str, drop: frozenset[str]) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = ""
    if parts.query:
        query = urlencode(
            sorted(
                (k.lower(), v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
                if k.lower() not in drop and not _TRACKING.match(k.lower())
            )
        )
    path = parts.path.rstrip("/")  # (urlsplit drops newlines: same as re.sub("/+$", ""))
    return urlunsplit(("", host, path, query, ""))[2:]


def strong_keys(record: Record) -> frozenset[str]:
    """Identifiers that name the dataset itself, normalised; see the module docstring."""
    keys: set[str] = set()
    for ident in record.identifiers:
        code = ident.code.strip()
        doi = _DOI.search(code)
        if doi:
            keys.add("doi:" + doi.group(1).lower().rstrip("."))
            continue
        if code.lower().startswith(("http://", "https://")):
            if len(urlsplit(code).path.strip("/")) > 1:  # a bare host names a producer
                keys.add("id:" + normalise_url(code))
            continue
        space = (ident.codespace or "").strip()
        if len(code) < 6 and not space:  # "1", "FR": not identifying on its own
            continue
        if space.lower().startswith(("http://", "https://")):
            space = normalise_url(space)
        keys.add(f"id:{space.lower().rstrip('/')}/{code.lower()}".replace("id:/", "id:"))
    for link in record.links:
        if not link.url.lower().startswith(("http://", "https://")):
            continue
        if link.protocol == "landing page":
            keys.add("landing:" + normalise_url(link.url))
        elif link.protocol in _SERVICES and link.name and len(link.name.split()) == 1:
            # (a name with spaces is a label: 'URL du GetCapabilities des services WMS')
            endpoint = normalise_url(link.url, drop=_OGC_PARAMS)
            keys.add(f"layer:{link.protocol}|{endpoint}|{link.name.strip().lower()}")
    return frozenset(keys)


def _shingles(title: list[str], abstract: list[str]) -> set[str]:
    """Word 5-shingles of title + abstract, plus each title word alone: long texts compare by
    their phrasing, and a short record ('Air temperature' / 'air temperature (copie)') still
    shares most of its shingles with its copy. Strings here; `_hashes` encodes them."""
    words = title + abstract
    found = {"t:" + word for word in title}
    if len(words) <= SHINGLE:
        found.add(" ".join(words))
    else:  # SHINGLE consecutive words, joined: zip of shifted lists runs in C
        found.update(map(" ".join, zip(*(words[i:] for i in range(SHINGLE)), strict=False)))
    return found


_SHA1_WORDS = 5  # a SHA-1 digest is five 32-bit words; datasketch's sha1_hash32 keeps the first
_FMIX1, _FMIX2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)  # MurmurHash3's 32-bit finalizer
_PERM_A = _PERMUTATIONS[0].astype(np.uint32)
_PERM_B = _PERMUTATIONS[1].astype(np.uint32)


def _hashes(shingles: set[str]) -> np.ndarray:
    """uint32 hash of each shingle, as datasketch's `sha1_hash32`: the first 4 bytes of its
    SHA-1, little-endian. The digests are joined and read by numpy in one step instead of
    one `struct.unpack` per shingle."""
    sha1 = hashlib.sha1
    digests = b"".join([sha1(shingle.encode()).digest() for shingle in shingles])
    hashes: np.ndarray = np.frombuffer(digests, dtype="<u4")[::_SHA1_WORDS].astype(np.uint32)
    return hashes


def _minhash(hashes: np.ndarray) -> np.ndarray:
    """MinHash values of a set's hashes, bit for bit what datasketch's `MinHash.update_batch`
    computes with the "affine32" scheme (the reference in tests/unit/test_signature.py):
    MurmurHash3's finalizer over each hash, then a_k * h + b_k mod 2^32 for each of the
    NUM_PERM permutations, the minimum over the set for each. An empty set keeps 2^32 - 1."""
    if not len(hashes):
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint64)
    h = hashes.copy()
    with np.errstate(over="ignore"):
        h ^= h >> np.uint32(16)
        h *= _FMIX1
        h ^= h >> np.uint32(13)
        h *= _FMIX2
        h ^= h >> np.uint32(16)
        permuted = np.multiply.outer(h, _PERM_A)
        permuted += _PERM_B
    values: np.ndarray = permuted.min(axis=0).astype(np.uint64)
    return values


def _signature_of(title: list[str], abstract: list[str]) -> np.ndarray:
    return _minhash(_hashes(_shingles(title, abstract)))


def signature(record: Record) -> np.ndarray:
    """uint64[NUM_PERM] MinHash signature of the record's title and abstract shingles."""
    return _signature_of(normalise_text(record.title), normalise_text(record.abstract))


_MIX = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
    dtype=np.uint64,
)[:ROWS]


def band_hashes(signatures: np.ndarray) -> np.ndarray:
    """(n, NUM_PERM) signatures -> (n, BANDS) uint64: one hash per band of ROWS rows.
    Vectorised, so banding 100k records is one numpy expression, not 3.2M Python calls."""
    rows = signatures.reshape(len(signatures), BANDS, ROWS).astype(np.uint64)
    with np.errstate(over="ignore"):
        mixed = (rows * _MIX).sum(axis=2, dtype=np.uint64)
        mixed ^= mixed >> np.uint64(29)
        mixed *= np.uint64(0xBF58476D1CE4E5B9)
        mixed ^= mixed >> np.uint64(32)
    return mixed


_BAND_SALT = np.arange(1, BANDS + 1, dtype=np.uint64).reshape(1, -1) * np.uint64(0x9E3779B97F4A7C15)


def band_ints(signatures: np.ndarray) -> np.ndarray:
    """(n, NUM_PERM) signatures -> (n, BANDS) int64: one key per LSH band, the band's hash
    salted with its band number so that equal hashes in two bands are two keys. Records
    sharing any band key are candidate pairs. What the cluster tables store (`dup_band_keys`,
    a signed 64-bit column on both databases): an integer compares and indexes in a fraction
    of the 18-character text key it replaces."""
    with np.errstate(over="ignore"):
        salted = band_hashes(signatures) ^ _BAND_SALT
    keys: np.ndarray = salted.view(np.int64)
    return keys


def _marked(title: str) -> frozenset[str]:
    """Title words that name *which* dataset: numbers (years, département codes, scales) and
    capitalised words after the first (place names). Compared across two titles by
    `title_conflict`."""
    marked: set[str] = set()
    raw_words = _WORD.findall(title)
    all_caps = title.upper() == title  # then every word is capitalised: none is marked
    for position, word in enumerate(raw_words):
        folded = _fold(word).lower()
        named = position > 0 and not all_caps and word[0].isupper()
        if _NUMBER.search(word) or (named and folded not in _STOPWORDS):
            marked.add(folded)
    return frozenset(marked)


def completeness(record: Record) -> int:
    """How much of the record is filled in: the canonical member is the most complete."""
    filled = [
        record.abstract,
        record.identifiers,
        record.keywords,
        record.topic_categories,
        record.contacts,
        record.bboxes,
        record.temporal,
        record.reference_date(),
        record.formats,
        record.links,
        record.licence,
        record.constraints,
        record.lineage,
        record.thumbnails,
    ]
    return sum(1 for value in filled if value)


def _union_bbox(boxes: list[BBox]) -> tuple[float, float, float, float] | None:
    if not boxes:
        return None
    return (
        min(b.west for b in boxes),
        min(b.south for b in boxes),
        max(b.east for b in boxes),
        max(b.north for b in boxes),
    )


def fingerprint(record: Record) -> Fingerprint:
    words = normalise_text(record.title)
    sig = _signature_of(words, normalise_text(record.abstract))
    ref = record.reference_date()
    return Fingerprint(
        record_id=record.id,
        source_id=record.provenance.source_id,
        title=" ".join(words),
        title_tokens=tuple(words),
        marked_tokens=_marked(record.title),
        keys=strong_keys(record),
        signature=sig,
        bbox=_union_bbox(record.bboxes),
        resource_type=record.resource_type,
        completeness=completeness(record),
        freshness=ref.isoformat() if ref else "",
        producer=producer_evidence(record),
    )


def bbox_overlap(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> float:
    """Intersection over union, each box padded by 0.01 degree (about 1 km) so points,
    lines and boxes rounded to two decimals by a republishing portal still overlap."""
    pad = 0.01
    aw, as_, ae, an = a[0] - pad, a[1] - pad, a[2] + pad, a[3] + pad
    bw, bs, be, bn = b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad
    iw = min(ae, be) - max(aw, bw)
    ih = min(an, bn) - max(as_, bs)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (ae - aw) * (an - as_) + (be - bw) * (bn - bs) - inter
    return inter / union if union > 0 else 0.0


def title_conflict(a: Fingerprint, b: Fingerprint) -> str | None:
    """Why two similar titles still name two datasets, or None.

    - a number or a place-like word (`marked_tokens`) in one title and not the other:
      '... 2019' / '... 2021', '... du Finistère' / '... du Morbihan';
    - a word substituted for another (each title has a word the other lacks, and they are
      not spelling variants): 'commune de longueau' / 'commune de flesselles', whatever the
      casing. Words only added on one side ('(copie)', 'données') do not conflict.
    """
    words_a, words_b = set(a.title_tokens), set(b.title_tokens)
    differing = sorted((a.marked_tokens - words_b) | (b.marked_tokens - words_a))
    if differing:
        return "titles differ by " + ", ".join(differing)
    only_a = words_a - words_b - _STOPWORDS
    only_b = words_b - words_a - _STOPWORDS
    if only_a and only_b:
        for word in sorted(only_a):
            if not any(_spelling_variant(word, other) for other in only_b):
                return f"titles differ by {word} / {', '.join(sorted(only_b))}"
    return None


def _spelling_variant(x: str, y: str) -> bool:
    return SequenceMatcher(None, x, y, autojunk=False).ratio() >= 0.8


def _namespaces(keys: frozenset[str]) -> set[str]:
    return {k.rsplit("/", 1)[0] if "/" in k else "id:" for k in keys if k.startswith("id:")}


def identifier_conflict(a: Fingerprint, b: Fingerprint) -> str | None:
    """Both records carry a resource identifier in one namespace (same codespace, or both
    none) and they differ: two tiles or editions catalogued with the same text are still
    two datasets. A portal that re-identifies a copy uses its own codespace, so no clash."""
    common = _namespaces(a.keys) & _namespaces(b.keys)
    if common:
        return "different identifiers in " + ", ".join(sorted(common))
    return None


def _marked_numbers(tokens: frozenset[str]) -> set[str]:
    return {t for t in tokens if _NUMBER.search(t)}


def _sides(x: set[str] | frozenset[str], y: set[str] | frozenset[str]) -> str:
    """'2019 / 2021' whichever record comes first."""
    return " / ".join(sorted((", ".join(sorted(x)), ", ".join(sorted(y)))))


def link_conflict(a: Fingerprint, b: Fingerprint) -> str | None:
    """Why two records sharing only a link (a service layer, a landing page) are related
    datasets rather than copies, or None: their titles name different years or numbers
    (each title has one the other lacks: 'PLU 2019' / 'PLU 2021'), different places (each
    has a capitalised word the other lacks and that is no spelling variant of it), or
    their extents do not overlap at all. One multi-year or multi-département layer is
    commonly linked from one record per year or per area."""
    numbers_a = _marked_numbers(a.marked_tokens) - set(b.title_tokens)
    numbers_b = _marked_numbers(b.marked_tokens) - set(a.title_tokens)
    if numbers_a and numbers_b:
        return "titles name " + _sides(numbers_a, numbers_b)
    places_a = a.marked_tokens - set(b.title_tokens) - numbers_a
    places_b = b.marked_tokens - set(a.title_tokens) - numbers_b
    if places_a and places_b:
        unmatched = [p for p in places_a if not any(_spelling_variant(p, q) for q in places_b)]
        if unmatched:
            return "titles name " + _sides(places_a, places_b)
    if a.bbox is not None and b.bbox is not None and bbox_overlap(a.bbox, b.bbox) == 0.0:
        return "their extents do not overlap"
    return None


def text_similarity(a: Fingerprint, b: Fingerprint) -> float:
    return float(np.count_nonzero(a.signature == b.signature)) / NUM_PERM


def compare(a: Fingerprint, b: Fingerprint, params: MatchParams | None = None) -> Verdict:
    """Are `a` and `b` the same dataset? Never across resource types; a shared strong key
    says yes outright; otherwise
    text, title and bbox must all agree and the titles must not conflict."""
    params = params or MatchParams()
    if a.resource_type != b.resource_type:  # a service and the dataset it serves are two
        return Verdict(False, "different", f"{a.resource_type} vs {b.resource_type}")
    shared = sorted(a.keys & b.keys)
    identifying = [key for key in shared if not key.startswith(LINK_KEY_PREFIXES)]
    if identifying:
        return Verdict(True, "key", identifying[0], 1.0)
    if shared:
        reason = link_conflict(a, b)
        if reason:
            return Verdict(False, "related", f"share {shared[0]} but {reason}")
        return Verdict(True, "key", shared[0], 1.0)
    clash = identifier_conflict(a, b)
    if clash:
        return Verdict(False, "blocked", clash)
    text = text_similarity(a, b)
    if text < params.text_similarity:
        return Verdict(False, "different", f"text similarity {text:.2f}", text)
    title = SequenceMatcher(None, a.title, b.title, autojunk=False).ratio()
    if title < params.title_similarity:
        return Verdict(False, "different", f"title similarity {title:.2f}", title)
    conflict = title_conflict(a, b)
    if conflict:
        return Verdict(False, "blocked", conflict, title)
    if a.bbox is not None and b.bbox is not None:
        overlap = bbox_overlap(a.bbox, b.bbox)
        if overlap < params.bbox_overlap:
            return Verdict(False, "blocked", f"bbox overlap {overlap:.2f}", title)
    return Verdict(True, "similar", f"text {text:.2f}, title {title:.2f}", round(text, 3))
