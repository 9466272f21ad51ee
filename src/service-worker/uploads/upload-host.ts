/// <reference lib="webworker" />
/**
 * Runs the signed-in user's uploads in the service worker: two files at a time, in bounded
 * slices so that no event outlives the browser's limits. Every acknowledged fragment is already
 * persisted by the core, so a worker killed at any moment loses at most the fragment in flight.
 */
import { BlobByteSource } from '$lib/adapters/blob-byte-source';
import { DexieJobStore } from '$lib/adapters/dexie-job-store';
import { FetchTransport } from '$lib/adapters/fetch-transport';
import { mathRandom, systemClock } from '$lib/adapters/system-clock';
import type { ActiveUser, ReeldriveDb, UploadRecord } from '$lib/db/reeldrive-db';
import { videoRowFor } from '$lib/db/video-row';
import { PROTOCOL_VERSION, type JobSummary, type UploadCommand, type WorkerToPage } from '$lib/sw-bridge/protocol';
import { UploadCore, UploadError, type UploadEvent, type UploadJobState } from '$lib/upload';
import { clientTokenSource } from './client-token-source';

const PARALLEL_UPLOADS = 2;
/** One slice of one job: short, so commands and new jobs are picked up promptly. */
const SLICE_MS = 20_000;
/** Progress reaches pages at most this often per job, so the UI never slows the upload. */
const PROGRESS_INTERVAL_MS = 250;

export interface UploadHostDeps {
	db: ReeldriveDb;
	scope: ServiceWorkerGlobalScope;
	fetch?: typeof fetch;
}

const RUNNABLE = new Set(['queued', 'uploading', 'verifying']);

function isRunnable(state: UploadJobState): boolean {
	return RUNNABLE.has(state.status) || (state.status === 'paused' && (state.pause === 'offline' || state.pause === 'needs-page'));
}

export function summarise(record: UploadRecord): JobSummary {
	const s = record.state;
	return { id: record.id, status: s.status, pause: s.pause, error: s.error, acknowledged: s.acknowledged, size: s.size };
}

export class UploadHost {
	readonly #db: ReeldriveDb;
	readonly #scope: ServiceWorkerGlobalScope;
	readonly #transport: FetchTransport;
	readonly #cores = new Map<string, UploadCore>();
	readonly #lastProgress = new Map<string, number>();
	#pumping: Promise<number> | null = null;
	#pumpAgain = false;

	constructor(deps: UploadHostDeps) {
		this.#db = deps.db;
		this.#scope = deps.scope;
		this.#transport = new FetchTransport({ fetch: deps.fetch, isOnline: () => this.#scope.navigator.onLine });
	}

