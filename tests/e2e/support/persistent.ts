import { chromium, type BrowserContext } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, findChromium } from '../../../scripts/lib/chromium';

/**
 * A Chromium profile on disk, as a person's browser has: installability and IndexedDB persistence
 * behave as in real life only there (a normal test context is treated as incognito).
 */
/**
 * A profile that can be closed and opened again, as a person quits and restarts the browser:
 * cookies with an expiry, storage, IndexedDB and the service worker stay; session cookies (MSAL's
 * cache key among them) do not.
 */
export function persistentProfile(options: { viewport?: { width: number; height: number } } = {}): {
	open(): Promise<BrowserContext>;
	dispose(): Promise<void>;
} {
	const dir = mkdtempSync(join(tmpdir(), 'reeldrive-profile-'));
	let context: BrowserContext | undefined;
	return {
		open: async () => {
			await context?.close();
			context = await chromium.launchPersistentContext(dir, {
				executablePath: findChromium() ?? undefined,
				args: CHROMIUM_ARGS,
				baseURL: 'http://localhost:5173',
				viewport: options.viewport ?? { width: 1280, height: 800 }
			});
			return context;
		},
		dispose: async () => {
			await context?.close();
			context = undefined;
			rmSync(dir, { recursive: true, force: true });
		}
	};
}

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
