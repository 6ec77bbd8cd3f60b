// Drives the built Leitstand dashboards in Debian's Chromium and prints what a reader sees,
// as JSON, for tests/browser/test_dashboards.py to compare with the published database.
// Every request to a host other than 127.0.0.1 is aborted and reported.
//
// usage: node scrape_dashboards.mjs <plan.json>
// plan: { base, shots, root: {id, name}, other: {id, name}, kpi, kpiUnits: [{id, name}],
//         pages: [path, ...], only?: "published",
//         loop?: { shown: {kpi, unit: {id, name}}, hidden: {kpi, unit: {id, name}} } }
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'dashboards', 'package.json'));
const { chromium } = require('playwright-core');

const plan = JSON.parse(readFileSync(process.argv[2], 'utf-8'));
const { base, shots } = plan;
const TIMEOUT = 90_000;
mkdirSync(shots, { recursive: true });

const report = {
	blocked: [],
	consoleErrors: [],
	pageErrors: [],
	queryErrors: [],
	waits: [],
	cockpit: {},
	picker: {},
	needs: {},
	kpiPage: {},
	texts: {},
	langs: {},
	titles: {},
	phone: {},
	print: {}
};

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
	headless: true,
	args: [
		'--headless',
		'--no-sandbox',
		'--disable-gpu',
		'--disable-background-networking',
		'--disable-component-update',
		'--disable-sync',
		'--disable-default-apps',
		'--no-first-run'
	]
});

async function newPage(viewport) {
	const context = await browser.newContext({ viewport, locale: 'de-DE', serviceWorkers: 'block' });
	await context.route('**/*', (route) => {
		const url = new URL(route.request().url());
		if (url.protocol === 'data:' || url.protocol === 'blob:' || url.hostname === '127.0.0.1') {
			return route.continue();
		}
		report.blocked.push(route.request().url());
		return route.abort();
	});
	const page = await context.newPage();
	page.on('console', (msg) => {
		if (msg.type() === 'error') report.consoleErrors.push(msg.text());
	});
	page.on('pageerror', (err) => report.pageErrors.push(String(err)));
	return page;
}

const clean = (s) => (s ?? '').replace(/\s+/g, ' ').trim();

// Waits until the page shows `unitName` as its unit and its data and charts have settled.
// A page that shows another unit is recorded (report.waits) for the tests to judge, and read
// as it is.
async function settle(page, unitName) {
	await page.waitForLoadState('networkidle', { timeout: TIMEOUT });
	if (unitName) {
		try {
			await page
				.getByTestId('unit-picker')
				.filter({ hasText: unitName })
				.first()
				.waitFor({ timeout: 30_000 });
		} catch {
			report.waits.push(`${page.url()}: "${unitName}" not shown`);
		}
	}
	await page.waitForTimeout(1500);
}

async function goto(page, url, unitName) {
	await page.goto(`${base}${url}`, { waitUntil: 'networkidle', timeout: TIMEOUT });
	await settle(page, unitName);
}

async function collectQueryErrors(page, where) {
	const text = await page.locator('body').innerText();
	if (text.includes('Error in Query')) report.queryErrors.push(where);
}

// The visible text of the page without the parts marked as English (lang="en").
async function germanText(page) {
	return page.evaluate(() => {
		const hidden = [...document.querySelectorAll('[lang="en"]')];
		const before = hidden.map((e) => e.style.display);
		hidden.forEach((e) => (e.style.display = 'none'));
		const text = document.body.innerText;
		hidden.forEach((e, i) => (e.style.display = before[i]));
		return text;
	});
}

async function readCockpit(page) {
	await page.getByTestId('cockpit-table').locator('tbody tr').first().waitFor({ timeout: TIMEOUT });
	const rows = await page
		.getByTestId('cockpit-table')
		.locator('tbody tr')
		.evaluateAll((trs) =>
			trs.map((tr) => {
				const cells = {};
				for (const td of tr.querySelectorAll('td[data-col]')) {
					let text = td.innerText;
					for (const sub of td.querySelectorAll('.sub')) text = text.replace(sub.innerText, '');
					cells[td.dataset.col] = text.replace(/\s+/g, ' ').trim();
				}
				for (const el of tr.querySelectorAll('[data-col]:not(td)')) {
					cells[el.dataset.col] = el.innerText.replace(/\s+/g, ' ').trim();
				}
				const below = tr.querySelector('a.below');
				return {
					kpi_id: tr.dataset.kpi,
					status: tr.dataset.status,
					cells,
					belowHref: below ? below.getAttribute('href') : null
				};
			})
		);
	const counts = {};
	for (const key of ['red', 'amber', 'green', 'no-target', 'below']) {
		counts[key] = clean(await page.getByTestId(`count-${key}`).locator('.value').textContent());
	}
	return {
		url: page.url(),
		unitName: clean(await page.getByTestId('unit-name').first().textContent()),
		button: clean(await page.getByTestId('unit-picker').textContent()),
		rows,
		counts,
		publishedAt: clean(await page.getByTestId('published-at').textContent()),
		measures: await page
			.locator('[data-testid="measures-table"] tbody tr')
			.evaluateAll((trs) =>
				trs.map((tr) => ({ kpi: tr.dataset.kpi, measures: Number(tr.dataset.measures) }))
			)
			.catch(() => [])
	};
}

