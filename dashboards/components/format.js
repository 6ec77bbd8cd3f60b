// German display of Leitstand's numbers, dates and statuses, in one place for every page.
// Evidence's own `fmt` only knows English separators; management reads `40,9 %` and `1.234`.

const NBSP = '\u00a0';
const cache = new Map();

function numberFormat(decimals) {
	if (!cache.has(decimals)) {
		cache.set(
			decimals,
			new Intl.NumberFormat('de-DE', {
				minimumFractionDigits: decimals,
				maximumFractionDigits: decimals
			})
		);
	}
	return cache.get(decimals);
}

const isMissing = (x) => x === null || x === undefined || Number.isNaN(Number(x));

/** `1.234`, `0,97`: a plain number with German separators. */
export function num(x, decimals = 0) {
	return isMissing(x) ? '–' : numberFormat(decimals).format(Number(x));
}

/** A share in 0..1 as `40,9 %`. */
export function pct(x, decimals = 1) {
	return isMissing(x) ? '–' : `${num(Number(x) * 100, decimals)}${NBSP}%`;
}

/** A percentage already in 0..100 as `45,0 %`. */
export function pct100(x, decimals = 1) {
	return isMissing(x) ? '–' : `${num(x, decimals)}${NBSP}%`;
}

/** Euros without cents: `1.234.567 €`. */
export function eur(x) {
	return isMissing(x) ? '–' : `${num(x, 0)}${NBSP}€`;
}

// How each KPI unit is shown; the unit comes from marts.kpi_definitions.
const UNIT_FORMATS = {
	share: (x) => pct(x, 1),
	fraction: (x) => pct(x, 1),
	percent: (x) => pct100(x, 1),
	days: (x) => `${num(x, 1)}${NBSP}Tage`,
	index: (x) => num(x, 1),
	score: (x) => num(x, 1),
	points: (x) => num(x, 1),
	ratio: (x) => num(x, 2)
};

/** A KPI value in the KPI's own unit. */
export function kpiValue(x, unit) {
	if (isMissing(x)) return '–';
	const format = UNIT_FORMATS[String(unit ?? '').toLowerCase()] ?? ((v) => num(v, 2));
	return format(x);
}

/** A change per month in the KPI's unit (shares in percentage points). */
export function kpiDelta(x, unit) {
	if (isMissing(x)) return '–';
	const u = String(unit ?? '').toLowerCase();
	const sign = Number(x) > 0 ? '+' : Number(x) < 0 ? '−' : '±';
	const size = Math.abs(Number(x));
	if (u === 'share' || u === 'fraction') return `${sign}${num(size * 100, 1)}${NBSP}Pp.`;
	if (u === 'percent') return `${sign}${num(size, 1)}${NBSP}Pp.`;
	return `${sign}${kpiValue(size, unit)}`;
}

/** The factor that turns a KPI value into what a chart axis shows (shares as 0..100). */
export function chartScale(unit) {
	const u = String(unit ?? '').toLowerCase();
	return u === 'share' || u === 'fraction' ? 100 : 1;
}

function asDate(d) {
	if (d === null || d === undefined || d === '') return null;
	const date = d instanceof Date ? d : new Date(d);
	return Number.isNaN(date.getTime()) ? null : date;
}

/** `31.10.2026` (dates are calendar dates: shown in UTC, never shifted by a time zone). */
export function date(d) {
	const x = asDate(d);
	return x
		? x.toLocaleDateString('de-DE', {
				day: '2-digit',
				month: '2-digit',
				year: 'numeric',
				timeZone: 'UTC'
			})
		: '–';
}

/** `22.11.2026, 06:15 Uhr` for a timestamp taken as written. */
export function dateTime(d) {
	const x = asDate(d);
	if (!x) return '–';
	const time = x.toLocaleTimeString('de-DE', {
		hour: '2-digit',
		minute: '2-digit',
		timeZone: 'UTC'
	});
	return `${date(x)}, ${time}${NBSP}Uhr`;
}

// German month abbreviations as written in running text (the browser's stand-alone forms,
// `Jan`, `Jul`, `Sep`, read as English on an axis).
const MONTHS_DE = ['Jan.', 'Feb.', 'März', 'Apr.', 'Mai', 'Juni', 'Juli', 'Aug.', 'Sept.', 'Okt.', 'Nov.', 'Dez.'];

