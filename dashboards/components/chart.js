// The series of a KPI page's chart: the published values, the target path with its tolerance
// band, and the forecast as a dashed line to the target date. Everything in the chart's scale
// (shares as 0..100).
import { chartScale } from './format.js';

const DAY = 86400000;

function utc(d) {
	if (d === null || d === undefined || d === '') return null;
	const x = d instanceof Date ? d : new Date(d);
	return Number.isNaN(x.getTime()) ? null : x;
}

function monthStart(d) {
	return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
}

function monthEnd(d) {
	return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
}

function addMonths(d, n) {
	return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
}

const missing = (x) => x === null || x === undefined || Number.isNaN(Number(x));

/**
 * The target path as a function of a month (its value at the month's end), or null.
 * kpi_status carries the path's two ends by value and the target date; the baseline date
 * follows from where the expected value stands at the end of the as-of month.
 */
export function targetPath(status) {
	if (!status || missing(status.target_value) || missing(status.expected_value)) return null;
	const b = Number(status.baseline_value);
	const t = Number(status.target_value);
	const e = Number(status.expected_value);
	const td = utc(status.target_date);
	const asOf = utc(status.month);
	if (!td || !asOf) return null;
	const me = monthEnd(asOf).getTime();
	if (missing(status.baseline_value) || b === t) {
		return { at: () => t, start: null, end: td };
	}
	const f = (e - b) / (t - b);
	let start;
	if (f > 0 && f < 1) start = (me - f * td.getTime()) / (1 - f);
	else if (f <= 0) start = me; // the path has not started by the as-of month
	else start = null; // the target date has passed: the path stands at the target
	if (start === null) return { at: () => t, start: null, end: td };
	const span = td.getTime() - start;
	return {
		at: (m) => {
			const share = span <= 0 ? 1 : Math.min(1, Math.max(0, (monthEnd(m).getTime() - start) / span));
			return b + (t - b) * share;
		},
		start: new Date(start),
		end: td
	};
}

/**
 * The target paths of marts.kpi_targets for one KPI and unit (every revision), as a function
 * of a month: the row in force at the month's end (the latest valid_from ≤ it) and the
 * path's value there. Returns null without rows.
 */
export function revisedPath(rows) {
	const list = (rows ?? [])
		.filter((r) => !missing(r.target_value) && utc(r.target_date))
		.map((r) => ({ ...r, from: utc(r.valid_from), bd: utc(r.baseline_date), td: utc(r.target_date) }))
		.sort((a, b) => (a.from ? a.from.getTime() : -Infinity) - (b.from ? b.from.getTime() : -Infinity));
	if (!list.length) return null;
	const inForce = (m) => {
		const me = monthEnd(m).getTime();
		let row = null;
		for (const r of list) if (!r.from || r.from.getTime() <= me) row = r;
		return row;
	};
	const valueOf = (r, m) => {
		const t = Number(r.target_value);
		if (missing(r.baseline_value) || !r.bd) return t;
		const b = Number(r.baseline_value);
		const span = r.td.getTime() - r.bd.getTime();
		if (span <= 0) return t; // a path without length: the target holds from its date on
		const share = Math.min(1, Math.max(0, (monthEnd(m).getTime() - r.bd.getTime()) / span));
		return b + (t - b) * share;
	};
	const starts = list.map((r) => r.bd).filter(Boolean);
	return {
		inForce,
		valueOf,
		at: (m) => {
			const r = inForce(m);
			return r ? valueOf(r, m) : null;
		},
		start: starts.length ? new Date(Math.min(...starts.map((d) => d.getTime()))) : null,
		end: new Date(Math.max(...list.map((r) => r.td.getTime()))),
		rows: list
	};
}

/**
 * The path's points on a monthly grid with a step where a revision came into force: in the
 * month a new row takes over, the old row's value and then the new row's value at the same
 * date, so the line drops or rises there instead of sloping across the month before.
 * offset(row): what to add to the path's value (the tolerance band's edges).
 */
function pathPoints(path, grid, scale, offset = () => 0) {
	const points = [];
	let previous = null;
	for (const m of grid) {
		const row = path.inForce(m);
		if (!row) {
			points.push([m, null]);
			previous = null;
			continue;
		}
		if (previous && previous !== row) {
			points.push([m, (path.valueOf(previous, m) + offset(previous)) * scale]);
		}
		points.push([m, (path.valueOf(row, m) + offset(row)) * scale]);
		previous = row;
	}
	return points;
}

/**
 * points: [{ month, value }] of the unit (published, not suppressed), oldest first.
 * status: the unit's kpi_status row (or undefined); definition: { unit, direction }.
 * survey: connect the values (one per wave) instead of leaving gaps between months.
 * targets: the unit's rows of marts.kpi_targets for the KPI (every revision): the path is
 * drawn as it was in force in each month, with a step where it was revised; without them
 * the path of the status row.
 */
export function kpiChartSeries(points, status, definition, survey = false, targets = []) {
	const scale = chartScale(definition?.unit);
	const values = (points ?? [])
		.filter((p) => !missing(p.value))
		.map((p) => [monthStart(utc(p.month)), Number(p.value) * scale]);
	const series = [
		{ name: 'Ist', points: values, color: '#1d4ed8', markers: true, connect: survey, z: 4 }
	];
	const revised = revisedPath(targets);
	const single = revised ? null : targetPath(status);
	const path = revised
		? revised
		: single && {
				inForce: () => status,
				valueOf: (_, m) => single.at(m),
				start: single.start,
				end: single.end
			};
	if (!path || values.length === 0) return series;

	const first = values[0][0];
	const last = values[values.length - 1][0];
	const end = monthStart(path.end);
	const from = path.start ? new Date(Math.max(first.getTime(), monthStart(path.start).getTime())) : first;
	const to = new Date(Math.max(last.getTime(), end.getTime()));
	const grid = [];
	for (let m = from; m.getTime() <= to.getTime(); m = addMonths(m, 1)) grid.push(m);

	const down = definition?.direction === 'down';
	const tol = (row) => (missing(row?.tolerance) ? 0 : Number(row.tolerance));
	const rows = revised ? revised.rows : [status];
	if (rows.some((r) => tol(r) > 0)) {
		const low = pathPoints(path, grid, scale, (r) => (down ? 0 : -tol(r)));
		const high = pathPoints(path, grid, scale, (r) => (down ? tol(r) : 0));
		series.push({ name: 'Toleranz', points: low, band: 'low', color: '#f59e0b' });
		series.push({ name: 'Toleranzband', points: high, band: 'high', color: '#f59e0b' });
	}
	series.push({ name: 'Zielpfad', points: pathPoints(path, grid, scale), color: '#6b7280', markers: false, width: 1.5 });

	if (status && !missing(status.forecast_at_target_date) && end.getTime() > last.getTime()) {
		series.push({
			name: 'Prognose',
			points: [
				[last, Number(status.value) * scale],
				[end, Number(status.forecast_at_target_date) * scale]
			],
			color: '#7c3aed',
			dashed: true,
			markers: true,
			z: 3
		});
	}
	return series;
}

export { DAY };
