/**
 * The page's side of uploads: checks and queues files, shows every upload's progress as the
 * service worker reports it, sends commands, lends the worker Microsoft tokens for the signed-in
 * owner only, and records finished uploads in Supabase through the outbox.
 */
import { AppError, describeError } from '$lib/errors';
import { probeVideo } from '$lib/adapters/video-probe';
import { getDb, type ReeldriveDb, type UploadRecord } from '$lib/db/reeldrive-db';
import { videoRowFor } from '$lib/db/video-row';
import { getServices, type Services } from '$lib/services';
import {
	PROTOCOL_VERSION,
	SYNC_TAG,
	isTokenRequest,
	isWorkerToPage,
	type JobSummary,
	type PageToWorker,
	type TokenReply,
	type TokenRequest,
	type UploadCommand,
	type WorkerToPage
} from '$lib/sw-bridge/protocol';
import { writeOutboxEntry } from '$lib/supabase/video-outbox';
import {
	SNIFF_BYTES,
	checkUploadable,
	createUploadJob,
	describeNameFixes,
	describePause,
	describeUploadError,
	sanitiseOneDriveName,
	type PauseReason,
	type UploadErrorInfo,
	type UploadStatus
} from '$lib/upload';
import type { OneDriveManager } from './onedrive.svelte';
import type { SessionManager } from './session.svelte';

export interface UploadView {
	id: string;
	name: string;
	originalName: string;
	/** Words about how the name was changed for OneDrive, when it was. */
	renamedNote: string | null;
	productId: string | null;
	status: UploadStatus;
	/** Words for the state, the pause reason or the error. */
	statusText: string;
	errorText: string | null;
	acknowledged: number;
	size: number;
	bytesPerSecond: number | null;
	secondsLeft: number | null;
	posterUrl: string | null;
	createdAt: number;
}

export interface EnqueueResult {
	name: string;
	accepted: boolean;
	message: string;
}

/** Bytes kept free in the browser's storage beyond the video itself. */
const STORAGE_HEADROOM = 50 * 1024 * 1024;
/** Smoothing of the measured speed: higher follows changes faster. */
const SPEED_SMOOTHING = 0.3;

/** The words shown for an upload's state, its pause reason and its error. */
function describeState(status: UploadStatus, pause: PauseReason | null, error: UploadErrorInfo | null) {
	return {
		statusText: status === 'paused' && pause ? describePause(pause) : STATUS_WORDS[status],
		errorText: error && (status === 'error' || status === 'conflict') ? describeUploadError(error) : null
	};
}

const STATUS_WORDS: Record<UploadStatus, string> = {
	queued: 'Waiting to upload',
	uploading: 'Uploading',
	verifying: 'Checking OneDrive’s copy',
	done: 'In OneDrive',
	paused: 'Paused',
	error: 'Stopped',
	conflict: 'Name already taken',
	cancelled: 'Cancelled'
};

export class UploadsManager {
	jobs = $state<UploadView[]>([]);
	/** Unfinished uploads of the signed-in user. */
	unfinished = $derived(this.jobs.filter((job) => job.status !== 'done' && job.status !== 'cancelled').length);
	failed = $derived(this.jobs.filter((job) => job.status === 'error').length);
	/** Rows not yet written to Supabase. */
	outboxPending = $state(0);
	/** Goes up each time rows were written to Supabase, so galleries know to look again. */
	recorded = $state(0);

	#services: Services | undefined;
	#session: SessionManager | undefined;
	#onedrive: OneDriveManager | undefined;
	#db: ReeldriveDb | undefined;
	// Plain caches behind the reactive `jobs`, never rendered directly.
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	#speeds = new Map<string, { at: number; acknowledged: number; speed: number | null }>();
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	#posterUrls = new Map<string, string>();
	#listening = false;
	#draining: Promise<void> | null = null;
	#drainAgain = false;
	#repumpTimer: ReturnType<typeof setTimeout> | undefined;