/** An axis label: `Okt.`, with the year in January: `Jan. 2026`. */
export function axisMonth(d) {
	const x = asDate(d);
	if (!x) return '';
	const short = MONTHS_DE[x.getUTCMonth()];
	return x.getUTCMonth() === 0 ? `${short} ${x.getUTCFullYear()}` : short;
}

/** `Okt. 2026` */
export function month(d) {
	const x = asDate(d);
	return x ? x.toLocaleDateString('de-DE', { month: 'short', year: 'numeric', timeZone: 'UTC' }) : '–';
}

export const STATUS_LABELS = {
	green: 'grün',
	amber: 'gelb',
	red: 'rot',
	no_target: 'ohne Ziel'
};

/** The German label of a phase-5 status. */
export function statusLabel(status) {
	return STATUS_LABELS[status] ?? 'keine Daten';
}

const DAYS_PER_MONTH = 365.25 / 12;

/** The smallest change a KPI of `unit` shows (half of its last displayed digit). */
function displayStep(unit) {
	const u = String(unit ?? '').toLowerCase();
	if (u === 'share' || u === 'fraction') return 0.0005; // 0,1 Pp.
	if (u === 'ratio') return 0.005; // 0,01
	return 0.05; // 0,1 days, points, index
}

/**
 * The trend of a kpi_status row in words: which way the KPI moves per month, whether that is
 * the good direction, and whether the distance to the target path grows or shrinks.
 *
 * row: { trend_3m, direction, unit, value, expected_value, target_value, target_date, month }
 * Returns { arrow, tone ('good' | 'bad' | 'flat' | 'none'), label, delta, path } where
 * `label` is "in Zielrichtung" / "gegen Zielrichtung" / "gleichbleibend" / "zu wenige Werte",
 * `delta` the change per month in the KPI's unit, `path` e.g. "Abstand zum Pfad wächst".
 */
export function trendInfo(row) {
	const slope = row?.trend_3m;
	if (isMissing(slope)) {
		return { arrow: '–', tone: 'none', label: 'zu wenige Werte', delta: '–', path: '' };
	}
	const s = Number(slope);
	const step = displayStep(row.unit);
	const down = row.direction === 'down';
	const path = pathWords(row, s, step);
	if (Math.abs(s) < step) {
		return { arrow: '→', tone: 'flat', label: 'gleichbleibend', delta: kpiDelta(0, row.unit), path };
	}
	const rising = s > 0;
	const good = down ? !rising : rising;
	return {
		arrow: rising ? '↗' : '↘',
		tone: good ? 'good' : 'bad',
		label: good ? 'in Zielrichtung' : 'gegen Zielrichtung',
		delta: kpiDelta(s, row.unit),
		path
	};
}

/** How the gap to the target path changes per month at the current trend. */
function pathWords(row, slope, step) {
	if (isMissing(row.expected_value) || isMissing(row.target_value) || isMissing(row.value)) return '';
	const end = monthEnd(row.month);
	const targetDate = asDate(row.target_date);
	let pathSlope = 0;
	if (end && targetDate) {
		const daysLeft = (targetDate.getTime() - end.getTime()) / 86400000;
		if (daysLeft > 0) {
			pathSlope = ((Number(row.target_value) - Number(row.expected_value)) / daysLeft) * DAYS_PER_MONTH;
		}
	}
	const down = row.direction === 'down';
	const gap = down
		? Number(row.expected_value) - Number(row.value)
		: Number(row.value) - Number(row.expected_value);
	const gapChange = down ? pathSlope - slope : slope - pathSlope;
	if (Math.abs(gapChange) < step) {
		return gap < 0 ? 'Abstand zum Pfad bleibt gleich' : 'Vorsprung bleibt gleich';
	}
	if (gap < 0) return gapChange < 0 ? 'Abstand zum Pfad wächst' : 'Abstand zum Pfad schrumpft';
	return gapChange > 0 ? 'Vorsprung wächst' : 'Vorsprung schrumpft';
}

function monthEnd(d) {
	const x = asDate(d);
	if (!x) return null;
	return new Date(Date.UTC(x.getUTCFullYear(), x.getUTCMonth() + 1, 0));
}

/** The old trend arrow, kept for callers that only need the arrow and its tone. */
export function trend(slope, direction, unit) {
	const t = trendInfo({ trend_3m: slope, direction, unit });
	return { arrow: t.arrow, tone: t.tone, label: t.label };
}

