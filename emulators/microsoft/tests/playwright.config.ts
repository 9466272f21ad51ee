// Runs only the MSAL-in-Chromium spec, which starts its own emulator and page: no app stack.
//   npx playwright test -c emulators/microsoft/tests/playwright.config.ts
import { defineConfig } from '@playwright/test';

export default defineConfig({
	testDir: '../../../tests/e2e',
	testMatch: 'msal-emulator.spec.ts',
	workers: 1,
	retries: 0,
	timeout: 60_000,
	reporter: [['list']],
	outputDir: '../../../test-results/msal-emulator'
});
