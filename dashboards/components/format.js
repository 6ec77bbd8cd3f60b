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

/**
 * The trend arrow: which way the KPI moves, and whether that is good for it.
 * Returns { arrow, tone } with tone 'good' | 'bad' | 'flat' | 'none'.
 */
export function trend(slope, direction) {
	if (isMissing(slope)) return { arrow: '–', tone: 'none', label: 'zu wenige Werte' };
	const s = Number(slope);
	if (s === 0) return { arrow: '→', tone: 'flat', label: 'gleichbleibend' };
	const rising = s > 0;
	const good = direction === 'down' ? !rising : rising;
	return {
		arrow: rising ? '↗' : '↘',
		tone: good ? 'good' : 'bad',
		label: `${rising ? 'steigend' : 'fallend'} (${good ? 'in Zielrichtung' : 'gegen Zielrichtung'})`
	};
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
