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
	// Assertions wait for a state and pass the moment it is there; their bound only decides when
	// to give up and report. Playwright's 5 s default is a guess at how fast the machine is (a
	// busy 2-core CI box builds pages, hashes passwords and renders slower), and at the app's own
	// schedules (supabase-js retries a failed request for about 7 s), so the bound is half the
	// test's budget instead.
	expect: { timeout: 30_000 },
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
