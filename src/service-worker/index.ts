/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// A thin host: it registers listeners and delegates to the app shell cache and the uploads.
import { installAppShell } from './app-shell';
import { getDb } from '$lib/db/reeldrive-db';
import { isPageToWorker, PROTOCOL_VERSION, SYNC_TAG } from '$lib/sw-bridge/protocol';
import { afterSync, MESSAGE_BUDGET_MS, SYNC_BUDGET_MS } from '$lib/upload-runner/background-sync';
import type { PumpReport } from '$lib/upload-runner/scheduler';
import { PUMP_LOCK } from '$lib/sw-bridge/pump-watch';
import { composeUploads } from './uploads/composition';
import { updateBadge } from './uploads/notifications';
import { handleShareTarget, judgeShareRequest, shareRequestFacts, SHARE_TARGET_PATH } from './share-target';

const sw = self as unknown as ServiceWorkerGlobalScope;

installAppShell();
const uploads = composeUploads(sw, getDb());

type SyncEvent = ExtendableEvent & { tag: string; lastChance?: boolean };

async function registerSync(): Promise<void> {
	const registration = sw.registration as ServiceWorkerRegistration & {
		sync?: { register(tag: string): Promise<void> };
	};
	await registration.sync?.register(SYNC_TAG).catch(() => {});
}

/**
 * Runs uploads for a message event and tells pages how it ended (they may pump again). The run
 * holds PUMP_LOCK (shared: runs overlap): a page that asked and got no answer looks at it to tell
 * a long run from a worker the browser stopped mid-run (pump-watch.ts).
 */
async function pumpForPages(): Promise<void> {
	const run = () => uploads.scheduler.pump(MESSAGE_BUDGET_MS);
	const locks = sw.navigator.locks;
	const report: PumpReport = locks ? await locks.request(PUMP_LOCK, { mode: 'shared' }, run) : await run();
	uploads.broadcast({ v: PROTOCOL_VERSION, type: 'pump-finished', runnable: report.readyNow, progressed: report.progressed, dueAt: report.dueAt });
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
		case 'active-user': {
			const user = data.appUserId ? { appUserId: data.appUserId, microsoftAccountId: data.microsoftAccountId } : null;
			event.waitUntil(
				uploads.scheduler
					.setActiveUser(user)
					.then(() => updateBadge(sw, uploads.ledger))
					.then(pumpForPages)
			);
			break;
		}
		case 'pump':
			event.waitUntil(pumpForPages());
			break;
		case 'command':
			event.waitUntil(uploads.scheduler.command(data.jobId, data.command).then(pumpForPages));
			break;
		case 'attach-file':
			uploads.attachFile(data.jobId, data.file);
			event.waitUntil(pumpForPages());
			break;
	}
});

sw.addEventListener('sync', (event) => {
	const sync = event as SyncEvent;
	if (sync.tag !== SYNC_TAG) return;
	sync.waitUntil(
		uploads.scheduler.pump(SYNC_BUDGET_MS).then(async (report) => {
			const next = afterSync(report, sync.lastChance ?? false);
			if (next === 'rearm') await registerSync();
			// Failing the event is how to ask the browser to try again in a few minutes.
			if (next === 'retry-later') throw new Error('Uploads are waiting out a backoff; try again later.');
		})
	);
});

sw.addEventListener('fetch', (event) => {
	const url = new URL(event.request.url);
	if (event.request.method === 'POST' && url.origin === sw.location.origin && url.pathname === SHARE_TARGET_PATH) {
		event.respondWith(
			shareRequestFacts(event, sw.clients).then((facts) =>
				handleShareTarget(event.request, judgeShareRequest(facts, sw.location.origin), getDb())
			)
		);
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
