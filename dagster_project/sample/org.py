"""Hagedorn Antriebstechnik GmbH: the org tree, who works where, and how they are named.

The ids and names are fixed by the team brief. Headcounts are chosen so that privacy
suppression happens: Verwaltung has VW-HR (6), VW-IT (7) and VW-FI (4) people, so VW-FI is
suppressed for being too small and VW-HR has to go too (else VW − VW-IT − VW-HR = VW-FI).

The generator works with these ids as the *roles* of units (the sales units, the plants,
the administration); an `OrgTree` says which unit of a company plays each role. The
shipped sample is `SAMPLE_TREE`; `SECOND_TREE` is another company (other ids and names,
four levels, umlauts in names), so that nothing downstream can lean on the sample's tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROOT = "HAT"

# (org_unit_id, name, parent_id)
ORG_UNITS: list[tuple[str, str, str | None]] = [
    ("HAT", "Hagedorn Antriebstechnik GmbH", None),
    ("VT", "Vertrieb", "HAT"),
    ("VT-IN", "Vertrieb Inland", "VT"),
    ("VT-EX", "Vertrieb Export", "VT"),
    ("VT-SV", "Kundenservice", "VT"),
    ("PR", "Produktion", "HAT"),
    ("PR-W1", "Werk Bielefeld", "PR"),
    ("PR-W2", "Werk Gütersloh", "PR"),
    ("VW", "Verwaltung", "HAT"),
    ("VW-HR", "Personal", "VW"),
    ("VW-IT", "IT", "VW"),
    ("VW-FI", "Finanzen", "VW"),
    ("EK", "Einkauf & Logistik", "HAT"),
]
UNIT_NAMES = {unit: name for unit, name, _ in ORG_UNITS}
LEAF_UNITS = [u for u, _, _ in ORG_UNITS if not any(p == u for _, _, p in ORG_UNITS)]
SALES_UNITS = ["VT-IN", "VT-EX", "VT-SV"]

# People per leaf unit at the start of the data; the small administration units never
# change (they carry the planted suppression), the others scale and see entries and exits.
HEADCOUNT = {
    "VT-IN": 38, "VT-EX": 24, "VT-SV": 30, "PR-W1": 95, "PR-W2": 70,
    "VW-HR": 6, "VW-IT": 7, "VW-FI": 4, "EK": 22,
}
FIXED_UNITS = {"VW-HR", "VW-IT", "VW-FI"}

# Roles per unit with weights (as HR writes them).
ROLES = {
    "VT-IN": [("Vertriebsinnendienst", 0.55), ("Außendienst", 0.35), ("Teamleitung", 0.10)],
    "VT-EX": [("Vertriebsinnendienst", 0.45), ("Key-Account-Manager", 0.45), ("Teamleitung", 0.10)],
    "VT-SV": [("Servicetechniker", 0.6), ("Vertriebsinnendienst", 0.3), ("Teamleitung", 0.1)],
    "PR-W1": [("Produktionsmitarbeiter", 0.78), ("Schichtleiter", 0.12), ("Ingenieur", 0.10)],
    "PR-W2": [("Produktionsmitarbeiter", 0.80), ("Schichtleiter", 0.12), ("Ingenieur", 0.08)],
    "VW-HR": [("Personalreferent", 1.0)],
    "VW-IT": [("IT-Administrator", 1.0)],
    "VW-FI": [("Buchhalter", 1.0)],
    "EK": [("Einkäufer", 0.5), ("Disponent", 0.3), ("Lagerist", 0.2)],
}

FIRST_NAMES = [
    "Anna", "Ben", "Carla", "David", "Elif", "Felix", "Greta", "Hannes", "Ilka", "Jonas",
    "Katrin", "Lukas", "Marie", "Niklas", "Olga", "Paul", "Rosa", "Sven", "Tanja", "Uwe",
    "Vera", "Wolfgang", "Yasemin", "Zoe", "Jürgen", "Sören", "Björn", "Mehmet", "Agnieszka",
    "Thomas", "Sabine", "Michael", "Andrea", "Stefan", "Claudia", "Frank", "Petra", "Dirk",
]
LAST_NAMES = [
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt",
    "Werner", "Krause", "Meier", "Lehmann", "Köhler", "Yılmaz", "Kowalski", "Özdemir",
    "Brinkmann", "Großmann", "Steinkamp", "Overbeck", "Niehaus", "Bültmann",
]

TOOLS_BY_UNIT = {
    "VT-IN": ["Teams", "CRM", "ERP"], "VT-EX": ["Teams", "CRM", "ERP"],
    "VT-SV": ["Teams", "CRM", "ERP"], "PR-W1": ["MES"], "PR-W2": ["MES"],
    "VW-HR": ["Teams", "DMS"], "VW-IT": ["Teams", "DMS"], "VW-FI": ["Teams", "ERP", "DMS"],
    "EK": ["Teams", "ERP", "DMS"],
}
# Office roles in production also get Teams.
TEAMS_ROLES_IN_PRODUCTION = {"Schichtleiter", "Ingenieur"}
# When a tool became available per unit (licences start then, or at entry if later).
TOOL_ROLLOUT = {
    ("Teams", None): "2023-03-01",
    ("CRM", None): "2024-06-03",
    ("ERP", None): "2019-01-02",
    ("MES", "PR-W1"): "2025-02-17",
    ("MES", "PR-W2"): "2025-09-15",
    ("DMS", None): "2025-06-16",
}


@dataclass(frozen=True)
class OrgTree:
    """A company's org tree and which of its units plays each role of the generator.

    `units`: (org_unit_id, name, parent_id), parents first. `roles`: role (a unit id of the
    sample tree) -> this tree's unit id; units without a role hold no rows of their own
    (an extra level in between). `company`: how the survey questions name the company;
    `places`: the sample's town names in free text (project names, owners) -> this
    company's.
    """

    key: str
    units: tuple[tuple[str, str, str | None], ...]
    roles: dict[str, str]
    company: str
    places: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        ids = [unit for unit, _, _ in self.units]
        missing = sorted(set(UNIT_NAMES) - set(self.roles))
        unknown = sorted(set(self.roles.values()) - set(ids))
        if missing or unknown or len(set(self.roles.values())) != len(self.roles):
            raise ValueError(f"org tree {self.key!r}: roles without a unit {missing}, "
                             f"units not in the tree {unknown}, or a unit with two roles")

    def id(self, role: str) -> str:
        """The unit that plays `role` (a sample unit id)."""
        return self.roles[role]

    def name(self, role: str) -> str:
        return self.names[self.roles[role]]

    @property
    def names(self) -> dict[str, str]:
        return {unit: name for unit, name, _ in self.units}

    def rename(self, text: str) -> str:
        """Free text of the sample (a project name, a measure's owner) for this company:
        the sample's unit names (longest first) and towns replaced by this tree's, as whole
        words (`IT` in `IT-Sicherheit` stays)."""
        pairs = sorted(((UNIT_NAMES[role], self.name(role)) for role in self.roles),
                       key=lambda pair: -len(pair[0]))
        for old, new in [*pairs, *self.places]:
            if old != new:
                text = re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", new, text)
        return text

    @property
    def root(self) -> str:
        return next(unit for unit, _, parent in self.units if parent is None)


SAMPLE_TREE = OrgTree("sample", tuple(ORG_UNITS), {u: u for u in UNIT_NAMES},
                      "Hagedorn")

# Brückner Fördertechnik AG: four levels; the service unit sits beside sales, not below it.
SECOND_TREE = OrgTree(
    "second",
    (
        ("BFT", "Brückner Fördertechnik AG", None),
        ("MK", "Markt & Kunden", "BFT"),
        ("MK-VK", "Verkauf", "MK"),
        ("MK-VK-N", "Verkauf Nord", "MK-VK"),
        ("MK-VK-S", "Verkauf Süd & Österreich", "MK-VK"),
        ("MK-KD", "Kundendienst", "MK"),
        ("TW", "Technik & Werke", "BFT"),
        ("TW-FE", "Fertigung", "TW"),
        ("TW-FE-NU", "Werk Nürnberg", "TW-FE"),
        ("TW-FE-FU", "Werk Fürth", "TW-FE"),
        ("TW-EL", "Einkauf & Lager", "TW"),
        ("ZD", "Zentrale Dienste", "BFT"),
        ("ZD-PE", "Personalwesen", "ZD"),
        ("ZD-IT", "IT-Service", "ZD"),
        ("ZD-RW", "Rechnungswesen", "ZD"),
    ),
    {
        "HAT": "BFT", "VT": "MK-VK", "VT-IN": "MK-VK-N", "VT-EX": "MK-VK-S",
        "VT-SV": "MK-KD", "PR": "TW-FE", "PR-W1": "TW-FE-NU", "PR-W2": "TW-FE-FU",
        "VW": "ZD", "VW-HR": "ZD-PE", "VW-IT": "ZD-IT", "VW-FI": "ZD-RW", "EK": "TW-EL",
    },
    "Brückner",
    (("Bielefeld", "Nürnberg"), ("Gütersloh", "Fürth")),
)
TREES = {tree.key: tree for tree in (SAMPLE_TREE, SECOND_TREE)}
