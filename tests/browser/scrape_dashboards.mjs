// Drives the built Leitstand dashboards in Debian's Chromium and prints what a reader sees,
// as JSON, for tests/browser/test_dashboards.py to compare with the published database.
// Every request to a host other than 127.0.0.1 is aborted and reported.
//
// usage: node scrape_dashboards.mjs <base-url> <screenshot-dir> <kpi-id> <unit> [<unit> ...]
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'dashboards', 'package.json'));
const { chromium } = require('playwright-core');

const [baseUrl, screenshotDir, kpiId, ...units] = process.argv.slice(2);
const TIMEOUT = 60_000;

const report = { blocked: [], consoleErrors: [], pageErrors: [], cockpit: {}, kpiPage: {}, queryErrors: [] };

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

try {
	const context = await browser.newContext({
		viewport: { width: 1440, height: 1000 },
		locale: 'de-DE',
		serviceWorkers: 'block'
	});
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

	// Waits for the data and for the charts' animations to end.
	const settle = async () => {
		await page.waitForLoadState('networkidle', { timeout: TIMEOUT });
		await page.waitForTimeout(1500);
	};

	// Chooses `unit` in the page's org-unit dropdown and waits until the page shows it.
	const chooseUnit = async (unit, unitName) => {
		const current = (await page.getByTestId('unit-name').first().textContent())?.trim();
		if (current === unitName) return;
		await page.getByRole('combobox', { name: 'Organisationseinheit' }).first().click();
		// The option list is virtual: search for the unit so that its option is rendered.
		await page.locator('[data-cmdk-input]').first().fill(unitName);
		await page.getByRole('option', { name: new RegExp(`^[·\\s]*${escapeRegExp(unitName)}$`) }).first().click();
		await page.keyboard.press('Escape');
		await page.getByTestId('unit-name').filter({ hasText: new RegExp(`^${escapeRegExp(unitName)}$`) }).first().waitFor({ timeout: TIMEOUT });
		await settle();
	};

	const collectQueryErrors = async (where) => {
		const text = await page.locator('body').innerText();
		if (text.includes('Error in Query')) report.queryErrors.push(where);
	};

	// Cockpit
	await page.goto(`${baseUrl}/`, { waitUntil: 'networkidle', timeout: TIMEOUT });
	await page.getByTestId('cockpit-table').locator('tbody tr').first().waitFor({ timeout: TIMEOUT });
	await settle();
	const unitNames = JSON.parse(process.env.UNIT_NAMES || '{}');
	for (const unit of units) {
		await chooseUnit(unit, unitNames[unit]);
		await page.getByTestId('cockpit-table').locator('tbody tr').first().waitFor({ timeout: TIMEOUT });
		const rows = await page.getByTestId('cockpit-table').locator('tbody tr').evaluateAll((trs) =>
			trs.map((tr) => {
				const cells = {};
				for (const td of tr.querySelectorAll('td[data-col]')) {
					const sub = td.querySelector('.sub');
					let text = td.innerText;
					if (sub) text = text.replace(sub.innerText, '');
					cells[td.dataset.col] = text.replace(/\s+/g, ' ').trim();
				}
				return { kpi_id: tr.dataset.kpi, status: tr.dataset.status, cells };
			})
		);
		const counts = {};
		for (const key of ['red', 'amber', 'green', 'no-target']) {
			const tile = page.getByTestId(`count-${key}`).locator('.value');
			counts[key] = (await tile.textContent()).trim();
		}
		const measures = await page.getByTestId('measures-table').locator('tbody tr').count().catch(() => 0);
		report.cockpit[unit] = {
			unitName: (await page.getByTestId('unit-name').first().textContent()).trim(),
			rows,
			counts,
			measures,
			publishedAt: (await page.getByTestId('published-at').textContent()).trim()
		};
		await collectQueryErrors(`cockpit ${unit}`);
		if (unit === units[0]) {
			mkdirSync(screenshotDir, { recursive: true });
			await page.screenshot({ path: path.join(screenshotDir, 'cockpit.png'), fullPage: true });
		}
	}

	// KPI page
	await page.goto(`${baseUrl}/kpi/${kpiId}/`, { waitUntil: 'networkidle', timeout: TIMEOUT });
	await page.getByTestId('kpi-name').waitFor({ timeout: TIMEOUT });
	await settle();
	for (const unit of units) {
		await chooseUnit(unit, unitNames[unit]);
		await page.getByTestId('kpi-status').first().waitFor({ timeout: TIMEOUT });
		const tiles = {};
		for (const key of ['value', 'expected', 'target', 'forecast']) {
			const tile = page.getByTestId(`kpi-${key}`).locator('.value');
			tiles[key] = (await tile.count()) ? (await tile.textContent()).replace(/\s+/g, ' ').trim() : null;
		}
		const breakdown = await page.getByTestId('breakdown-table').locator('tbody tr').evaluateAll((trs) =>
			trs.map((tr) => ({
				name: tr.querySelector('td[data-col="name"]')?.innerText.trim(),
				value: tr.querySelector('td[data-col="value"]')?.innerText.replace(/\s+/g, ' ').trim(),
				suppressed: tr.dataset.suppressed === 'true'
			}))
		).catch(() => []);
		report.kpiPage[unit] = {
			name: (await page.getByTestId('kpi-name').textContent()).trim(),
			definition: (await page.getByTestId('kpi-definition').textContent()).trim(),
			tiles,
			breakdown
		};
		await collectQueryErrors(`kpi ${kpiId} ${unit}`);
		if (unit === units[units.length - 1]) {
			await page.screenshot({ path: path.join(screenshotDir, `kpi_${kpiId}.png`), fullPage: true });
		}
	}

	// The other pages: they must load without a query error.
	for (const p of ['mitarbeitende', 'projekte', 'datenqualitaet', 'kpi']) {
		await page.goto(`${baseUrl}/${p}/`, { waitUntil: 'networkidle', timeout: TIMEOUT });
		await settle();
		await collectQueryErrors(p);
		await page.screenshot({ path: path.join(screenshotDir, `${p}.png`), fullPage: true });
	}
} finally {
	await browser.close();
}

function escapeRegExp(s) {
	return String(s).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

process.stdout.write(JSON.stringify(report));
