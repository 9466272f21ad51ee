import { expect, test } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { launchPersistent } from './support/persistent';
import { newAppAccount, signIn } from './support/stack';

const WORKER_FILE = 'build/service-worker.js';

test.describe('the installable app shell', () => {
	test('is installable, opens offline after the first visit, and is pictured in the README', async () => {
		const { context, close } = await launchPersistent();
		try {
			const page = await context.newPage();
			const cspViolations: string[] = [];
			page.on('console', (message) => {
				if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
			});

			const response = await page.goto('/sign-in');
			expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'self'");
			// The demo user, so the README's picture shows a few products.
			await signIn(page, 'alice@reeldrive.test');
			await expect(page.getByRole('heading', { level: 1, name: 'Products' })).toBeVisible();

			// The service worker installs, precaches the shell and takes control.
			await page.evaluate(async () => {
				await navigator.serviceWorker.ready;
				if (!navigator.serviceWorker.controller) {
					await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
				}
			});

			const cdp = await context.newCDPSession(page);
			const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
				installabilityErrors: { errorId: string }[];
			};
			expect(installabilityErrors).toEqual([]);
			await cdp.detach();

			const manifest = (await (await page.request.get('/manifest.webmanifest')).json()) as {
				display: string;
				icons: { sizes: string; purpose: string }[];
			};
			expect(manifest.display).toBe('standalone');
			expect(manifest.icons.some((icon) => icon.purpose === 'maskable')).toBe(true);
			expect(manifest.icons.map((icon) => icon.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));

			await page.screenshot({ path: 'docs/screenshot.png' });

			// Offline: the shell still opens, on the page and on a deep link never visited before.
			await context.setOffline(true);
			await page.reload();
			await expect(page.getByRole('heading', { level: 1, name: 'Products' })).toBeVisible();
			await expect(page.getByRole('status').filter({ hasText: 'You are offline' })).toBeVisible();
			await page.goto('/settings');
			await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
			await context.setOffline(false);
			await expect(page.getByText('You are offline')).toHaveCount(0);

			expect(cspViolations).toEqual([]);
		} finally {
			await close();
		}
	});

	test('offers a reload when a new version is waiting', async () => {
		const { context, close } = await launchPersistent();
		try {
			const page = await context.newPage();
			await page.goto('/sign-in');
			await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Reeldrive' })).toBeVisible();
			await page.evaluate(() => navigator.serviceWorker.ready);

			// Deploy a "new version" the way a static host would: different bytes in the worker script.
			const original = readFileSync(WORKER_FILE, 'utf8');
			writeFileSync(WORKER_FILE, original + '\n// next version\n');
			try {
				await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
			} finally {
				writeFileSync(WORKER_FILE, original);
			}

			const prompt = page.getByRole('status').filter({ hasText: 'A new version of Reeldrive is ready' });
			await expect(prompt).toBeVisible();
			const reloaded = page.waitForEvent('load');
			await prompt.getByRole('button', { name: 'Reload' }).click();
			await reloaded;
			await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Reeldrive' })).toBeVisible();
			await expect(page.getByText('A new version of Reeldrive is ready')).toHaveCount(0);
		} finally {
			await close();
		}
	});
});

test.describe('layout and keyboard', () => {
	test('fits a 360 px phone without sideways scrolling', async ({ page }) => {
		await page.setViewportSize({ width: 360, height: 740 });
		await signIn(page, (await newAppAccount('phone')).email);
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
		expect(overflow).toBe(0);
		for (const name of ['Products', 'Uploads', 'Sync', 'Import', 'Settings']) {
			const box = await page.getByRole('link', { name, exact: true }).boundingBox();
			expect(box?.height ?? 0).toBeGreaterThanOrEqual(44);
		}
	});

	test('every navigation link is reachable by keyboard with a visible focus ring', async ({ page }) => {
		await signIn(page, (await newAppAccount('keys')).email);
		await page.reload();
		await expect(page.getByRole('heading', { level: 1, name: 'Products' })).toBeVisible();
		await page.keyboard.press('Tab');
		await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
		const reached: string[] = [];
		// The brand link, then every link of the main navigation.
		const stops = 1 + (await page.getByRole('navigation', { name: 'Main' }).getByRole('link').count());
		for (let i = 0; i < stops; i++) {
			await page.keyboard.press('Tab');
			const focused = await page.evaluate(() => {
				const element = document.activeElement as HTMLElement;
				return {
					text: element.textContent?.trim() ?? '',
					outline: `${getComputedStyle(element).outlineStyle} ${element.outerHTML.slice(0, 60)}`
				};
			});
			expect(focused.outline).not.toMatch(/^none/);
			reached.push(focused.text);
		}
		expect(reached).toEqual(expect.arrayContaining(['Products', 'Uploads', 'Sync', 'Import', 'Settings']));
		await page.getByRole('link', { name: 'Uploads' }).press('Enter');
		await expect(page).toHaveURL(/\/uploads$/);
		await expect(page.getByRole('link', { name: 'Uploads' })).toHaveAttribute('aria-current', 'page');
	});
});

test.describe('signed out', () => {
	test('the sign-in form works before Supabase and the upload machinery download, and a second tab follows a sign-in', async ({ context }) => {
		const first = await context.newPage();
		// Every script the first visit downloads, by address and by content.
		const scripts: { url: string; body: string }[] = [];
		first.on('response', async (response) => {
			if (response.request().resourceType() === 'script') scripts.push({ url: response.url(), body: await response.text().catch(() => '') });
		});
		await first.goto('/sign-in');
		await expect(first.getByRole('heading', { name: 'Sign in to Reeldrive' })).toBeVisible();
		await first.waitForLoadState('networkidle');
		expect(scripts.length).toBeGreaterThan(0);
		const heavy = scripts.filter(({ url, body }) => /supabase|dexie/i.test(url) || body.includes('supabase-js') || body.includes('DexieError'));
		expect(heavy.map(({ url }) => url)).toEqual([]);

		const second = await context.newPage();
		await second.goto('/sign-in');
		await expect(second.getByRole('heading', { name: 'Sign in to Reeldrive' })).toBeVisible();

		// Signing in downloads them then, and works.
		await signIn(first, 'alice@reeldrive.test');
		expect(scripts.some(({ body }) => body.includes('supabase-js'))).toBe(true);
		// The other tab never loaded Supabase's client, yet follows the sign-in.
		await expect(second.getByRole('button', { name: 'Sign out' })).toBeVisible();
		await expect(second).toHaveURL(/\/products$/);
	});
});
