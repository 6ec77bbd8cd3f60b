// Merged by Evidence into its own SvelteKit config (.evidence/template/svelte.config.js).
// The site is a single-page app: every page is rendered in the browser from the data files
// under /data/ (parquet written by `npm run sources`), so new data reaches the published
// site by swapping those files, without building the pages again
// (dagster_project/dashboards/build.py). Every path without a file gets index.html.
import adapter from '@sveltejs/adapter-static';

export default {
	kit: {
		adapter: adapter({ fallback: 'index.html', strict: false })
	}
};