try {
	const page = await newPage({ width: 1440, height: 1000 });

	if (plan.only === 'published') {
		await goto(page, '/', plan.root.name);
		report.cockpit.root = await readCockpit(page);
		for (const key of ['stale', 'blocked']) {
			const banner = page.getByTestId(`banner-${key}`);
			report.cockpit.root[`banner_${key}`] = (await banner.count()) ? clean(await banner.first().innerText()) : null;
		}
		report.texts['/'] = await germanText(page);
		await page.screenshot({ path: path.join(shots, `cockpit_${plan.shot ?? 'again'}.png`) });
		process.stdout.write(JSON.stringify(report));
		await browser.close();
		process.exit(0);
	}

	// Cockpit without ?unit=: the root of the published tree.
	await goto(page, '/', plan.root.name);
	report.cockpit.root = await readCockpit(page);
	await collectQueryErrors(page, 'cockpit');
	await page.screenshot({ path: path.join(shots, 'cockpit.png'), fullPage: true });

	// Choose another unit with the picker, as a person does: the URL carries it.
	await page.getByTestId('unit-picker').click();
	await page.getByLabel('Einheit suchen').fill(plan.other.name);
	await page.locator(`a[data-unit="${plan.other.id}"]`).first().click();
	await page.waitForURL((url) => url.searchParams.get('unit') === plan.other.id, { timeout: TIMEOUT });
	await settle(page, plan.other.name);
	report.cockpit.other = await readCockpit(page);
	report.picker.urlAfterPick = page.url();
	// A reload keeps the unit.
	await page.reload({ waitUntil: 'networkidle' });
	await settle(page, plan.other.name);
	report.picker.unitAfterReload = clean(await page.getByTestId('unit-name').first().textContent());
	report.picker.navHrefs = await page
		.locator('nav.leitstand-nav a')
		.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
	// A click to another page keeps it too.
	await page.locator('nav.leitstand-nav a', { hasText: 'Handlungsbedarf' }).click();
	await page.waitForURL((url) => url.pathname === '/handlungsbedarf/', { timeout: TIMEOUT });
	await settle(page, plan.other.name);
	report.picker.urlAfterNav = page.url();
	report.picker.buttonAfterNav = clean(await page.getByTestId('unit-picker').textContent());

	// Handlungsbedarf of the whole tree.
	await goto(page, '/handlungsbedarf/', plan.root.name);
	report.needs.rows = await page
		.locator('[data-testid="needs-table"] tbody tr')
		.evaluateAll((trs) =>
			trs.map((tr) => ({
				kpi: tr.dataset.kpi,
				unit: tr.dataset.unit,
				status: tr.dataset.status,
				measures: Number(tr.dataset.measures),
				noMeasure: Boolean(tr.querySelector('[data-testid="no-measure"]')),
				noMeasureColor: tr.querySelector('[data-testid="no-measure"]')
					? getComputedStyle(tr.querySelector('[data-testid="no-measure"]')).backgroundColor
					: null,
				overdue: tr.querySelectorAll('[data-col="overdue"]').length
			}))
		)
		.catch(() => []);
	await page.screenshot({ path: path.join(shots, 'handlungsbedarf.png'), fullPage: true });

	// One KPI page, for two units.
	for (const unit of plan.kpiUnits) {
		await goto(page, `/kpi/${plan.kpi}/?unit=${encodeURIComponent(unit.id)}`, unit.name);
		await page.getByTestId('kpi-status').first().waitFor({ timeout: TIMEOUT });
		const tiles = {};
		for (const key of ['value', 'expected', 'target', 'forecast']) {
			const tile = page.getByTestId(`kpi-${key}`).locator('.value');
			tiles[key] = (await tile.count()) ? clean(await tile.textContent()) : null;
		}
		const breakdown = await page
			.getByTestId('breakdown-table')
			.locator('tbody tr')
			.evaluateAll((trs) =>
				trs.map((tr) => ({
					name: tr.querySelector('td[data-col="name"]')?.innerText.trim(),
					value: tr.querySelector('td[data-col="value"]')?.innerText.replace(/\s+/g, ' ').trim(),
					suppressed: tr.dataset.suppressed === 'true'
				}))
			)
			.catch(() => []);
		const chart = page.getByTestId('kpi-chart');
		const series = (await chart.count()) ? JSON.parse(await chart.getAttribute('data-series')) : [];
		const measures = await page
			.locator('[data-testid="kpi-measures"] [data-action], [data-testid="kpi-measures"] tbody tr')
			.count();
		report.kpiPage[unit.id] = {
			name: clean(await page.getByTestId('kpi-name').textContent()),
			definition: clean(await page.getByTestId('kpi-definition').textContent()),
			tiles,
			breakdown,
			series,
			measureRows: measures,
			noMeasure: await page.locator('[data-testid="kpi-measures"] [data-testid="no-measure"]').count()
		};
		await collectQueryErrors(page, `kpi ${plan.kpi} ${unit.id}`);
		await page.screenshot({ path: path.join(shots, `kpi_${plan.kpi}_${unit.id}.png`), fullPage: true });
	}

	// The loop of phase 5: the KPI page and the cockpit of a unit with a planted comment and
	// target revision, and of a unit whose suppressed cell got a comment.
	report.loop = {};
	for (const [key, item] of Object.entries(plan.loop ?? {})) {
		await goto(page, `/kpi/${item.kpi}/?unit=${encodeURIComponent(item.unit.id)}`, item.unit.name);
		await page.getByTestId('kpi-status').first().waitFor({ timeout: TIMEOUT });
		const comments = await page
			.locator('[data-testid="kpi-comments"] li')
			.evaluateAll((lis) => lis.map((li) => ({ month: li.dataset.month, text: li.innerText.replace(/\s+/g, ' ').trim() })));
		const revisions = await page
			.locator('[data-testid="kpi-revisions"] tbody tr')
			.evaluateAll((trs) =>
				trs.map((tr) => ({
					validFrom: tr.dataset.validFrom,
					cells: [...tr.querySelectorAll('td')].map((td) => td.innerText.replace(/\s+/g, ' ').trim())
				}))
			);
		const chart = page.getByTestId('kpi-chart');
		const series = (await chart.count()) ? JSON.parse(await chart.getAttribute('data-series')) : [];
		const kpiText = await germanText(page);
		await collectQueryErrors(page, `kpi ${item.kpi} ${item.unit.id}`);
		await page.screenshot({ path: path.join(shots, `kpi_loop_${key}.png`), fullPage: true });
		await goto(page, `/?unit=${encodeURIComponent(item.unit.id)}`, item.unit.name);
		const cockpit = await readCockpit(page);
		const cockpitText = await germanText(page);
		await page.screenshot({ path: path.join(shots, `cockpit_loop_${key}.png`), fullPage: true });
		report.loop[key] = { comments, revisions, series, kpiText, cockpit, cockpitText };
	}

	// Every page: German, no query error.
	for (const url of plan.pages) {
		await goto(page, url, null);
		await page.waitForTimeout(1000);
		await collectQueryErrors(page, url);
		report.texts[url] = await germanText(page);
		report.langs[url] = await page.evaluate(() => document.documentElement.lang);
		report.titles[url] = await page.title();
		const name = url.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') || 'index';
		await page.screenshot({ path: path.join(shots, `page_${name}.png`), fullPage: true });
	}

	// Phone: the cockpit as cards, nothing wider than the screen, the picker fits.
	const phone = await newPage({ width: 390, height: 844 });
	await phone.goto(`${base}/`, { waitUntil: 'networkidle', timeout: TIMEOUT });
	await settle(phone, plan.root.name);
	report.phone = await phone.evaluate(() => {
		const row = document.querySelector('[data-testid="cockpit-table"] tbody tr');
		const button = document.querySelector('[data-testid="unit-picker"]').getBoundingClientRect();
		return {
			width: window.innerWidth,
			scrollWidth: document.documentElement.scrollWidth,
			rowDisplay: row ? getComputedStyle(row).display : null,
			headerDisplay: getComputedStyle(document.querySelector('[data-testid="cockpit-table"] thead')).display,
			pickerRight: button.right
		};
	});
	await phone.screenshot({ path: path.join(shots, 'cockpit_phone.png'), fullPage: true });
	await phone.getByTestId('unit-picker').click();
	await phone.waitForTimeout(300);
	report.phone.popoverRight = await phone.evaluate(
		() => document.querySelector('.popover')?.getBoundingClientRect().right ?? null
	);
	await phone.screenshot({ path: path.join(shots, 'picker_phone.png') });

	// Paper: A4 landscape (297 mm at 96 dpi minus the margins), print styles on.
	const paper = await newPage({ width: 1047, height: 718 });
	for (const [url, testid, name] of [
		['/', 'cockpit-table', 'cockpit'],
		['/handlungsbedarf/', 'needs-table', 'handlungsbedarf']
	]) {
		await paper.goto(`${base}${url}`, { waitUntil: 'networkidle', timeout: TIMEOUT });
		await settle(paper, plan.root.name);
		await paper.emulateMedia({ media: 'print' });
		await paper.waitForTimeout(500);
		report.print[name] = await paper.evaluate((id) => {
			const table = document.querySelector(`[data-testid="${id}"]`);
			return {
				tableWidth: table.scrollWidth,
				boxWidth: table.parentElement.clientWidth,
				pageWidth: document.documentElement.scrollWidth,
				width: window.innerWidth
			};
		}, testid);
		await paper.screenshot({ path: path.join(shots, `print_${name}.png`), fullPage: true });
		await paper.pdf({ path: path.join(shots, `${name}.pdf`), format: 'A4', landscape: true });
		await paper.emulateMedia({ media: 'screen' });
	}
} finally {
	await browser.close();
}

process.stdout.write(JSON.stringify(report));
