"""The source contracts of docs/sources.md, read from `contracts.yaml` (the one place they live).

Contracts are data so that a reader of the YAML sees exactly what is accepted, and so the
README's table of accepted columns is generated from the same source the loader uses.
This module also holds header matching (aliases, case, umlauts, separators) and the
recognition of personal-identifier headers, because both are questions about headers.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import yaml

CONTRACTS_FILE = Path(__file__).with_name("contracts.yaml")
TYPES = ("text", "date", "datetime", "decimal", "int", "bool")


@dataclass(frozen=True)
class Field:
    """One canonical column of a contract and everything needed to read it."""

    name: str
    type: str
    required: bool = False
    default: object = None
    de: tuple[str, ...] = ()
    en: tuple[str, ...] = ()
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    open_values: bool = False
    allowed: tuple[str, ...] = ()
    required_if: dict[str, tuple[str, ...]] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    percent: str = "points"
    ref: str | None = None
    pseudonymise: bool = False
    skip_if_empty: bool = False
    upper: bool = False
    converts: tuple[str, ...] = ()
    month_of: str | None = None

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header accepted for this field, canonical name first (for error messages)."""
        return tuple(dict.fromkeys((self.name, *self.de, *self.en)))

    @property
    def stored_name(self) -> str:
        """Column name in the raw layer: org units are stored resolved, as `org_unit_id`."""
        return "org_unit_id" if self.ref == "org_unit" else self.name


