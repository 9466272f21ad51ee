import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';
import { publicEnv } from './config/public-env.js';

export default defineConfig(({ mode }) => {
	const env = publicEnv(mode);
	return {
		plugins: [sveltekit()],
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
