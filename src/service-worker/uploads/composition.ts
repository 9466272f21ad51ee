/// <reference lib="webworker" />
/**
 * The composition root of uploads in the service worker: the shared runner composition, with
 * pages reached through `clients`, tokens borrowed from them, and the badge and notifications.
 */
import { JobLedger } from '$lib/db/job-ledger';
import type { ReeldriveDb } from '$lib/db/reeldrive-db';
import type { WorkerToPage } from '$lib/sw-bridge/protocol';
import { composeScheduler } from '$lib/upload-runner/compose';
import { platformLocks } from '$lib/upload-runner/job-locks';
import type { UploadScheduler } from '$lib/upload-runner/scheduler';
import { clientTokenSource } from './client-token-source';
import { notifyFinished, updateBadge } from './notifications';

export interface UploadWorker {
	ledger: JobLedger;
	scheduler: UploadScheduler;
	attachFile(jobId: string, file: Blob): void;
	broadcast(message: WorkerToPage): void;
}

export function composeUploads(scope: ServiceWorkerGlobalScope, db: ReeldriveDb): UploadWorker {
	const ledger = new JobLedger(db);
	const broadcast = (message: WorkerToPage) => {
		void scope.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
			for (const client of windows) client.postMessage(message);
		});
	};
	const { scheduler, attachFile } = composeScheduler({
		ledger,
		locks: platformLocks(scope),
		isOnline: () => scope.navigator.onLine,
		pagePresent: async () => (await scope.clients.matchAll({ type: 'window' })).length > 0,
		tokensFor: (record) => clientTokenSource(scope.clients, { appUserId: record.appUserId, microsoftAccountId: record.microsoftAccountId }),
		publish: broadcast,
		onVisibleChange: async (record) => {
			await updateBadge(scope, ledger);
			if (record.state.status === 'done') await notifyFinished(scope, record);
		}
	});
	return { ledger, scheduler, attachFile, broadcast };
}
