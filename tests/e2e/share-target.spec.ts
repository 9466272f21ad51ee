import { expect, test, type Page } from '@playwright/test';
import { APP, newAppAccount, signIn } from './support/stack';

// Another site. Its pages are served by page routing, so nothing listens on it; http://evil.test
// and http://localhost are different sites (other ports on localhost would be the same site).
const ATTACKER = 'http://evil.test';

/** A page that builds a video file and posts it to the share target as soon as it loads. */
function forgedShare(options: { withholdOrigin?: boolean } = {}): string {
	return `<!doctype html>
<html><head>${options.withholdOrigin ? '<meta name="referrer" content="no-referrer">' : ''}</head><body>
<form id="share" method="post" enctype="multipart/form-data" action="${APP}/share-target">
	<input type="file" name="videos">
</form>
<script>
	const files = new DataTransfer();
	files.items.add(new File([new Uint8Array([0, 0, 0, 24, 102, 116, 121, 112, 109, 112, 52, 50])], 'planted.mp4', { type: 'video/mp4' }));
	document.forms.share.videos.files = files.files;
	document.forms.share.submit();
</script>
</body></html>`;
}

/** Entries in this browser's share inbox (IndexedDB), read from a Reeldrive page. */
async function inboxCount(page: Page): Promise<number> {
	return page.evaluate(
		() =>
			new Promise<number>((resolve, reject) => {
				const open = indexedDB.open('reeldrive');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const count = open.result.transaction('inbox').objectStore('inbox').count();
					count.onsuccess = () => resolve(count.result);
					count.onerror = () => reject(count.error);
				};
			})
	);
}

async function controlledByWorker(page: Page): Promise<void> {
	await page.evaluate(async () => {
		await navigator.serviceWorker.ready;
		if (!navigator.serviceWorker.controller) {
			await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
		}
	});
}

test.describe('the share target', () => {
	for (const [what, withholdOrigin] of [
		['a form another site submits', false],
		['a form another site submits while withholding its origin', true]
	] as const) {
		test(`refuses ${what}: nothing reaches the inbox`, async ({ page, context }) => {
			const app = await newAppAccount('forged-share');
			await signIn(page, app.email, '/uploads/inbox');
			await controlledByWorker(page);
			await context.route(`${ATTACKER}/**`, (route) => route.fulfill({ contentType: 'text/html', body: forgedShare({ withholdOrigin }) }));

			await page.goto(`${ATTACKER}/cat-pictures`);
			// Only the service worker answers /share-target: it sends the browser to the inbox.
			await page.waitForURL(/^http:\/\/localhost:5173\/uploads\/inbox\?/);
			expect(await inboxCount(page)).toBe(0);
			expect(page.url()).toBe(`${APP}/uploads/inbox?shared=0&refused=1`);
			await expect(page.getByRole('status')).toHaveText(/did not come from this device's share menu/);
			await expect(page.getByText('planted.mp4')).toHaveCount(0);
		});
	}

	test("keeps what Reeldrive's own page sends", async ({ page }) => {
		const app = await newAppAccount('own-share');
		await signIn(page, app.email, '/uploads/inbox');
		await controlledByWorker(page);
		// The same share, as a form on Reeldrive's own page (no-referrer: it arrives with Origin null).
		await page.evaluate(() => {
			const form = document.createElement('form');
			form.method = 'post';
			form.enctype = 'multipart/form-data';
			form.action = '/share-target';
			const input = Object.assign(document.createElement('input'), { type: 'file', name: 'videos' });
			const files = new DataTransfer();
			files.items.add(new File([new Uint8Array([0, 0, 0, 24, 102, 116, 121, 112, 109, 112, 52, 50])], 'planted.mp4', { type: 'video/mp4' }));
			input.files = files.files;
			form.append(input);
			document.body.append(form);
			form.submit();
		});
		await page.waitForURL(`${APP}/uploads/inbox?shared=1`);
		await expect(page.getByText('planted.mp4')).toBeVisible();
		expect(await inboxCount(page)).toBe(1);
	});
});
