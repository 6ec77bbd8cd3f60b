"""The employee survey: four waves exported from LimeSurvey, wide, one row per response.

Headers are written the LimeSurvey way (`Q07 [Ich nutze ...]`), the file starts with a BOM,
unanswered items are `k.A.` or empty, incomplete responses have no `submitdate`. The first
two waves carry no wave column (the raw layer falls back to the calendar quarter), the
later ones a `Welle` column. Respondents name their department; maturity improves from
wave to wave.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .company import CollapsedRow, QuarantinedRow
from .exports import FileFormat, delimited_bytes
from .org import OrgTree
from .people import employed_on, unit_on
from .timeline import quarter_label

# question_id, dimension, text, scale_min, scale_max, reverse_coded
QUESTIONS = [
    ("Q01", "it_infrastructure",
     "Unsere IT-Infrastruktur ist auf dem aktuellen Stand.", 1, 5, False),
    ("Q02", "it_infrastructure",
     "Ich kann von überall sicher auf meine Daten zugreifen.", 1, 5, False),
    ("Q03", "organisation",
     "Zuständigkeiten für Digitalthemen sind klar geregelt.", 1, 5, False),
    ("Q04", "organisation",
     "Entscheidungen dauern bei uns zu lange.", 1, 5, True),
    ("Q05", "processes",
     "Unsere Abläufe sind weitgehend papierlos.", 1, 5, False),
    ("Q06", "processes",
     "Ich muss Daten oft doppelt erfassen.", 1, 5, True),
    ("Q07", "strategy",
     "Ich kenne die Digitalstrategie von Hagedorn.", 1, 5, False),
    ("Q08", "strategy",
     "Die Geschäftsführung treibt die Digitalisierung sichtbar voran.", 1, 5, False),
    ("Q09", "innovation",
     "Neue Ideen, auch digitale, werden bei uns ausprobiert.", 1, 5, False),
    ("Q10", "innovation",
     "Für Experimente fehlt uns die Zeit.", 1, 5, True),
    ("Q11", "collaboration",
     "Ich nutze Teams, um mit Kollegen an anderen Standorten zu arbeiten.", 1, 5, False),
    ("Q12", "collaboration",
     "Informationen zwischen Abteilungen gehen oft verloren.", 1, 5, True),
    ("Q13", "acceptance",
     "Die neuen Werkzeuge erleichtern meine Arbeit.", 1, 5, False),
    ("Q14", "acceptance",
     "Ich würde gern zu den alten Abläufen zurückkehren.", 1, 5, True),
    ("Q15", "acceptance",
     "Ich fühle mich für die neuen Systeme gut geschult.", 1, 5, False),
    ("Q16", "enps",
     "Wie wahrscheinlich ist es, dass Sie Hagedorn als Arbeitgeber empfehlen?", 0, 10, False),
]
# label, first day, last day, written wave (None: no wave column), first response id
WAVES = [
    ("2025-Q1", "2025-03-03", "2025-03-21", None, 1),
    ("2025-Q3", "2025-09-08", "2025-09-26", None, 1001),
    ("2026-Q1", "2026-03-02", "2026-03-20", "2026-Q1", 2001),
    ("2026-Q3", "2026-09-07", "2026-09-25", "2026-Q3", 3001),
]
SURVEY_FORMAT = FileFormat(encoding="utf-8-sig", delimiter=",")
UNIT_LEVEL = {"VT-IN": 0.2, "VT-EX": 0.3, "VT-SV": 0.0, "PR-W1": -0.3, "PR-W2": -0.4,
              "VW-HR": 0.1, "VW-IT": 0.6, "VW-FI": 0.0, "EK": -0.1}


def file_name(wave: str) -> str:
    return f"umfrage_{wave}.csv"


def _answer(rng: np.random.Generator, question: tuple, level: float) -> int:
    _, dimension, _, low, high, reverse = question
    if dimension == "enps":
        return int(np.clip(round(rng.normal(6.4 + (level - 2.5) * 1.4, 2.2)), low, high))
    agree = int(np.clip(round(rng.normal(level, 0.9)), low, high))
    return high + low - agree if reverse else agree


def question_text(text: str, tree: OrgTree) -> str:
    """A question as the company asks it (the sample's questions name Hagedorn)."""
    return text.replace("Hagedorn", tree.company)


def survey_exports(employees: pd.DataFrame, rng: np.random.Generator, folder_path,
                   tree: OrgTree):
    """Write the four survey files; return (truth, quarantine, collapsed, rows, files).

    The truth names units by role (a sample unit id), as every other truth frame."""
    headers = [f"{q[0]} [{question_text(q[2], tree)}]" for q in QUESTIONS]
    truth_rows, quarantine = [], []
    rows_written, names = 0, []
    for wave_index, (label, first, last, written_wave, first_id) in enumerate(WAVES):
        start, end = pd.Timestamp(first), pd.Timestamp(last)
        staff = employees[employed_on(employees, start)].copy()
        staff["unit"] = unit_on(staff, start)
        rate = {u: rng.uniform(0.6, 0.8) for u in UNIT_LEVEL}
        responding = staff[[rng.random() < rate[u] for u in staff.unit]]
        dropouts = staff.loc[staff.index.difference(responding.index)].sample(
            frac=0.08, random_state=int(rng.integers(1 << 30)))
        people = pd.concat([responding.assign(_complete=True), dropouts.assign(_complete=False)])
        people = people.sample(frac=1.0, random_state=int(rng.integers(1 << 30)))
        span = int((end - start).total_seconds()) + 86400 - 1
        submitted = sorted(start + pd.Timedelta(seconds=int(s))
                           for s in rng.integers(7 * 3600, span, size=len(people)))
        header = ["id", "submitdate", "lastpage", "startlanguage", "Organisationseinheit"]
        header += (["Welle"] if written_wave else []) + headers
        rows = []
        for number, (person, when) in enumerate(zip(people.to_dict("records"), submitted,
                                                    strict=True), start=1):
            response_id = str(first_id + number - 1)
            unit_cell = (tree.name(person["unit"]) if rng.random() < 0.9
                         else tree.id(person["unit"]))
            level = 2.5 + 0.3 * wave_index + UNIT_LEVEL[person["unit"]]
            cells, answers = [], []
            for position, question in enumerate(QUESTIONS):
                missing = rng.random()
                if not person["_complete"] and position > 6:
                    cells.append("")
                elif missing < 0.04:
                    cells.append("k.A.")
                elif missing < 0.06:
                    cells.append("")
                else:
                    value = _answer(rng, question, level)
                    cells.append(str(value))
                    answers.append((question[0], float(value)))
            complete = person["_complete"]
            row = [response_id, when.strftime("%Y-%m-%d %H:%M:%S") if complete else "",
                   "4" if complete else "2", "de", unit_cell]
            rows.append(row + ([written_wave] if written_wave else []) + cells)
            if complete:
                for question_id, value in answers:
                    truth_rows.append({
                        "response_id": response_id, "submitted_at": when,
                        "org_unit_id": person["unit"],
                        "wave": written_wave or quarter_label(when),
                        "question_id": question_id, "answer": value})
        name = file_name(label)
        _plant_survey_errors(wave_index, rows, header, name, truth_rows, quarantine)
        (folder_path / name).write_bytes(delimited_bytes(header, rows, SURVEY_FORMAT))
        rows_written += len(rows)
        names.append(name)
    truth = pd.DataFrame(truth_rows)
    collapsed: list[CollapsedRow] = []
    return truth, quarantine, collapsed, rows_written, names


def _plant_survey_errors(wave_index, rows, header, name, truth_rows, quarantine) -> None:
    """Wave 2: one answer off the scale (only that answer goes). Wave 3: a response naming a
    unit that does not exist (the whole response goes)."""
    def complete_row(start: int) -> int:
        return next(i for i in range(start, len(rows)) if rows[i][1])

    if wave_index == 1:
        index = complete_row(30)
        column = header.index(next(h for h in header if h.startswith("Q03 [")))
        response_id = rows[index][0]
        rows[index][column] = "7"
        truth_rows[:] = [r for r in truth_rows
                         if not (r["response_id"] == response_id and r["question_id"] == "Q03")]
        quarantine.append(QuarantinedRow("survey_responses", name, index + 1, "Q03",
                                         header[column], "out_of_scale", "7"))
    if wave_index == 2:
        index = complete_row(55)
        response_id = rows[index][0]
        rows[index][4] = "Geschäftsleitung"
        truth_rows[:] = [r for r in truth_rows if r["response_id"] != response_id]
        quarantine.append(QuarantinedRow("survey_responses", name, index + 1, "org_unit",
                                         header[4], "unknown_org_unit", "Geschäftsleitung"))
