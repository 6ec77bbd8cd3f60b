"""The source contracts of docs/sources.md, read from `contracts.yaml` (the one place they live).

Contracts are data so that a reader of the YAML sees exactly what is accepted, and so the
README's table of accepted columns is generated from the same source the loader uses.
This module also holds header matching (aliases, case, umlauts, separators) and the
recognition of personal-identifier headers, because both are questions about headers.
"""

from __future__ import annotations

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

    `Bestätigungsdatum`, `BESTAETIGUNGSDATUM` and ` bestätigungs-datum ` are one header.
    (Remembered: the same few hundred headers and aliases are compared for every file and
    every candidate header row; 200 k calls took ~0.5 s of a run on the sample.)
    """
    t = text.replace("\ufeff", "").strip().casefold()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        t = t.replace(a, b)
    return re.sub(r"[\s_\-.]+", "", t)


@cache
def _document() -> dict:
    return yaml.safe_load(CONTRACTS_FILE.read_text(encoding="utf-8"))


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


@dataclass
class HeaderMatch:
    """How a file's header row maps onto a contract."""

    columns: dict[str, int]            # field name -> column index in the file
    language: str                      # "de" or "en": which aliases matched more often
    personal: list[tuple[int, str]]    # (column index, header) dropped identifiers
    ignored: list[tuple[int, str]]     # (column index, header) other unknown columns
    missing: list[Field]               # required fields without a column


def match_headers(c: Contract, headers: list[str]) -> HeaderMatch:
    """Map headers to fields: a canonical name beats an alias, else the first column wins."""
    norm = [normalise_header(h) for h in headers]
    aliases: dict[str, tuple[str, str]] = {}   # normalised alias -> (field, language)
    for f in c.fields:
        for lang, names in (("de", f.de), ("en", f.en)):
            for alias in names:
                aliases.setdefault(normalise_header(alias), (f.name, lang))
    columns: dict[str, int] = {}
    votes = {"de": 0, "en": 0}
    for f in c.fields:
        canonical = normalise_header(f.name)
        if canonical in norm:
            columns[f.name] = norm.index(canonical)
            votes["en"] += 1
    used = set(columns.values())
    for i, n in enumerate(norm):
        hit = aliases.get(n)
        if i in used or hit is None or hit[0] in columns:
            continue
        columns[hit[0]] = i
        used.add(i)
        votes[hit[1]] += 1
    personal: list[tuple[int, str]] = []
    ignored: list[tuple[int, str]] = []
    for i, header in enumerate(headers):
        if i in used or not norm[i]:
            continue
        (personal if is_personal_identifier(header) else ignored).append((i, header))
    language = "de" if votes["de"] > votes["en"] else "en"
    missing = [f for f in c.required_fields if f.name not in columns]
    return HeaderMatch(columns, language, personal, ignored, missing)


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
            if f.min is not None or f.max is not None:
                notes += f" — {f.min}..{f.max}"
            headers = ", ".join(_md_escape(h) for h in f.headers)
            name = f"`{f.name}`"
            if f.stored_name != f.name:
                name += f" (stored as `{f.stored_name}`)"
            lines.append(f"| {name} | {f.type} | {req} | {headers}{notes} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # `python -m dagster_project.ingest.contracts` prints the table
    print(contracts_markdown())
