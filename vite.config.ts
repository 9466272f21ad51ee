import { sveltekit } from '@sveltejs/kit/vite';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { publicEnv } from './config/public-env.js';
import { buildConfigError } from './src/lib/config-rules.js';

/**
 * Stops a build whose settings are missing or invalid, in the configuration page's words: such
 * a build could reach nothing and would only ever show that page. Checked when a build starts,
 * not when this file is loaded: svelte-check loads it as for a build without building, and the
 * dev server and vitest must start anyway so that the page can be seen.
 */
function completeSettings(env: Record<string, string>, mode: string): Plugin {
	return {
		name: 'reeldrive:complete-settings',
		apply: 'build',
		buildStart() {
			const problems = buildConfigError(env);
			if (problems) this.error(`${problems}\n(Settings read for mode "${mode}".)`);
		}
	};
}

export default defineConfig(({ mode }) => {
	const env = publicEnv(mode);
	return {
		plugins: [completeSettings(env, process.env.REELDRIVE_ENV_MODE || mode), sveltekit()],
		// The public settings are inlined once; src/lib/config.ts validates them at start
		// and shows which one to fix instead of a blank screen.
		define: { __REELDRIVE_PUBLIC_ENV__: JSON.stringify(env) },
		server: { port: 5173, strictPort: true },
		preview: { port: 5173, strictPort: true },
		test: {
			projects: [
				{
					extends: true,
					test: {
						name: 'unit',
						include: ['src/**/*.test.ts', 'emulators/**/src/**/*.test.ts', 'scripts/**/*.test.ts'],
						environment: 'node'
					}
				},
				{
					extends: true,
					test: {
						name: 'integration',
						include: ['tests/integration/**/*.test.ts', 'emulators/*/tests/**/*.test.ts'],
						environment: 'node',
						testTimeout: 60_000,
						hookTimeout: 60_000,
						fileParallelism: false
					}
				}
			]
		}
	};
});
