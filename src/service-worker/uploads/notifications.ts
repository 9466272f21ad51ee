/// <reference lib="webworker" />
/**
 * What the worker tells the person outside the page: the app badge (unfinished uploads of
 * whoever is signed in here) and an "Upload finished" notification when nobody is watching.
 */
import type { JobLedger } from '$lib/db/job-ledger';
import type { UploadRecord } from '$lib/db/reeldrive-db';

export async function updateBadge(scope: ServiceWorkerGlobalScope, ledger: JobLedger): Promise<void> {
	const nav = scope.navigator as WorkerNavigator & {
		setAppBadge?: (count?: number) => Promise<void>;
		clearAppBadge?: () => Promise<void>;
	};
	if (!nav.setAppBadge) return;
	const user = await ledger.activeUser();
	const unfinished = user ? await ledger.unfinishedCount(user.appUserId) : 0;
	const update = unfinished > 0 ? nav.setAppBadge(unfinished) : nav.clearAppBadge?.();
	await update?.catch(() => {});
}

export async function notifyFinished(scope: ServiceWorkerGlobalScope, record: UploadRecord): Promise<void> {
	const windows = await scope.clients.matchAll({ type: 'window' });
	const someoneWatching = windows.some((client) => (client as WindowClient).visibilityState === 'visible');
	if (someoneWatching || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
	await scope.registration.showNotification('Upload finished', {
		body: `${record.state.name} is in your OneDrive.`,
		tag: `reeldrive-upload-${record.id}`,
		icon: '/icons/icon-192.png',
		data: { url: record.productId ? `/products/${record.productId}` : '/uploads' }
	});
}
