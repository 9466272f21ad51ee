/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// A thin host: it registers listeners and delegates to the app shell cache and the upload host.
import { installAppShell } from './app-shell';
import { getDb } from '$lib/db/reeldrive-db';
import { isPageToWorker, SYNC_TAG } from '$lib/sw-bridge/protocol';
import { UploadHost } from './uploads/upload-host';
import { handleShareTarget, SHARE_TARGET_PATH } from './share-target';

const sw = self as unknown as ServiceWorkerGlobalScope;
/** Under the roughly five minutes browsers allow one event, with room to spare. */
const EVENT_BUDGET_MS = 4 * 60_000;

installAppShell();
const uploads = new UploadHost({ db: getDb(), scope: sw });

type SyncEvent = ExtendableEvent & { tag: string; lastChance?: boolean };

async function keepGoingLater(): Promise<void> {
	const registration = sw.registration as ServiceWorkerRegistration & {
		sync?: { register(tag: string): Promise<void> };
	};
	await registration.sync?.register(SYNC_TAG).catch(() => {});
}

sw.addEventListener('message', (event) => {
	const data = event.data as unknown;
	// workbox-window's messageSkipWaiting() sends this when the person accepts the update.
	if ((data as { type?: string } | null)?.type === 'SKIP_WAITING') {
		void sw.skipWaiting();
		return;
	}
	if (!isPageToWorker(data)) return;
	switch (data.type) {
		case 'active-user':
			event.waitUntil(
				uploads
					.setActiveUser(data.appUserId ? { appUserId: data.appUserId, microsoftAccountId: data.microsoftAccountId } : null)
					.then(() => uploads.pump(EVENT_BUDGET_MS))
			);
			break;
		case 'pump':
			event.waitUntil(uploads.pump(EVENT_BUDGET_MS));
			break;
		case 'command':
			event.waitUntil(uploads.command(data.jobId, data.command).then(() => uploads.pump(EVENT_BUDGET_MS)));
			break;
	}
});

sw.addEventListener('sync', (event) => {
	const sync = event as SyncEvent;
	if (sync.tag !== SYNC_TAG) return;
	sync.waitUntil(
		uploads.pump(EVENT_BUDGET_MS).then(async (runnable) => {
			if (runnable > 0) await keepGoingLater();
		})
	);
});

sw.addEventListener('fetch', (event) => {
	const url = new URL(event.request.url);
	if (event.request.method === 'POST' && url.origin === sw.location.origin && url.pathname === SHARE_TARGET_PATH) {
		event.respondWith(handleShareTarget(event.request, getDb()));
	}
});

sw.addEventListener('notificationclick', (event) => {
	event.notification.close();
	const target = (event.notification.data as { url?: string } | null)?.url ?? '/uploads';
	event.waitUntil(sw.clients.openWindow(target));
});

sw.addEventListener('activate', (event) => {
	event.waitUntil(sw.clients.claim());
});
