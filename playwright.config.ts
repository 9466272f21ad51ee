import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from './scripts/lib/chromium';

const executablePath = findChromium() ?? undefined;

export default defineConfig({
	testDir: 'tests/e2e',
	fullyParallel: false,
	workers: 1,
	forbidOnly: !!process.env.CI,
	retries: 0,
	timeout: 60_000,
	reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
	use: {
		baseURL: 'http://localhost:5173',
		browserName: 'chromium',
		launchOptions: { executablePath, args: CHROMIUM_ARGS },
		trace: 'retain-on-failure'
	},
	webServer: {
		// The whole local stack, built fresh, with its own data folder wiped first.
		command: 'npx tsx scripts/stack.ts --data-dir .local/e2e --fresh',
		url: 'http://localhost:5173/manifest.webmanifest',
		reuseExistingServer: false,
		timeout: 180_000,
		stdout: 'pipe',
		gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 }
	}
});
