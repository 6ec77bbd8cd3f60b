"""Hagedorn Antriebstechnik GmbH: the org tree, who works where, and how they are named.

The ids and names are fixed by the team brief. Headcounts are chosen so that privacy
suppression happens: Verwaltung has VW-HR (6), VW-IT (7) and VW-FI (4) people, so VW-FI is
suppressed for being too small and VW-HR has to go too (else VW − VW-IT − VW-HR = VW-FI).
"""

from __future__ import annotations

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
