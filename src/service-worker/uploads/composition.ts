/// <reference lib="webworker" />
/**
 * The composition root of uploads in the service worker: the shared runner composition, with
 * pages reached through `clients`, tokens borrowed from them, the badge and notifications, and
 * commands for jobs another context holds announced over a BroadcastChannel.
 */
import { JobLedger } from '$lib/db/job-ledger';
import type { ReeldriveDb } from '$lib/db/reeldrive-db';
import type { WorkerToPage } from '$lib/sw-bridge/protocol';
import { composeScheduler } from '$lib/upload-runner/compose';
import { platformLocks } from '$lib/upload-runner/job-locks';
import type { UploadScheduler } from '$lib/upload-runner/scheduler';
import { clientTokenSource } from './client-token-source';
import { notifyFinished, updateBadge } from './notifications';

/** Contexts of this origin tell each other about commands queued for a job one of them holds. */
export const JOBS_CHANNEL = 'reeldrive-jobs';

export interface UploadWorker {
	ledger: JobLedger;
	scheduler: UploadScheduler;
	broadcast(message: WorkerToPage): void;
}

export function composeUploads(scope: ServiceWorkerGlobalScope, db: ReeldriveDb): UploadWorker {
	const ledger = new JobLedger(db);
	const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(JOBS_CHANNEL);
	const broadcast = (message: WorkerToPage) => {
		void scope.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
			for (const client of windows) client.postMessage(message);
		});
	};
	const scheduler = composeScheduler({
		ledger,
		locks: platformLocks(scope),
		isOnline: () => scope.navigator.onLine,
		pagePresent: async () => (await scope.clients.matchAll({ type: 'window' })).length > 0,
		tokensFor: (record) => clientTokenSource(scope.clients, { appUserId: record.appUserId, microsoftAccountId: record.microsoftAccountId }),
		publish: broadcast,
		onVisibleChange: async (record) => {
			await updateBadge(scope, ledger);
			if (record.state.status === 'done') await notifyFinished(scope, record);
		},
		announceCommand: (jobId) => channel?.postMessage({ type: 'command-queued', jobId })
	});
	channel?.addEventListener('message', (event: MessageEvent) => {
		const data = event.data as { type?: unknown; jobId?: unknown } | null;
		if (data?.type === 'command-queued' && typeof data.jobId === 'string') void scheduler.commandAnnounced(data.jobId);
	});
	return { ledger, scheduler, broadcast };
}