// What the denominator of a KPI counts, in the dative plural ("3 von 4 Meilensteinen").
const COUNTED = {
	milestone_on_time_rate: 'Meilensteinen',
	lead_win_rate: 'abgeschlossenen Leads',
	digital_order_share: 'Aufträgen',
	digital_interaction_share: 'Kontakten',
	repeat_customer_rate: 'Kunden',
	tool_adoption_rate: 'Lizenzen',
	training_coverage: 'Beschäftigten',
	acceptance_rate: 'Antworten'
};
// KPIs whose denominator counts observations behind a median or mean ("aus 12 Antworten").
const OBSERVED = {
	order_lead_time_days: 'Aufträgen',
	digital_maturity_index: 'Antworten',
	enps: 'Antworten'
};
/** Up to this many observations the count is shown beside the value. */
export const SMALL_COUNT = 30;

/** "3 von 4 Meilensteinen" / "aus 12 Antworten" where the count behind a value is small. */
export function countNote(kpiId, numerator, denominator) {
	if (isMissing(denominator) || Number(denominator) > SMALL_COUNT) return '';
	const n = Number(denominator);
	if (COUNTED[kpiId] && !isMissing(numerator)) {
		return `${num(numerator)} von ${num(n)} ${COUNTED[kpiId]}`;
	}
	if (OBSERVED[kpiId]) return `aus ${num(n)} ${OBSERVED[kpiId]}`;
	return '';
}

/** "2 rot, 1 gelb" for the units below that are off track ('' when none). */
export function belowNote(red, amber) {
	const parts = [];
	if (Number(red) > 0) parts.push(`${num(red)} rot`);
	if (Number(amber) > 0) parts.push(`${num(amber)} gelb`);
	return parts.join(', ');
}

/** The gap to the target path in the KPI's unit, signed so that negative is behind. */
export function gapValue(row) {
	if (isMissing(row?.value) || isMissing(row?.expected_value)) return null;
	const gap = Number(row.value) - Number(row.expected_value);
	return row.direction === 'down' ? -gap : gap;
}

export const MILESTONE_LABELS = {
	done_on_time: 'termingerecht erreicht',
	done_late: 'verspätet erreicht',
	open: 'offen',
	overdue: 'überfällig'
};

export const ACTION_LABELS = {
	open: 'offen',
	planned: 'geplant',
	in_progress: 'in Arbeit',
	'in progress': 'in Arbeit',
	done: 'erledigt',
	completed: 'erledigt',
	closed: 'abgeschlossen',
	cancelled: 'abgebrochen',
	blocked: 'blockiert'
};

export const DIMENSION_LABELS = {
	it_infrastructure: 'IT-Infrastruktur',
	organisation: 'Organisation',
	processes: 'Prozesse',
	strategy: 'Strategie',
	innovation: 'Innovation',
	collaboration: 'Zusammenarbeit'
};

export const SUPPRESSED_TEXT = 'unter Mindestgruppengröße';

export const PROJECT_TYPE_LABELS = {
	pilot: 'Pilotprojekt',
	rollout: 'Einführung',
	roll_out: 'Einführung',
	'roll-out': 'Einführung'
};

// The source folders as management knows them.
export const SOURCE_LABELS = {
	erp_orders: 'ERP-Aufträge',
	crm_interactions: 'CRM-Kontakte',
	crm_leads: 'CRM-Leads',
	hr_employees: 'Personalstamm',
	it_licenses: 'IT-Lizenzen',
	it_usage: 'IT-Nutzung',
	lms_trainings: 'Schulungen',
	survey_responses: 'Mitarbeiterbefragung',
	projects: 'Projektstatus',
	project_milestones: 'Meilensteine',
	config: 'Stammdaten (config/)',
	org_units: 'Organisationsstruktur',
	channels: 'Kanalzuordnung',
	kpi_targets: 'Zielwerte',
	training_requirements: 'Pflichtschulungen',
	survey_questions: 'Fragenkatalog',
	actions: 'Maßnahmen',
	settings: 'Einstellungen',
	dbt: 'Berechnung der Kennzahlen (Modellprüfungen)'
};

