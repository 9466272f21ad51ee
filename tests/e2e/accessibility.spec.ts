import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { connectOneDrive, createProduct, newAppAccount, newMicrosoftAccount, signIn } from './support/stack';

/**
 * Every page of the app, signed out and signed in, at desktop width and on a 360 px phone: no
 * serious or critical axe violation, and nothing wider than the screen. (Pages with more states
 * are scanned in those states by their own specs: import, sync, duplicates, OneDrive changes.)
 */
async function expectAccessible(page: Page, path: string): Promise<void> {
	await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
	const results = await new AxeBuilder({ page }).analyze();
	const serious = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
	expect(serious.map((violation) => `${path} ${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
	const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
	expect(overflow, `${path} is wider than the screen`).toBeLessThanOrEqual(0);
}

for (const viewport of [
	{ name: 'desktop', width: 1280, height: 800 },
	{ name: '360 px', width: 360, height: 740 }
]) {
	test(`every page, signed out and signed in, has no serious axe violation and fits the screen (${viewport.name})`, async ({ page }) => {
		await page.setViewportSize({ width: viewport.width, height: viewport.height });
		for (const path of ['/sign-in', '/sign-up']) {
			await page.goto(path);
			await expectAccessible(page, path);
		}
		const app = await newAppAccount('a11y-all');
		const microsoft = await newMicrosoftAccount('a11y-all');
		const product = await createProduct(app, { title: 'Cast-iron skillet, 26 cm, pre-seasoned', brand: 'Emberline', asin: 'B0SKILLET1' });
		await signIn(page, app.email);
		await expectAccessible(page, '/products (not connected)');
		await page.goto('/settings');
		await expectAccessible(page, '/settings (not connected)');
		await connectOneDrive(page, microsoft);
		for (const path of ['/products', `/products/${product.id}`, '/uploads', '/sync', '/import', '/no-product', '/settings']) {
			await page.goto(path);
			await expectAccessible(page, path);
		}
	});
}