	/** Connects to the service worker and loads the signed-in user's uploads. */
	async start(services: Services, session: SessionManager, onedrive: OneDriveManager): Promise<void> {
		this.#services = services;
		this.#session = session;
		this.#onedrive = onedrive;
		this.#db = getDb();
		if (!this.#listening && 'serviceWorker' in navigator) {
			this.#listening = true;
			navigator.serviceWorker.addEventListener('message', (event) => this.#onWorkerMessage(event));
			window.addEventListener('online', () => {
				void this.pump();
				void this.drainOutbox();
			});
			navigator.serviceWorker.startMessages?.();
		}
		await this.reload();
		await this.announceUser();
		void this.drainOutbox();
	}

	/** Tells the service worker whose uploads may run here (nobody's after sign-out). */
	async announceUser(): Promise<void> {
		const user = this.#session?.user ?? null;
		const account = this.#onedrive?.account ?? null;
		await this.#post({
			v: PROTOCOL_VERSION,
			type: 'active-user',
			appUserId: user?.id ?? null,
			microsoftAccountId: user && account ? account.localAccountId : null
		});
	}

	/** Forgets the previous user's uploads on this page (they stay stored, paused, for them). */
	async stop(): Promise<void> {
		this.jobs = [];
		for (const url of this.#posterUrls.values()) URL.revokeObjectURL(url);
		this.#posterUrls.clear();
		await this.#post({ v: PROTOCOL_VERSION, type: 'active-user', appUserId: null, microsoftAccountId: null });
	}

	async reload(): Promise<void> {
		const user = this.#session?.user;
		if (!user || !this.#db) {
			this.jobs = [];
			return;
		}
		const records = await this.#db.uploads
			.where('[appUserId+createdAt]')
			.between([user.id, 0], [user.id, Infinity])
			.reverse()
			.toArray();
		this.jobs = records.filter((record) => record.state.status !== 'cancelled').map((record) => this.#view(record));
		this.outboxPending = await this.#db.outbox.where('appUserId').equals(user.id).count();
	}

	#view(record: UploadRecord): UploadView {
		const s = record.state;
		let posterUrl = this.#posterUrls.get(record.id) ?? null;
		if (!posterUrl && record.poster) {
			posterUrl = URL.createObjectURL(record.poster);
			this.#posterUrls.set(record.id, posterUrl);
		}
		const speed = this.#speeds.get(record.id)?.speed ?? null;
		const active = s.status === 'uploading' || s.status === 'queued';
		return {
			id: record.id,
			name: s.name,
			originalName: record.originalName,
			renamedNote: record.nameFixes.length > 0 ? describeNameFixes(record.nameFixes) : null,
			productId: record.productId,
			status: s.status,
			...describeState(s.status, s.pause, s.error),
			acknowledged: s.acknowledged,
			size: s.size,
			bytesPerSecond: active ? speed : null,
			secondsLeft: active && speed ? Math.ceil((s.size - s.acknowledged) / speed) : null,
			posterUrl,
			createdAt: record.createdAt
		};
	}

	async #refreshJob(id: string): Promise<void> {
		const record = await this.#db?.uploads.get(id);
		if (!record || record.appUserId !== this.#session?.user?.id) return;
		const view = this.#view(record);
		const index = this.jobs.findIndex((job) => job.id === id);
		if (record.state.status === 'cancelled') {
			if (index >= 0) this.jobs.splice(index, 1);
		} else if (index >= 0) {
			this.jobs[index] = view;
		} else {
			this.jobs.unshift(view);
		}
	}

	/**
	 * Applies the worker's summary at once, in message order, so the shown progress never steps
	 * back behind a slower storage read. Unknown jobs (queued in another tab) are read in full.
	 */
	#applySummary(summary: JobSummary): void {
		const job = this.jobs.find((entry) => entry.id === summary.id);
		if (!job) {
			void this.#refreshJob(summary.id);
			return;
		}
		if (summary.status === 'cancelled') {
			this.jobs.splice(this.jobs.indexOf(job), 1);
			return;
		}
		job.status = summary.status;
		job.acknowledged = summary.acknowledged;
		job.size = summary.size;
		Object.assign(job, describeState(summary.status, summary.pause, summary.error));
		if (summary.status !== 'uploading' && summary.status !== 'queued') {
			job.bytesPerSecond = null;
			job.secondsLeft = null;
		}
	}

	#onProgress(jobId: string, acknowledged: number, total: number): void {
		const job = this.jobs.find((entry) => entry.id === jobId);
		if (!job) return;
		const now = performance.now();
		const previous = this.#speeds.get(jobId);
		let speed = previous?.speed ?? null;
		if (previous && acknowledged > previous.acknowledged && now > previous.at) {
			const measured = ((acknowledged - previous.acknowledged) * 1000) / (now - previous.at);
			speed = speed === null ? measured : speed + SPEED_SMOOTHING * (measured - speed);
		}
		this.#speeds.set(jobId, { at: now, acknowledged, speed });
		job.acknowledged = acknowledged;
		job.size = total;
		job.bytesPerSecond = speed;
		job.secondsLeft = speed ? Math.ceil((total - acknowledged) / speed) : null;
	}

	#onWorkerMessage(event: MessageEvent): void {
		const data = event.data as unknown;
		if (isTokenRequest(data)) {
			const port = event.ports[0];
			if (port) void this.#lendToken(data).then((reply) => port.postMessage(reply));
			return;
		}
		if (!isWorkerToPage(data)) return;
		this.#handle(data);
	}

	#handle(message: WorkerToPage): void {
		switch (message.type) {
			case 'progress':
				this.#onProgress(message.jobId, message.acknowledged, message.total);
				break;
			case 'job-changed':
				this.#applySummary(message.job);
				if (message.job.pause === 'needs-sign-in') void this.#onedrive?.refresh();
				break;
			case 'outbox-changed':
				void this.drainOutbox();
				break;
			case 'pump-finished':
				// Work is left (a long upload, a backoff): keep the worker going while this page is open.
				clearTimeout(this.#repumpTimer);
				if (message.runnable > 0) this.#repumpTimer = setTimeout(() => void this.pump(), 2_000);
				break;
		}
	}

	/** Answers the worker's token requests, only for the signed-in owner and account. */
	async #lendToken(request: TokenRequest): Promise<TokenReply> {
		const user = this.#session?.user;
		const services = this.#services;
		const account = services?.microsoft.account();
		if (!services || !user || user.id !== request.appUserId || account?.localAccountId !== request.microsoftAccountId) {
			return { kind: 'not-mine' };
		}
		try {
			return { kind: 'token', accessToken: await services.microsoft.getAccessToken({ forceRefresh: request.forceRefresh }) };
		} catch (error) {
			if (error instanceof AppError && (error.code === 'microsoft-reauth-required' || error.code === 'microsoft-not-connected')) {
				void this.#onedrive?.refresh();
				return { kind: 'sign-in-required' };
			}
			return { kind: 'not-mine' };
		}
	}

	async #post(message: PageToWorker): Promise<void> {
		if (!('serviceWorker' in navigator)) return;
		const registration = await navigator.serviceWorker.ready;
		(navigator.serviceWorker.controller ?? registration.active)?.postMessage(message);
	}

	async pump(): Promise<void> {
		await this.#post({ v: PROTOCOL_VERSION, type: 'pump' });
		// Where Background Sync exists, the browser also carries on once the network is back.
		const registration = (await navigator.serviceWorker.ready) as ServiceWorkerRegistration & {
			sync?: { register(tag: string): Promise<void> };
		};
		await registration.sync?.register(SYNC_TAG).catch(() => {});
	}

	async command(jobId: string, command: UploadCommand): Promise<void> {
		await this.#post({ v: PROTOCOL_VERSION, type: 'command', jobId, command });
	}

	async retryAllFailed(): Promise<void> {
		for (const job of this.jobs.filter((entry) => entry.status === 'error')) await this.command(job.id, 'retry');
	}

	/**
	 * Checks and queues files for a product. Each file is judged by its content, not its name;
	 * refusals come back in words and nothing already queued is affected.
	 */
	async enqueue(files: File[], productId: string | null): Promise<EnqueueResult[]> {
		const services = this.#services;
		const user = this.#session?.user;
		const onedrive = this.#onedrive;
		const db = this.#db;
		if (!services || !user || !onedrive || !db) throw new Error('UploadsManager.start() was not called.');
		const connection = onedrive.row;
		const account = onedrive.account;
		if (onedrive.state !== 'connected' || !connection?.drive_id || !account) throw new AppError('microsoft-not-connected');

		const results: EnqueueResult[] = [];
		const accepted: { file: File; name: ReturnType<typeof sanitiseOneDriveName> }[] = [];
		for (const file of files) {
			try {
				checkUploadable({ size: file.size, head: new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer()) });
				accepted.push({ file, name: sanitiseOneDriveName(file.name) });
			} catch (error) {
				results.push({ name: file.name, accepted: false, message: describeError(error) });
			}
		}
		if (accepted.length === 0) return results;

		const room = await this.#storageRoom();
		const folder = await onedrive.uploadFolder();
		void navigator.storage?.persist?.().catch(() => false);
		let reserved = 0;
		for (const { file, name } of accepted) {
			if (room !== null && reserved + file.size + STORAGE_HEADROOM > room) {
				results.push({
					name: file.name,
					accepted: false,
					message: 'This browser does not have room to keep this video until it is uploaded. Free some space on this device, or upload fewer videos at once.'
				});
				continue;
			}
			reserved += file.size;
			const probe = await probeVideo(file);
			const id = crypto.randomUUID();
			const now = Date.now();
			const record: UploadRecord = {
				id,
				appUserId: user.id,
				microsoftAccountId: account.localAccountId,
				productId,
				driveId: connection.drive_id,
				folderPath: folder.path,
				originalName: file.name,
				nameFixes: name.fixes,
				mimeType: file.type || 'video/mp4',
				meta: probe.meta,
				poster: probe.poster,
				state: createUploadJob(
					{ id, name: name.name, size: file.size, target: { kind: 'folder', parentId: folder.id }, graphBaseUrl: services.config.graphBaseUrl },
					now
				),
				createdAt: now
			};
			await db.transaction('rw', db.uploads, db.files, db.outbox, async () => {
				await db.uploads.add(record);
				await db.files.add({ id, blob: file });
				await db.outbox.put({ id, appUserId: user.id, row: videoRowFor(record, now), updatedAt: now });
			});
			this.jobs.unshift(this.#view(record));
			results.push({
				name: file.name,
				accepted: true,
				message: name.changed ? `Queued as “${name.name}”: ${describeNameFixes(name.fixes)}` : 'Queued'
			});
		}
		await this.pump();
		void this.drainOutbox();
		return results;
	}

	/** Free bytes this origin may still store, or null when the browser does not say. */
	async #storageRoom(): Promise<number | null> {
		const estimate = await navigator.storage?.estimate?.().catch(() => null);
		if (!estimate?.quota) return null;
		return estimate.quota - (estimate.usage ?? 0);
	}

	/**
	 * Writes waiting rows to Supabase; what fails stays for the next try. A request that arrives
	 * while a drain runs makes it go round once more, so no newer snapshot is left behind.
	 */
	drainOutbox(): Promise<void> {
		if (this.#draining) {
			this.#drainAgain = true;
			return this.#draining;
		}
		this.#draining = (async () => {
			do {
				this.#drainAgain = false;
				await this.#drainOnce();
			} while (this.#drainAgain);
		})().finally(() => {
			this.#draining = null;
		});
		return this.#draining;
	}

	async #drainOnce(): Promise<void> {
		const user = this.#session?.user;
		const db = this.#db;
		const services = this.#services;
		if (!user || !db || !services || !navigator.onLine) return;
		const entries = await db.outbox.where('appUserId').equals(user.id).toArray();
		let written = 0;
		for (const entry of entries) {
			try {
				await writeOutboxEntry(services.supabase, entry);
				written++;
				await db.transaction('rw', db.outbox, async () => {
					const current = await db.outbox.get(entry.id);
					if (current && current.updatedAt === entry.updatedAt) await db.outbox.delete(entry.id);
				});
			} catch {
				// Offline, or Supabase unreachable: the entry stays and is tried again later.
				break;
			}
		}
		this.outboxPending = await db.outbox.where('appUserId').equals(user.id).count();
		if (written > 0) this.recorded++;
	}
}