/** `ERP-Aufträge` for `erp_orders`, `Kennzahlen je Monat` for `marts.kpi_monthly`. */
export function sourceLabel(name) {
	const text = String(name ?? '');
	const [schema, table] = text.includes('.') ? text.split('.', 2) : ['', text];
	const tables = {
		kpi_monthly: 'Kennzahlen je Monat',
		kpi_status: 'Kennzahlen-Status',
		kpi_definitions: 'Kennzahlenkatalog',
		maturity_by_dimension: 'Reifegrad je Dimension',
		tool_adoption: 'Tool-Nutzung je Tool',
		org_units: 'Organisationsstruktur',
		actions: 'Maßnahmen',
		projects: 'Projekte',
		milestones: 'Meilensteine'
	};
	if (schema === 'marts') return `${tables[table] ?? table} (veröffentlicht)`;
	if (schema === 'raw') return `${SOURCE_LABELS[table] ?? table} (Rohdaten)`;
	if (schema === 'staging' || schema === 'intermediate') return `Zwischenschritt der Berechnung: ${table}`;
	return SOURCE_LABELS[text] ?? text;
}

const COLUMN_WORDS = {
	org_unit: 'Organisationseinheit',
	org_unit_id: 'Organisationseinheit',
	order_date: 'Auftragsdatum',
	confirmed_date: 'Bestätigungsdatum',
	occurred_at: 'Kontaktzeitpunkt',
	closed_date: 'Abschlussdatum',
	created_date: 'Erstellungsdatum',
	entry_date: 'Eintrittsdatum',
	exit_date: 'Austrittsdatum',
	assigned_from: 'gültig ab',
	assigned_until: 'gültig bis',
	activity_date: 'Nutzungsdatum',
	completed_date: 'Abschlussdatum',
	submitted_at: 'Abgabezeitpunkt',
	status_date: 'Stichtag',
	planned_date: 'Plantermin',
	actual_date: 'Ist-Termin',
	net_amount: 'Nettobetrag',
	currency: 'Währung',
	status: 'Status',
	channel: 'Kanal',
	employee_id: 'Personalnummer',
	percent_complete: 'Fertigstellungsgrad',
	budget_eur: 'Budget',
	cost_to_date_eur: 'Ist-Kosten',
	answer: 'Antwort',
	tool: 'Tool',
	role: 'Rolle',
	value: 'Wert',
	kpi_id: 'Kennzahl',
	parent_id: 'übergeordnete Einheit',
	date: 'Datum',
	'date/time': 'Datum/Uhrzeit',
	number: 'Zahl',
	answer: 'Antwort',
	order_id: 'Auftragsnummer',
	customer_id: 'Kundennummer',
	interaction_id: 'Kontaktnummer',
	lead_id: 'Lead-Nummer',
	source_channel: 'Leadquelle',
	expected_value: 'erwarteter Umsatz',
	direction: 'Richtung',
	topic: 'Thema',
	events: 'Anzahl Ereignisse',
	course_id: 'Kurs-ID',
	response_id: 'Antwortnummer',
	question_id: 'Frage',
	wave: 'Befragungswelle',
	project_id: 'Projekt-ID',
	project_name: 'Projektname',
	project_type: 'Projektart',
	milestone_id: 'Meilenstein-Nr.',
	milestone_name: 'Meilenstein',
	name: 'Name',
	dimension: 'Dimension',
	text: 'Fragetext',
	scale_min: 'Skala von',
	scale_max: 'Skala bis',
	reverse_coded: 'umgepolt',
	baseline_date: 'Ausgangsdatum',
	baseline_value: 'Ausgangswert',
	target_date: 'Zieldatum',
	target_value: 'Zielwert',
	tolerance: 'Toleranz',
	action_id: 'Maßnahmen-Nr.',
	title: 'Titel',
	owner: 'Verantwortlich',
	due_date: 'Fällig am',
	raw_value: 'Rohwert',
	is_digital: 'digital',
	key: 'Schlüssel',
	valid_from: 'gültig ab'
};

/** A column name in words (`order_date` -> `Auftragsdatum`); unknown names stay as they are. */
export function columnLabel(name) {
	const key = String(name ?? '').trim();
	return COLUMN_WORDS[key] ?? COLUMN_WORDS[key.toLowerCase()] ?? key;
}