@dataclass(frozen=True)
class Contract:
    """What one source folder (or config file) must contain."""

    name: str
    title: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    is_config: bool = False
    is_survey: bool = False
    optional: bool = False

    def field_named(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def required_fields(self) -> list[Field]:
        """Fields whose column must be present in every file (required values)."""
        return [f for f in self.fields if f.required]


@lru_cache(maxsize=8192)
def normalise_header(text: str) -> str:
    """Header text reduced to what matters: case, umlaut spelling and separators ignored.

    `Bestätigungsdatum`, `BESTAETIGUNGSDATUM` and ` bestätigungs-datum ` are one header;
    so are `Department/Name` and `Department Name`.
    (Remembered: the same few hundred headers and aliases are compared for every file and
    every candidate header row; 200 k calls took ~0.5 s of a run on the sample.)
    """
    t = text.replace("\ufeff", "").strip().casefold()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        t = t.replace(a, b)
    return re.sub(r"[\s_\-./]+", "", t)


@cache
def _document() -> dict:
    # libyaml's safe loader where PyYAML was built with it: the same document in ~13 ms
    # instead of ~80 ms, once per process
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(CONTRACTS_FILE.read_text(encoding="utf-8"), Loader=loader)


def contracts_hash() -> str:
    """Changes whenever the contracts change, so stored files are read again under new rules."""
    return hashlib.sha256(CONTRACTS_FILE.read_bytes()).hexdigest()[:16]


def _make_field(name: str, spec: dict, shared: dict) -> Field:
    merged = {**shared.get(name, {}), **(spec or {})}
    kind = merged.get("type", "text")
    if kind not in TYPES:
        raise ValueError(f"{CONTRACTS_FILE.name}: field '{name}' has unknown type '{kind}'")
    values = {str(k): tuple(str(v) for v in vs) for k, vs in (merged.get("values") or {}).items()}
    required_if = {k: tuple(v) for k, v in (merged.get("required_if") or {}).items()}
    return Field(
        name=name,
        type=kind,
        required=bool(merged.get("required", False)),
        default=merged.get("default"),
        de=tuple(merged.get("de", ())),
        en=tuple(merged.get("en", ())),
        values=values,
        open_values=bool(merged.get("open_values", False)),
        allowed=tuple(merged.get("allowed", ())),
        required_if=required_if,
        min=merged.get("min"),
        max=merged.get("max"),
        percent=merged.get("percent", "points"),
        ref=merged.get("ref"),
        pseudonymise=bool(merged.get("pseudonymise", False)),
        skip_if_empty=bool(merged.get("skip_if_empty", False)),
        upper=bool(merged.get("upper", False)),
        converts=tuple(merged.get("converts", ())),
        month_of=merged.get("month_of"),
    )


@cache
def all_contracts() -> dict[str, Contract]:
    """Every contract by name: the ten sources first (in file order), then the config files."""
    doc = _document()
    shared = doc.get("fields", {})
    out: dict[str, Contract] = {}
    for section, is_config in (("sources", False), ("config", True)):
        for name, spec in doc[section].items():
            fields = tuple(_make_field(f, s, shared) for f, s in spec["fields"].items())
            out[name] = Contract(
                name=name,
                title=spec.get("title", name),
                key=tuple(spec["key"]),
                fields=fields,
                is_config=is_config,
                is_survey=bool(spec.get("survey", False)),
                optional=bool(spec.get("optional", False)),
            )
    return out


def contract(name: str) -> Contract:
    try:
        return all_contracts()[name]
    except KeyError:
        known = ", ".join(all_contracts())
        raise KeyError(f"no contract named '{name}' (known: {known})") from None


def empty_markers() -> list[str]:
    """Cell texts that mean "no value" (compared lower-case, trimmed)."""
    return [str(m).lower() for m in _document()["empty_markers"]]


def boolean_spellings() -> dict[bool, list[str]]:
    spell = _document()["booleans"]
    return {True: [str(v).lower() for v in spell["true"]],
            False: [str(v).lower() for v in spell["false"]]}


def is_personal_identifier(header: str) -> bool:
    """Whether a header that is not a contract field names a direct personal identifier."""
    exact, contains = _personal_identifier_rules()
    h = normalise_header(header)
    return h in exact or any(part in h for part in contains)


@cache
def _personal_identifier_rules() -> tuple[frozenset[str], tuple[str, ...]]:
    """The normalised headers that are identifiers, and the parts that make one."""
    rules = _document()["personal_identifiers"]
    return (frozenset(normalise_header(x) for x in rules["exact"]),
            tuple(normalise_header(x) for x in rules["contains"]))


@dataclass(frozen=True)
class MapRow:
    """One row of `config/column_map.csv`: where a field of an export is (or its value).

    `row` is its data row number in that file (1 = the first row below the header), so that
    a message can name it.
    """

    row: int
    source: str
    file_pattern: str        # a glob on the file name ('' = every file of the source)
    field: str               # a contract field, or for surveys a question id
    header: str | None = None
    constant: str | None = None
    format: str | None = None

    def where(self) -> str:
        return f"config/column_map.csv row {self.row}"


@dataclass(frozen=True)
class FileMapping:
    """The `column_map.csv` rows in force for one file (one per field: see mapping.py)."""

    rows: tuple[MapRow, ...] = ()

    def row_for(self, name: str) -> MapRow | None:
        key = name.casefold()
        return next((r for r in self.rows if r.field.casefold() == key), None)

    @property
    def key(self) -> tuple:
        """Equal for files mapped alike (files of one layout are read together)."""
        return tuple((r.row, r.field) for r in self.rows)


NO_MAPPING = FileMapping()


@dataclass
class HeaderMatch:
    """How a file's header row maps onto a contract (and, for surveys, its question catalog)."""

    columns: dict[str, int]            # field name -> column index in the file
    language: str                      # "de" or "en": which aliases matched more often
    personal: list[tuple[int, str]]    # (column index, header) identifiers not stored
    ignored: list[tuple[int, str]]     # (column index, header) other columns not claimed
    missing: list[Field]               # required fields without a column or constant
    constants: dict[str, str] = field(default_factory=dict)  # field -> value of every row
    questions: dict[int, str] = field(default_factory=dict)  # column -> question id
    conflicts: list[str] = field(default_factory=list)       # why the file cannot be read
    pseudonymised: set[int] = field(default_factory=set)     # id columns under an
                                                             # identifier header
    via: dict[str, str] = field(default_factory=dict)        # field -> how it was found
    unmapped: list[MapRow] = field(default_factory=list)     # mapping rows whose header
                                                             # the file lacks

    @property
    def claimed(self) -> set[int]:
        """The columns a field, question or mapping claims: never dropped."""
        return set(self.columns.values()) | set(self.questions)

    def showable(self, c: Contract) -> set[int]:
        """The columns whose raw values a message may quote: claimed, and not an id field
        whose values may be e-mail addresses (stored only as pseudonyms)."""
        ids = {i for name, i in self.columns.items() if c.field_named(name).pseudonymise}
        return self.claimed - ids


_ALIAS_TABLES: dict[tuple, tuple[dict[str, str], dict[str, tuple[str, str]]]] = {}


def _alias_table(c: Contract) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Normalised canonical names -> field, normalised aliases -> (field, language)."""
    key = (c.name, tuple(f.name for f in c.fields))
    if key not in _ALIAS_TABLES:
        _ALIAS_TABLES[key] = _make_alias_table(c)
    return _ALIAS_TABLES[key]


def _make_alias_table(c: Contract) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    canonical = {normalise_header(f.name): f.name for f in c.fields}
    aliases: dict[str, tuple[str, str]] = {}
    for f in c.fields:
        for lang, names in (("de", f.de), ("en", f.en)):
            for alias in names:
                aliases.setdefault(normalise_header(alias), (f.name, lang))
    return canonical, aliases


def _columns_named(norm: list[str], header: str) -> list[int]:
    wanted = normalise_header(header)
    return [i for i, n in enumerate(norm) if n == wanted]


def _shown(headers: list[str], columns: list[int]) -> str:
    return " and ".join(f"'{headers[i].strip()}' (column {i + 1})" for i in columns)


def question_id_of(header: str, catalog: dict[str, str]) -> str | None:
    """The question a survey header answers: the longest catalog id (case-insensitive) the
    header equals or starts with, followed by a space, a bracketed text or `.`, `:`, `-`.

    `catalog`: lower-case id -> id as written. `Q10 [...]` answers Q10, not Q1; `q1[vis2]`
    answers `q1[vis2]` when the catalog has it, else `q1`; `Q2_1` answers neither Q2 nor Q21.
    """
    h = header.replace("\ufeff", "").strip().casefold()
    best: str | None = None
    for key, qid in catalog.items():
        if not h.startswith(key):
            continue
        rest = h[len(key):]
        if rest and not re.match(r"[\s\[\].:(\-–]", rest):
            continue
        if best is None or len(key) > len(best.casefold()):
            best = qid
    return best


def match_headers(c: Contract, headers: list[str], mapping: FileMapping = NO_MAPPING,
                  catalog: dict[str, str] | None = None) -> HeaderMatch:
    """Map headers to fields: a `column_map.csv` row first, then the canonical name or an
    alias; for surveys, the remaining headers to question ids of `catalog`.

    Two columns that could fill one field (or answer one question), or a header that a
    field uses written twice, make the file unreadable (`conflicts`): which one is meant
    is for a mapping row to say. Duplicate headers nobody uses are fine.
    """
    norm = [normalise_header(h) for h in headers]
    canonical, aliases = _alias_table(c)
    fields = {f.name for f in c.fields}
    columns: dict[str, int] = {}
    constants: dict[str, str] = {}
    questions: dict[int, str] = {}
    conflicts: list[str] = []
    unmapped: list[MapRow] = []
    via: dict[str, str] = {}
    votes = {"de": 0, "en": 0}
    taken: set[int] = set()
    for row in mapping.rows:
        if row.constant is not None:
            if row.field in fields:
                constants[row.field] = row.constant
                via[row.field] = f"constant ({row.where()})"
            continue
        if row.header is None:
            continue
        found = _columns_named(norm, row.header)
        if not found:
            unmapped.append(row)
            continue
        if len(found) > 1:
            conflicts.append(f"the header '{row.header}' that {row.where()} maps to "
                             f"{row.field} is written twice: {_shown(headers, found)} — "
                             "rename one in the export's settings or map by another header")
            continue
        if row.field in fields:
            columns[row.field] = found[0]
            via[row.field] = f"mapping ({row.where()})"
        elif catalog is not None:
            questions[found[0]] = catalog.get(row.field.casefold(), row.field)
        taken.add(found[0])
    # canonical names and aliases, for the fields no mapping row places
    candidates: dict[str, list[tuple[int, str]]] = {}
    for i, n in enumerate(norm):
        if i in taken or not n:
            continue
        if n in canonical:
            candidates.setdefault(canonical[n], []).append((i, "canonical"))
        elif n in aliases:
            name, lang = aliases[n]
            candidates.setdefault(name, []).append((i, lang))
    for f in c.fields:
        found = candidates.get(f.name, [])
        if not found or f.name in columns:
            continue
        if f.name in constants:  # the constant wins; the column is kept for what it tells
            if len(found) == 1:  # (a survey's own date column: is the response complete?)
                columns[f.name] = found[0][0]
                taken.add(found[0][0])
            continue
        if len(found) > 1:
            cols = [i for i, _ in found]
            conflicts.append(
                f"columns {_shown(headers, cols)} could both be {f.name} — say which one in "
                f"config/column_map.csv ({c.name};;{f.name};<header>;;)")
            continue
        i, how = found[0]
        columns[f.name] = i
        taken.add(i)
        via[f.name] = "canonical name" if how == "canonical" else f"alias ({how})"
        votes["en" if how == "canonical" else how] += 1
    if catalog:
        answered: dict[str, list[int]] = {}
        for i, header in enumerate(headers):
            if i in taken or i in questions:
                continue
            qid = question_id_of(header, catalog)
            if qid is not None:
                answered.setdefault(qid, []).append(i)
        for qid, cols in answered.items():
            if len(cols) > 1:
                conflicts.append(
                    f"columns {_shown(headers, cols[:2])} both answer question {qid} — add "
                    f"their sub-question ids (e.g. '{headers[cols[0]].strip()}') to "
                    "config/survey_questions.csv or map them in config/column_map.csv")
                continue
            questions[cols[0]] = qid
    claimed = set(columns.values()) | set(questions)
    personal: list[tuple[int, str]] = []
    ignored: list[tuple[int, str]] = []
    for i, header in enumerate(headers):
        if i in claimed or not norm[i]:
            continue
        (personal if is_personal_identifier(header) else ignored).append((i, header))
    pseudonymised = {i for name, i in columns.items()
                     if c.field_named(name).pseudonymise and is_personal_identifier(headers[i])}
    language = "de" if votes["de"] > votes["en"] else "en"
    missing = [f for f in c.required_fields if f.name not in columns and f.name not in constants]
    return HeaderMatch(columns, language, personal, ignored, missing, constants, questions,
                       conflicts, pseudonymised, via, unmapped)


# words too common in headers to say that two are alike
_GENERIC_WORDS = frozenset({"number", "nummer", "date", "datum", "name", "code", "type",
                            "time", "zeit", "count", "anzahl", "amount", "betrag", "value"})


def _words(header: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9äöüß]+", header.casefold())
            if len(w) >= 4 and w not in _GENERIC_WORDS}


def closest_headers(f: Field, headers: list[str], n: int = 2) -> list[str]:
    """The headers of a file that come closest to the names `f` accepts (`Creation Date`
    for `Created`): what to map in `config/column_map.csv` when `f` is missing."""
    wanted = {normalise_header(h) for h in f.headers}
    words = {w for h in f.headers for w in _words(h)}
    scored: list[tuple[float, str]] = []
    for header in headers:
        norm = normalise_header(header)
        if not norm:
            continue
        ratio = max(difflib.SequenceMatcher(None, norm, w).ratio() for w in wanted)
        if any(w in norm or norm in w for w in wanted if len(w) >= 5 and len(norm) >= 5):
            ratio = max(ratio, 0.8)
        if words & _words(header):
            ratio = max(ratio, 0.75)
        if ratio >= 0.72:
            scored.append((ratio, header.strip()))
    scored.sort(key=lambda t: -t[0])
    return list(dict.fromkeys(h for _, h in scored))[:n]


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def contracts_markdown() -> str:
    """The README table of accepted columns per source folder and config file."""
    lines: list[str] = []
    for c in all_contracts().values():
        where = f"config/{c.name}.csv" if c.is_config else f"{c.name}/"
        key = ", ".join(f"`{k}`" for k in c.key)
        lines += [f"### `{where}` — {c.title} (key: {key})", ""]
        if c.is_survey:
            lines += [
                "Every other column whose header is a `question_id` of "
                "`config/survey_questions.csv`, alone or followed by a bracketed text "
                "(`Q07 [Ich nutze ...]`), is an answer on that question's scale.",
                "",
            ]
        lines += ["| field | type | required | accepted headers |", "|---|---|---|---|"]
        for f in c.fields:
            if f.required:
                req = "yes"
            elif f.required_if:
                req = "if " + " or ".join(
                    f"{k} = {'/'.join(v)}" for k, v in f.required_if.items())
            elif f.default is not None:
                req = f"no (default {f.default})"
            else:
                req = "no"
            notes = ""
            if f.values:
                notes = " — values: " + ", ".join(
                    f"{'/'.join(dict.fromkeys(v))}" for v in f.values.values())
            if f.allowed:
                notes += " — only " + ", ".join(f.allowed)
            if f.min is not None and f.max is not None:
                notes += f" — {f.min:g}..{f.max:g}"
            elif f.min is not None:
                notes += f" — at least {f.min:g}"
            elif f.max is not None:
                notes += f" — at most {f.max:g}"
            if f.pseudonymise:
                notes += " — e-mail addresses stored as keyed pseudonyms"
            if f.skip_if_empty:
                notes += " — a row without it is skipped and counted"
            if f.converts:
                notes += (f" — other currencies converted to EUR ({', '.join(f.converts)}) "
                          "with config/exchange_rates.csv")
            headers = ", ".join(_md_escape(h) for h in f.headers)
            name = f"`{f.name}`"
            if f.stored_name != f.name:
                name += f" (stored as `{f.stored_name}`)"
            lines.append(f"| {name} | {f.type} | {req} | {headers}{notes} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # `python -m dagster_project.ingest.contracts` prints the table
    print(contracts_markdown())