export const uploads = new UploadsManager();

export interface InboxItem {
	id: string;
	name: string;
	size: number;
}

/** Videos shared to the installed app, waiting for the person to pick their product. */
export class InboxManager {
	items = $state<InboxItem[]>([]);
	products = $state<{ id: string; title: string }[]>([]);
	loaded = $state(false);

	async load(services: Services = getServices()): Promise<void> {
		const entries = await getDb().inbox.orderBy('receivedAt').toArray();
		this.items = entries.map((entry) => ({ id: entry.id, name: entry.name, size: entry.blob.size }));
		const { data } = await services.supabase.from('products').select('id,title').order('title');
		this.products = data ?? [];
		this.loaded = true;
	}

	/** Queues the shared videos for a product and empties the inbox of those that were queued. */
	async assign(ids: string[], productId: string): Promise<EnqueueResult[]> {
		const db = getDb();
		const entries = (await db.inbox.bulkGet(ids)).filter((entry) => entry !== undefined);
		const files = entries.map((entry) => new File([entry.blob], entry.name, { type: entry.type }));
		const results = await uploads.enqueue(files, productId);
		const done = entries.filter((_, index) => results.find((result) => result.name === files[index]!.name)?.accepted);
		await db.inbox.bulkDelete(done.map((entry) => entry.id));
		this.items = this.items.filter((item) => !done.some((entry) => entry.id === item.id));
		return results;
	}

	async discard(id: string): Promise<void> {
		await getDb().inbox.delete(id);
		this.items = this.items.filter((item) => item.id !== id);
	}
}

export const inbox = new InboxManager();