	async activeUser(): Promise<ActiveUser | null> {
		return (await this.#db.meta.get('active-user'))?.value ?? null;
	}

	/** Records who is signed in here; everybody else's uploads stop being run. */
	async setActiveUser(user: ActiveUser | null): Promise<void> {
		await this.#db.meta.put({ key: 'active-user', value: user });
		await this.#updateBadge();
	}

	#broadcast(message: WorkerToPage): void {
		void this.#scope.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
			for (const client of windows) client.postMessage(message);
		});
	}

	async #owned(jobId: string): Promise<UploadRecord | null> {
		const [record, user] = await Promise.all([this.#db.uploads.get(jobId), this.activeUser()]);
		return record && user && record.appUserId === user.appUserId ? record : null;
	}

	async #core(record: UploadRecord): Promise<UploadCore> {
		const existing = this.#cores.get(record.id);
		if (existing) return existing;
		const file = await this.#db.files.get(record.id);
		if (!file) throw new UploadError('file-unreadable', { jobId: record.id });
		const core = new UploadCore({
			transport: this.#transport,
			clock: systemClock,
			random: mathRandom,
			tokens: clientTokenSource(this.#scope.clients, {
				appUserId: record.appUserId,
				microsoftAccountId: record.microsoftAccountId
			}),
			bytes: new BlobByteSource(file.blob, record.state.name),
			store: new DexieJobStore(this.#db, record.id, (state) => this.#saved(record.id, state)),
			connectivity: { isOnline: () => this.#scope.navigator.onLine },
			events: { emit: (event) => this.#onEvent(event) }
		});
		this.#cores.set(record.id, core);
		return core;
	}

	#onEvent(event: UploadEvent): void {
		if (event.type !== 'progress') return;
		const now = Date.now();
		const last = this.#lastProgress.get(event.jobId) ?? 0;
		if (now - last < PROGRESS_INTERVAL_MS && event.acknowledged < event.total) return;
		this.#lastProgress.set(event.jobId, now);
		this.#broadcast({ v: PROTOCOL_VERSION, type: 'progress', ...event });
	}

	/** After every persisted change: mirror the row into the outbox when its status changed. */
	async #saved(jobId: string, state: UploadJobState): Promise<void> {
		const record = await this.#db.uploads.get(jobId);
		if (!record) return;
		const previous = await this.#db.outbox.get(jobId);
		const row = state.status === 'cancelled' ? null : videoRowFor(record, Date.now());
		const changed =
			!previous || (previous.row?.status ?? null) !== (row?.status ?? null) || previous.row?.item_id !== row?.item_id;
		if (changed) {
			await this.#db.outbox.put({ id: jobId, appUserId: record.appUserId, row, updatedAt: Date.now() });
			this.#broadcast({ v: PROTOCOL_VERSION, type: 'outbox-changed' });
		}
		this.#broadcast({ v: PROTOCOL_VERSION, type: 'job-changed', job: summarise(record) });
		if (state.status === 'done' || state.status === 'cancelled') await this.#finished(record);
		if (changed) await this.#updateBadge();
	}

	async #finished(record: UploadRecord): Promise<void> {
		// OneDrive holds the bytes (or they are not wanted): free the browser's copy.
		await this.#db.files.delete(record.id);
		this.#cores.delete(record.id);
		if (record.state.status !== 'done') return;
		const windows = await this.#scope.clients.matchAll({ type: 'window' });
		const someoneWatching = windows.some((client) => (client as WindowClient).visibilityState === 'visible');
		if (!someoneWatching && typeof Notification !== 'undefined' && Notification.permission === 'granted') {
			await this.#scope.registration.showNotification('Upload finished', {
				body: `${record.state.name} is in your OneDrive.`,
				tag: `reeldrive-upload-${record.id}`,
				icon: '/icons/icon-192.png',
				data: { url: record.productId ? `/products/${record.productId}` : '/uploads' }
			});
		}
	}

	async #updateBadge(): Promise<void> {
		const nav = this.#scope.navigator as WorkerNavigator & {
			setAppBadge?: (count?: number) => Promise<void>;
			clearAppBadge?: () => Promise<void>;
		};
		if (!nav.setAppBadge) return;
		const user = await this.activeUser();
		const unfinished = user
			? await this.#db.uploads
					.where('appUserId')
					.equals(user.appUserId)
					.filter((record) => record.state.status !== 'done' && record.state.status !== 'cancelled')
					.count()
			: 0;
		const update = unfinished > 0 ? nav.setAppBadge(unfinished) : nav.clearAppBadge?.();
		await update?.catch(() => {});
	}

	async command(jobId: string, command: UploadCommand): Promise<void> {
		const record = await this.#owned(jobId);
		if (!record) return;
		const core = await this.#core(record).catch(() => null);
		if (!core) {
			// The bytes are gone: the only thing left to do is to forget the upload.
			if (command === 'cancel') await this.#forget(record);
			return;
		}
		try {
			switch (command) {
				case 'pause':
					await core.pause();
					break;
				case 'resume':
					await core.resume();
					break;
				case 'retry':
					await core.retry();
					break;
				case 'keep-both':
					await core.resolveConflict('rename');
					break;
				case 'replace':
					await core.resolveConflict('replace');
					break;
				case 'cancel':
					await core.cancel();
					break;
			}
		} catch (error) {
			if (!(error instanceof UploadError && error.code === 'invalid-transition')) throw error;
		}
	}

	async #forget(record: UploadRecord): Promise<void> {
		await this.#db.transaction('rw', this.#db.uploads, this.#db.files, this.#db.outbox, async () => {
			await this.#db.files.delete(record.id);
			await this.#db.uploads.update(record.id, { 'state.status': 'cancelled' });
			await this.#db.outbox.put({ id: record.id, appUserId: record.appUserId, row: null, updatedAt: Date.now() });
		});
		this.#broadcast({ v: PROTOCOL_VERSION, type: 'outbox-changed' });
	}

	/**
	 * Runs uploads for up to `budgetMs`. Calls while one runs join it (and make it look again for
	 * work when it ends). Resolves with the number of jobs that still want work.
	 */
	pump(budgetMs: number): Promise<number> {
		if (this.#pumping) {
			this.#pumpAgain = true;
			return this.#pumping;
		}
		this.#pumping = (async () => {
			let runnable: number;
			do {
				this.#pumpAgain = false;
				runnable = await this.#run(Date.now() + budgetMs);
			} while (this.#pumpAgain);
			return runnable;
		})().finally(() => {
			this.#pumping = null;
		});
		return this.#pumping.then((runnable) => {
			this.#broadcast({ v: PROTOCOL_VERSION, type: 'pump-finished', runnable });
			return runnable;
		});
	}

	async #runnableRecords(): Promise<UploadRecord[]> {
		const user = await this.activeUser();
		if (!user) return [];
		// Fragments need no token (upload URLs carry their own), so the signed-in owner's uploads
		// run even while this browser holds no Microsoft sign-in; a new session waits for one.
		const records = await this.#db.uploads.where('[appUserId+createdAt]').between([user.appUserId, 0], [user.appUserId, Infinity]).toArray();
		return records.filter((record) => isRunnable(record.state));
	}

	async #run(deadline: number): Promise<number> {
		const taken = new Set<string>();
		const lane = async () => {
			while (Date.now() < deadline - 1000) {
				const now = Date.now();
				const candidates = (await this.#runnableRecords()).filter((record) => !taken.has(record.id));
				const ready = candidates.find((record) => !record.state.notBefore || record.state.notBefore <= now);
				if (!ready) {
					const soonest = Math.min(...candidates.map((record) => record.state.notBefore ?? Infinity));
					if (!Number.isFinite(soonest) || soonest >= deadline) return;
					await systemClock.sleep(Math.min(soonest - now, 5_000));
					continue;
				}
				taken.add(ready.id);
				let outcome: string;
				try {
					outcome = await this.#runJob(ready, deadline);
				} finally {
					taken.delete(ready.id);
				}
				// A job that stopped but still counts as runnable (no page to lend a token, offline)
				// gets no second turn in this pump; one waiting out a backoff does, when it is due.
				if (outcome !== 'wait' && outcome !== 'yield') taken.add(ready.id);
			}
		};
		await Promise.all(Array.from({ length: PARALLEL_UPLOADS }, lane));
		return (await this.#runnableRecords()).length;
	}

	async #runJob(record: UploadRecord, deadline: number): Promise<string> {
		let core: UploadCore;
		try {
			core = await this.#core(record);
		} catch {
			return 'stopped';
		}
		let outcome = 'yield';
		while (Date.now() < deadline - 1000) {
			const result = await core.runSlice({ deadline: Math.min(deadline, Date.now() + SLICE_MS) });
			outcome = result.outcome;
			if (result.outcome === 'yield') continue;
			if (result.outcome === 'wait' && result.until < deadline && result.until - Date.now() < 10_000) {
				await systemClock.sleep(result.until - Date.now());
				continue;
			}
			break;
		}
		return outcome;
	}
}
