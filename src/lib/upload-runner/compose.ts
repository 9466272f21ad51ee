/**
 * Wires real adapters into the scheduler and the upload core, for whichever context runs the
 * uploads: the service worker (normally) or the page itself (where no worker can run). The
 * context says how to reach pages, where tokens come from, and what else to do on a change.
 */
import { FetchTransport } from '$lib/adapters/fetch-transport';
import { mathRandom, systemClock } from '$lib/adapters/system-clock';
import type { JobLedger, SavedChange } from '$lib/db/job-ledger';
import type { UploadRecord } from '$lib/db/reeldrive-db';
import { PROTOCOL_VERSION, type JobSummary, type WorkerToPage } from '$lib/sw-bridge/protocol';
import { isFinished, UploadCore, type TokenSource, type UploadEvent } from '$lib/upload';
import { JobBytes, LiveFiles } from './job-bytes';
import type { JobLocks } from './job-locks';
import { UploadScheduler } from './scheduler';

/** Progress reaches pages at most this often per job, so the UI never slows the upload. */
const PROGRESS_INTERVAL_MS = 250;
/** Contexts of this origin tell each other about commands queued for a job one of them holds. */
const JOBS_CHANNEL = 'reeldrive-jobs';

export function summarise(record: UploadRecord): JobSummary {
	const s = record.state;
	const duplicates = s.duplicates ? { phase: s.duplicates.phase, match: s.duplicates.match } : null;
	return { id: record.id, status: s.status, pause: s.pause, error: s.error, acknowledged: s.acknowledged, size: s.size, autoRetryAt: s.autoRetryAt, duplicates };
}

export interface RunnerContext {
	ledger: JobLedger;
	locks: JobLocks;
	isOnline: () => boolean;
	pagePresent: () => Promise<boolean>;
	tokensFor: (record: UploadRecord) => TokenSource;
	/** Tells every page of the origin (the worker posts to its clients; a page to itself). */
	publish: (message: WorkerToPage) => void;
	/** After a save that a person can see (the outbox got a snapshot). */
	onVisibleChange?: (record: UploadRecord) => Promise<void>;
	fetch?: typeof fetch;
}

export interface ComposedRunner {
	scheduler: UploadScheduler;
	/**
	 * A page hands over the file it picked for a job: the upload reads from it while this context
	 * lives, and a job that waited for its file carries on at the next pump.
	 */
	attachFile(jobId: string, file: Blob): void;
}

export function composeScheduler(context: RunnerContext): ComposedRunner {
	const { ledger, publish } = context;
	const live = new LiveFiles();
	const transport = new FetchTransport({ fetch: context.fetch, isOnline: context.isOnline });
	const lastProgress = new Map<string, number>();

	const onEvent = (event: UploadEvent) => {
		if (event.type === 'checking') {
			const now = Date.now();
			if (now - (lastProgress.get(event.jobId) ?? 0) < PROGRESS_INTERVAL_MS && event.hashed < event.total) return;
			lastProgress.set(event.jobId, now);
			publish({ ...event, v: PROTOCOL_VERSION });
			return;
		}
		if (event.type !== 'progress') return;
		const now = Date.now();
		if (now - (lastProgress.get(event.jobId) ?? 0) < PROGRESS_INTERVAL_MS && event.acknowledged < event.total) return;
		lastProgress.set(event.jobId, now);
		publish({ ...event, v: PROTOCOL_VERSION });
	};

	const onSaved = async ({ record, outbox }: SavedChange) => {
		if (isFinished(record.state.status)) live.forget(record.id);
		publish({ v: PROTOCOL_VERSION, type: 'job-changed', job: summarise(record) });
		if (!outbox) return;
		publish({ v: PROTOCOL_VERSION, type: 'outbox-changed' });
		await context.onVisibleChange?.(record);
	};

	const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(JOBS_CHANNEL);
	const scheduler = new UploadScheduler({
		clock: systemClock,
		ledger,
		locks: context.locks,
		isOnline: context.isOnline,
		pagePresent: context.pagePresent,
		announceCommand: (jobId) => channel?.postMessage({ type: 'command-queued', jobId }),
		engineFor: async (record) => {
			const whole = await ledger.bytes(record.id);
			return new UploadCore({
				transport,
				clock: systemClock,
				random: mathRandom,
				tokens: context.tokensFor(record),
				bytes: new JobBytes(record.state.name, record.state.size, record.id, ledger, live, whole),
				store: ledger.storeFor(record.id, onSaved),
				connectivity: { isOnline: context.isOnline },
				events: { emit: onEvent }
			});
		}
	});
	channel?.addEventListener('message', (event: MessageEvent) => {
		const data = event.data as { type?: unknown; jobId?: unknown } | null;
		if (data?.type === 'command-queued' && typeof data.jobId === 'string') void scheduler.commandAnnounced(data.jobId);
	});
	return {
		scheduler,
		attachFile: (jobId, file) => {
			live.attach(jobId, file);
			scheduler.fileReturned(jobId);
		}
	};
}