// A quarantine reason as the ingest writes it -> German. Order matters: first match wins.
const REASONS = [
	[/^unknown org unit '(.*)' \(known: see (.*)\)$/, (m) => `unbekannte Organisationseinheit „${m[1]}“ (bekannte: siehe ${m[2]})`],
	[/^unknown org unit '(.*)'$/, (m) => `unbekannte Organisationseinheit „${m[1]}“`],
	[/^required value missing$/, () => 'Pflichtwert fehlt'],
	[/^unparsable ([\w/]+) '(.*)'$/, (m) => `${columnLabel(m[1])} nicht lesbar: „${m[2]}“`],
	[/^unparsable (.*)$/, (m) => `nicht lesbar: ${m[1]}`],
	[/^not a whole number '(.*)'$/, (m) => `keine ganze Zahl: „${m[1]}“`],
	[/^not a yes\/no value '(.*)'.*$/, (m) => `kein Ja/Nein-Wert: „${m[1]}“ (erlaubt: ja/nein, true/false, x/leer)`],
	[/^ambiguous number '(.*)'.*$/, (m) => `mehrdeutige Zahl: „${m[1]}“ (die Spalte mischt 1.234,5 und 1,234.5)`],
	[/^row has more fields than the header$/, () => 'Zeile hat mehr Felder als die Kopfzeile'],
	[/^(\w+) required for (\w+) '(.*)'$/, (m) => `${columnLabel(m[1])} fehlt (Pflicht bei ${columnLabel(m[2])} „${m[3]}“)`],
	[/^(\w+) '(.*)' not in (.*)$/, (m) => `${columnLabel(m[1])} „${m[2]}“ nicht zulässig (erlaubt: ${m[3]})`],
	[/^(\w+) '(.*)' is not (.*)$/, (m) => `${columnLabel(m[1])} „${m[2]}“ ist nicht ${m[3]}`],
	[/^(\w+) '(.*)' outside (.*)$/, (m) => `${columnLabel(m[1])} „${m[2]}“ außerhalb von ${m[3]}`],
	[/^duplicate key with different values in the same file$/, () => 'doppelter Schlüssel mit abweichenden Werten in derselben Datei'],
	[/^duplicate key(.*)$/, (m) => `doppelter Schlüssel${m[1]}`],
	[/^answer (?:.* )?outside the scale (.*)$/, (m) => `Antwort außerhalb der Skala ${m[1]}`],
	[/^([\w ]+) not in (\w+)$/, (m) => `${columnLabel(m[1].replaceAll(' ', '_'))} nicht in ${sourceLabel(m[2])}`]
];

/** A quarantine reason in German; an unknown wording is marked as the original message. */
export function reasonLabel(reason) {
	const text = String(reason ?? '').trim();
	for (const [pattern, render] of REASONS) {
		const m = text.match(pattern);
		if (m) return render(m);
	}
	return text ? `Meldung der Quelle: ${text}` : '–';
}

// A gate check name -> German. Check names are `<kind>(<columns>)` or a rule name.
const CHECKS = [
	[/^quarantine_share$/, () => 'Anteil der Zeilen in Quarantäne'],
	[/^rejected_files$/, () => 'abgelehnte Dateien'],
	[/^freshness$/, () => 'Aktualität der Daten'],
	[/^gate_settings$/, () => 'Einstellungen (config/settings.csv)'],
	[/^channels_mapped$/, () => 'alle Kanäle zugeordnet'],
	[/^channel_map$/, () => 'jeder Kanal steht in der Kanalzuordnung'],
	[/^column_values_to_not_be_null\((.*)\)$/, (m) => `${columnLabel(m[1])} ist gefüllt`],
	[/^column_values_to_be_null\((.*)\)$/, (m) => `${columnLabel(m[1])} ist leer`],
	[/^column_values_to_be_unique\((.*)\)$/, (m) => `${columnLabel(m[1])} ist eindeutig`],
	[/^column_values_to_be_in_set\((.*)\)$/, (m) => `${columnLabel(m[1])} hat einen zulässigen Wert`],
	[/^column_values_to_be_between\((.*)\)$/, (m) => `${columnLabel(m[1])} liegt im Wertebereich`],
	[/^column_pair_values_a_to_be_greater_than_b\((.*), (.*)\)$/, (m) => `„${columnLabel(m[1])}“ nicht vor „${columnLabel(m[2])}“`],
	[/^compound_columns_to_be_unique\((.*)\)$/, (m) => `Kombination ${m[1].split(/,\s*/).map(columnLabel).join(' + ')} ist eindeutig`],
	[/^table_row_count_to_be_between.*$/, () => 'Tabelle hat Zeilen'],
	[/^dbt:(.*)$/, (m) => `Modellprüfung (dbt): ${m[1]}`]
];

