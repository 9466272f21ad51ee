import { chromium, type BrowserContext } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, findChromium } from '../../../scripts/lib/chromium';

/**
 * A Chromium profile on disk, as a person's browser has: installability and IndexedDB persistence
 * behave as in real life only there (a normal test context is treated as incognito).
 */
export async function launchPersistent(
	options: { viewport?: { width: number; height: number } } = {}
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
	const dir = mkdtempSync(join(tmpdir(), 'reeldrive-profile-'));
	const context = await chromium.launchPersistentContext(dir, {
		executablePath: findChromium() ?? undefined,
		args: CHROMIUM_ARGS,
		baseURL: 'http://localhost:5173',
		viewport: options.viewport ?? { width: 1280, height: 800 }
	});
	return {
		context,
		close: async () => {
			await context.close();
			rmSync(dir, { recursive: true, force: true });
		}
	};
}
