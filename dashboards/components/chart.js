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
 * points: [{ month, value }] of the unit (published, not suppressed), oldest first.
 * status: the unit's kpi_status row (or undefined); definition: { unit, direction }.
 * survey: connect the values (one per wave) instead of leaving gaps between months.
 */
export function kpiChartSeries(points, status, definition, survey = false) {
	const scale = chartScale(definition?.unit);
	const values = (points ?? [])
		.filter((p) => !missing(p.value))
		.map((p) => [monthStart(utc(p.month)), Number(p.value) * scale]);
	const series = [
		{ name: 'Ist', points: values, color: '#1d4ed8', markers: true, connect: survey, z: 4 }
	];
	const path = targetPath(status);
	if (!path || values.length === 0) return series;

	const first = values[0][0];
	const last = values[values.length - 1][0];
	const end = monthStart(path.end);
	const from = path.start ? new Date(Math.max(first.getTime(), monthStart(path.start).getTime())) : first;
	const to = new Date(Math.max(last.getTime(), end.getTime()));
	const grid = [];
	for (let m = from; m.getTime() <= to.getTime(); m = addMonths(m, 1)) grid.push(m);

	const tol = missing(status.tolerance) ? 0 : Number(status.tolerance);
	const down = definition?.direction === 'down';
	const pathPoints = grid.map((m) => [m, path.at(m) * scale]);
	if (tol > 0) {
		const low = grid.map((m) => [m, (path.at(m) - (down ? 0 : tol)) * scale]);
		const high = grid.map((m) => [m, (path.at(m) + (down ? tol : 0)) * scale]);
		series.push({ name: 'Toleranz', points: low, band: 'low', color: '#f59e0b' });
		series.push({ name: 'Toleranzband', points: high, band: 'high', color: '#f59e0b' });
	}
	series.push({ name: 'Zielpfad', points: pathPoints, color: '#6b7280', markers: false, width: 1.5 });

	if (!missing(status.forecast_at_target_date) && end.getTime() > last.getTime()) {
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