/** A gate check in German words. */
export function checkLabel(name) {
	const text = String(name ?? '').trim();
	for (const [pattern, render] of CHECKS) {
		const m = text.match(pattern);
		if (m) return render(m);
	}
	return text.replaceAll('_', ' ');
}

/** An observed value or threshold of a gate check in German (`2 of 673 rows (0.3 %)`). */
export function observedLabel(text) {
	if (text === null || text === undefined || text === '') return '–';
	if (typeof text === 'number') return num(text, 2);
	return String(text)
		.replace(/(\d+) of (\d+) rows/g, (_, a, b) => `${num(a)} von ${num(b)} Zeilen`)
		.replace(/^(\d+) values?$/, (_, n) => `${num(n)} ${n === '1' ? 'Wert' : 'Werte'}`)
		.replace(/\((\d+) rows?\)/g, (_, n) => `(${num(n)} ${n === '1' ? 'Zeile' : 'Zeilen'})`)
		.replace(/ \(for at least (.*) % of rows\)/, ' (für mindestens $1 % der Zeilen)')
		.replace(/ where /g, ' wo ')
		.replace(/^not in /, 'nicht in ')
		.replace(/^matching /, 'passend zu ')
		.replace(/^empty$/, 'leer')
		.replace(/row count/g, 'Zeilenzahl')
		.replace(/^hidden \(privacy\)$/, 'verborgen (Datenschutz)')
		.replace(/(\d+)\.(\d+) %/g, '$1,$2 %')
		.replace(/^newest (\w+) (\d{4})-(\d{2})-(\d{2}) \((\d+) days old\)$/, (_, c, y, mo, d, n) => `neuester Stand ${d}.${mo}.${y} (${n} Tage alt)`)
		.replace(/^≤ (\d+) days old$/, '≤ $1 Tage alt')
		.replace(/^(\w+) (≥|>|≤|<) (\w+)$/, (_, a, op, b) => `${columnLabel(a)} ${op} ${columnLabel(b)}`)
		.replace(/^not empty$/, 'gefüllt')
		.replace(/^unique$/, 'eindeutig')
		.replace(/^no rows$/, 'keine Zeilen')
		.replace(/^no table$/, 'keine Tabelle');
}

/** The newest date and the limit of a freshness check, read from its observed/threshold. */
export function freshnessOf(observed, threshold) {
	const m = String(observed ?? '').match(/(\d{4}-\d{2}-\d{2})/);
	const limit = String(threshold ?? '').match(/(\d+)/);
	return { newest: m ? m[1] : null, limitDays: limit ? Number(limit[1]) : null };
}

/**
 * ECharts options for Evidence charts (`echartsOptions=`): German axis labels and tooltips.
 * `axis` formats a y value as shown on the axis (shares are charted as 0..100).
 */
export function germanChart(axis) {
	const show = (v) => (isMissing(v) ? '–' : axis(Number(v)));
	return {
		yAxis: { axisLabel: { formatter: (v) => show(v) } },
		tooltip: {
			formatter: (params) => {
				const list = Array.isArray(params) ? params : [params];
				if (list.length === 0) return '';
				const first = list[0];
				const x = Array.isArray(first.value) ? first.value[0] : first.name;
				const header = asDate(x) && typeof x !== 'string' ? month(x) : String(x ?? '');
				const lines = list.map((p) => {
					const v = Array.isArray(p.value) ? p.value[1] : p.value;
					return `${p.marker ?? ''} ${p.seriesName}: <b>${show(v)}</b>`;
				});
				return [`<b>${header}</b>`, ...lines].join('<br/>');
			}
		}
	};
}

/** The axis format for a KPI unit, on the chart scale of `chartScale(unit)`. */
export function kpiAxis(unit) {
	const u = String(unit ?? '').toLowerCase();
	if (u === 'share' || u === 'fraction' || u === 'percent') return (v) => `${num(v, 0)}${NBSP}%`;
	if (u === 'days') return (v) => `${num(v, 1)}${NBSP}Tage`;
	if (u === 'ratio') return (v) => num(v, 2);
	return (v) => num(v, 1);
}

/** The rows of an Evidence query once loaded ([] while loading): plain objects for {#each}. */
export function rowsOf(query) {
	if (!query) return [];
	if (Array.isArray(query) && query.dataLoaded === undefined) return query;
	return query.dataLoaded && !query.error ? Array.from(query) : [];
}
