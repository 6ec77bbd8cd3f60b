// The chosen org unit lives in the URL (`?unit=<id>`): a link can be sent, a reload keeps it,
// and every link between the pages carries it along. Without `?unit=` (or with an id the
// published tree does not hold) the pages show the root of the tree.
import { derived } from 'svelte/store';
import { browser } from '$app/environment';
import { page } from '$app/stores';

/** The `?unit=` of the current URL, or null (also while prerendering, where there is none). */
export const unitParam = derived(page, ($page) =>
	browser ? $page.url.searchParams.get('unit') : null
);

/** `href` with the unit in its query (nothing added for no unit). */
export function withUnit(href, unit, extra = {}) {
	const [path, query = ''] = String(href).split('?');
	const params = new URLSearchParams(query);
	if (unit) params.set('unit', unit);
	for (const [key, value] of Object.entries(extra)) {
		if (value === null || value === undefined || value === '') params.delete(key);
		else params.set(key, value);
	}
	const text = params.toString();
	return text ? `${path}?${text}` : path;
}

/**
 * The unit a page shows: the URL's unit when the tree holds it, else the root.
 * rows: marts.org_units rows (org_unit_id, name, parent_id, depth, path).
 * Returns { unit, requested, unknown } where `unit` is the row shown (undefined while loading)
 * and `unknown` is true when `?unit=` names a unit that is not in the tree.
 */
export function resolveUnit(rows, requested) {
	const list = rows ?? [];
	if (list.length === 0) return { unit: undefined, requested, unknown: false };
	const byId = new Map(list.map((r) => [String(r.org_unit_id), r]));
	const roots = list
		.filter((r) => r.parent_id === null || r.parent_id === undefined || r.parent_id === '')
		.sort((a, b) => String(a.path).localeCompare(String(b.path)));
	const root = roots[0] ?? list[0];
	if (requested && byId.has(String(requested))) {
		return { unit: byId.get(String(requested)), requested, unknown: false };
	}
	return { unit: root, requested, unknown: Boolean(requested) };
}

/** The names from the root down to `unit` (`Firma › Bereich › Team`). */
export function unitTrail(rows, unit) {
	if (!unit) return [];
	const byId = new Map((rows ?? []).map((r) => [String(r.org_unit_id), r]));
	const trail = [];
	let current = unit;
	const seen = new Set();
	while (current && !seen.has(current.org_unit_id)) {
		seen.add(current.org_unit_id);
		trail.unshift(current);
		current = current.parent_id ? byId.get(String(current.parent_id)) : undefined;
	}
	return trail;
}

/** A store of one query parameter of the current URL (null when absent). */
export function urlParam(name) {
	return derived(page, ($page) => (browser ? $page.url.searchParams.get(name) : null));
}
