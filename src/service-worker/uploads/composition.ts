/// <reference lib="webworker" />
/**
 * The composition root of uploads in the service worker: real adapters wired into the
 * scheduler and the upload core, and what the worker tells pages as jobs change.
 */
import { BlobByteSource } from '$lib/adapters/blob-byte-source';
import { FetchTransport } from '$lib/adapters/fetch-transport';
import { mathRandom, systemClock } from '$lib/adapters/system-clock';
import { JobLedger, type SavedChange } from '$lib/db/job-ledger';
import type { ReeldriveDb, UploadRecord } from '$lib/db/reeldrive-db';
import { PROTOCOL_VERSION, type JobSummary, type WorkerToPage } from '$lib/sw-bridge/protocol';
import { UploadCore, UploadError, type UploadEvent } from '$lib/upload';
import { platformLocks } from '$lib/upload-runner/job-locks';
import { UploadScheduler } from '$lib/upload-runner/scheduler';
import { clientTokenSource } from './client-token-source';
import { notifyFinished, updateBadge } from './notifications';

/** Progress reaches pages at most this often per job, so the UI never slows the upload. */
const PROGRESS_INTERVAL_MS = 250;
/** Contexts of this origin tell each other about commands queued for a job one of them holds. */
export const JOBS_CHANNEL = 'reeldrive-jobs';

export function summarise(record: UploadRecord): JobSummary {
	const s = record.state;
	return { id: record.id, status: s.status, pause: s.pause, error: s.error, acknowledged: s.acknowledged, size: s.size, autoRetryAt: s.autoRetryAt };
}

export interface UploadWorker {
	ledger: JobLedger;
	scheduler: UploadScheduler;
	broadcast(message: WorkerToPage): void;
}

export function composeUploads(scope: ServiceWorkerGlobalScope, db: ReeldriveDb): UploadWorker {
	const ledger = new JobLedger(db);
	const isOnline = () => scope.navigator.onLine;
	const transport = new FetchTransport({ isOnline });
	const lastProgress = new Map<string, number>();
	const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(JOBS_CHANNEL);

	const broadcast = (message: WorkerToPage) => {
		void scope.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
			for (const client of windows) client.postMessage(message);
		});
	};

	const onEvent = (event: UploadEvent) => {
		if (event.type !== 'progress') return;
		const now = Date.now();
		if (now - (lastProgress.get(event.jobId) ?? 0) < PROGRESS_INTERVAL_MS && event.acknowledged < event.total) return;
		lastProgress.set(event.jobId, now);
		broadcast({ v: PROTOCOL_VERSION, type: 'progress', ...event });
	};

	const onSaved = async ({ record, outbox }: SavedChange) => {
		broadcast({ v: PROTOCOL_VERSION, type: 'job-changed', job: summarise(record) });
		if (!outbox) return;
		broadcast({ v: PROTOCOL_VERSION, type: 'outbox-changed' });
		await updateBadge(scope, ledger);
		if (record.state.status === 'done') await notifyFinished(scope, record);
	};

	const scheduler = new UploadScheduler({
		clock: systemClock,
		ledger,
		locks: platformLocks(scope),
		isOnline,
		pagePresent: async () => (await scope.clients.matchAll({ type: 'window' })).length > 0,
		announceCommand: (jobId) => channel?.postMessage({ type: 'command-queued', jobId }),
		engineFor: async (record) => {
			const bytes = await ledger.bytes(record.id);
			if (!bytes) throw new UploadError('file-unreadable', { jobId: record.id });
			return new UploadCore({
				transport,
				clock: systemClock,
				random: mathRandom,
				tokens: clientTokenSource(scope.clients, { appUserId: record.appUserId, microsoftAccountId: record.microsoftAccountId }),
				bytes: new BlobByteSource(bytes, record.state.name),
				store: ledger.storeFor(record.id, onSaved),
				connectivity: { isOnline },
				events: { emit: onEvent }
			});
		}
	});

	channel?.addEventListener('message', (event: MessageEvent) => {
		const data = event.data as { type?: unknown; jobId?: unknown } | null;
		if (data?.type === 'command-queued' && typeof data.jobId === 'string') void scheduler.commandAnnounced(data.jobId);
	});

	return { ledger, scheduler, broadcast };
}
