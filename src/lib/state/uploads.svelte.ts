/**
 * The page's view of uploads: every upload of the signed-in person with its progress as the
 * service worker reports it, the commands a person gives, and the outbox drain that records
 * uploads in Supabase. Checking and queueing files is `upload-intake.ts`; lending tokens is
 * `$lib/auth/token-broker`; talking to the worker is `$lib/sw-bridge/worker-client`.
 */
import { lendToken } from '$lib/auth/token-broker';
import { AppError } from '$lib/errors';
import { probeVideo } from '$lib/adapters/video-probe';
import { FileStager } from '$lib/db/file-stager';
import { JobLedger } from '$lib/db/job-ledger';
import { getDb, type UploadRecord } from '$lib/db/reeldrive-db';
import { OutboxDrainer } from '$lib/outbox/video-outbox';
import type { Services } from '$lib/services';
import { PROTOCOL_VERSION, type JobSummary, type UploadCommand, type WorkerToPage } from '$lib/sw-bridge/protocol';
import { InPageRunner } from '$lib/sw-bridge/in-page-runner';
import { WorkerClient, type UploadChannel } from '$lib/sw-bridge/worker-client';
import { appUpdate } from './app-update.svelte';
import { writeOutboxEntry } from '$lib/supabase/video-outbox';
import { VideoRepository } from '$lib/supabase/videos';
import type { ExistingCopy } from '$lib/upload';
import { platformLocks } from '$lib/upload-runner/job-locks';
import type { OneDriveManager } from './onedrive.svelte';
import type { SessionManager } from './session.svelte';
import { holdVideos, queueHeldVideos } from './held-videos';
import { describeQueued, queueFiles, UploadDestinations, type EnqueueResult } from './upload-intake';
import { applyChecking, applyProgress, applySummary, describeKept, nextSpeed, uploadView, type SpeedSample, type UploadView } from './upload-view';

export type { EnqueueResult } from './upload-intake';
export type { UploadView } from './upload-view';

/** While work is left and moving, the page keeps the worker going this often. */
const REPUMP_MS = 2_000;
/** The longest queueing waits for the library's videos of the same size (for the duplicate look). */
const LIBRARY_LOOKUP_MS = 1_000;


/** A promise with its resolve function (Promise.withResolvers, which Node 20 lacks). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
	let resolve: () => void = () => {};
	const promise = new Promise<void>((done) => (resolve = done));
	return { promise, resolve };
}

export class UploadsManager {
	jobs = $state<UploadView[]>([]);
	/** Unfinished uploads of the signed-in user. */
	unfinished = $derived(this.jobs.filter((job) => job.status !== 'done' && job.status !== 'cancelled').length);
	failed = $derived(this.jobs.filter((job) => job.status === 'error').length);
	/** Rows not yet written to Supabase. */
	outboxPending = $state(0);
	/** Goes up each time rows were written to Supabase, so galleries know to look again. */
	recorded = $state(0);
	/**
	 * Videos can be queued here: OneDrive was connected, and where uploads go is known on this
	 * device. null while that is not known yet (starting up): files picked meanwhile wait for it.
	 */
	queueable = $state<boolean | null>(null);
	/** No service worker runs here, so uploads run in this page and need it to stay open. */
	runsInPage = $state(false);

	#services: Services | undefined;
	#session: SessionManager | undefined;
	#onedrive: OneDriveManager | undefined;
	/** Jobs for which this page re-announced the account after they waited for a sign-in. */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	readonly #announcedAgain = new Set<string>();
	#ledger: JobLedger | undefined;
	#drainer: OutboxDrainer | undefined;
	/** The service worker, or (where none can run) a runner inside this page. */
	#worker: UploadChannel = new WorkerClient();
	#channelChosen: Promise<void> | null = null;
	// Plain caches behind the reactive `jobs`, never rendered directly.
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	#speeds = new Map<string, SpeedSample>();
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	#posterUrls = new Map<string, string>();
	#onlineListener = false;
	readonly #destinations = new UploadDestinations();
	#repumpTimer: ReturnType<typeof setTimeout> | undefined;
	/** Settles when start() has finished for the signed-in person; enqueue waits for it. */
	#started = deferred();
	#queueingHeld: Promise<void> | null = null;
	#stager: FileStager | undefined;
	/**
	 * Files picked in this page for unfinished uploads: handed to the uploader (which reads from
	 * them first) and kept in storage piece by piece. Gone when the page closes.
	 */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	#files = new Map<string, File>();
	/**
	 * Jobs this page handed its file to again after the uploader lost it, with how far OneDrive
	 * had come then: handed again only once it got further (an unreadable file would loop).
	 */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	#handedAgain = new Map<string, number>();

	/** Connects to the service worker and loads the signed-in user's uploads. */
	async start(services: Services, session: SessionManager, onedrive: OneDriveManager): Promise<void> {
		this.#services = services;
		this.#session = session;
		this.#onedrive = onedrive;
		this.#ledger ??= new JobLedger(getDb());
		this.#drainer ??= new OutboxDrainer({
			store: this.#ledger,
			write: (entry) => writeOutboxEntry(services.supabase, entry),
			locks: platformLocks(globalThis),
			isOnline: () => navigator.onLine
		});
		this.#stager ??= new FileStager({
			ledger: this.#ledger,
			onProgress: (jobId, staging) => {
				const job = this.jobs.find((entry) => entry.id === jobId);
				if (job) job.keptText = describeKept(staging, job.size, job.status);
			}
		});
		this.#channelChosen ??= appUpdate.workerAvailable().then((available) => {
			if (available) return;
			this.#worker = new InPageRunner(this.#ledger);
			this.runsInPage = true;
		});
		await this.#channelChosen;
		this.#worker.listen({
			message: (message) => this.#handle(message),
			tokenRequest: (request) =>
				lendToken(request, {
					appUserId: () => this.#session?.user?.id ?? null,
					microsoft: () => this.#services?.microsoft ?? null,
					onReauthNeeded: () => void this.#onedrive?.refresh()
				})
		});
		if (!this.#onlineListener) {
			this.#onlineListener = true;
			window.addEventListener('online', () => {
				void this.pump();
				void this.drainOutbox();
			});
		}
		await this.reload();
		// Pieces of videos a kill left behind (an upload that ended meanwhile) free their room.
		void this.#ledger.sweep().catch(() => {});
		await this.refreshQueueable();
		this.#started.resolve();
		await this.announceUser();
		void this.drainOutbox();
	}

	/**
	 * A job waits for the person to reconnect OneDrive (its session request was refused twice).
	 * If this page still reaches OneDrive (MSAL gets tokens silently, Settings says "Connected"),
	 * there is nothing for the person to do: the page announces the account again, so the worker
	 * tries the job once more. Once per job and page, so a token OneDrive keeps refusing for
	 * uploads cannot make page and worker loop.
	 */
	async #signInAgainFor(jobId: string): Promise<void> {
		const onedrive = this.#onedrive;
		if (!onedrive) return;
		await onedrive.refresh();
		if (onedrive.state !== 'connected' || this.#announcedAgain.has(jobId)) return;
		this.#announcedAgain.add(jobId);
		// The worker pumps after an announcement.
		await this.announceUser();
	}

	/**
	 * Tells the service worker whose uploads may run here. Only once this manager runs for a
	 * signed-in person: a page still starting knows nobody yet, and "nobody" would make the worker
	 * halt that person's uploads (the fragment in flight abandoned, sent again). Sign-out says
	 * "nobody" through stop().
	 */
	async announceUser(): Promise<void> {
		const user = this.#session?.user ?? null;
		if (!user) return;
		const account = this.#onedrive?.account ?? null;
		await this.#worker.post({
			v: PROTOCOL_VERSION,
			type: 'active-user',
			appUserId: user.id,
			microsoftAccountId: account ? account.localAccountId : null
		});
	}

	/** Forgets the previous user's uploads on this page (they stay stored, paused, for them). */
	async stop(): Promise<void> {
		clearTimeout(this.#repumpTimer);
		this.jobs = [];
		this.queueable = null;
		this.#started = deferred();
		for (const url of this.#posterUrls.values()) URL.revokeObjectURL(url);
		this.#posterUrls.clear();
		await this.#worker.post({ v: PROTOCOL_VERSION, type: 'active-user', appUserId: null, microsoftAccountId: null });
	}

	async reload(): Promise<void> {
		const user = this.#session?.user;
		if (!user || !this.#ledger) {
			this.jobs = [];
			return;
		}
		const records = (await this.#ledger.forUser(user.id)).reverse();
		this.jobs = records.filter((record) => record.state.status !== 'cancelled').map((record) => this.#view(record));
		this.outboxPending = await this.#ledger.outboxCount(user.id);
	}

	#view(record: UploadRecord): UploadView {
		let posterUrl = this.#posterUrls.get(record.id) ?? null;
		if (!posterUrl && record.poster) {
			posterUrl = URL.createObjectURL(record.poster);
			this.#posterUrls.set(record.id, posterUrl);
		}
		return uploadView(record, this.#speeds.get(record.id)?.speed ?? null, posterUrl);
	}

	async #refreshJob(id: string): Promise<void> {
		const record = await this.#ledger?.get(id);
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
		applySummary(job, summary);
	}

	/** Hands the uploader the file this page picked for a job, and keeps its bytes as they go. */
	async #giveFile(jobId: string, file: File, from = 0): Promise<void> {
		this.#files.set(jobId, file);
		await this.#worker.post({ v: PROTOCOL_VERSION, type: 'attach-file', jobId, file });
		void this.#stager?.stage(jobId, file, from).catch(() => {});
	}

	#fileDone(jobId: string): void {
		this.#files.delete(jobId);
		this.#stager?.finished(jobId);
	}

	/**
	 * The same video picked again for an upload that waits for its file (only part of it was kept
	 * before its page closed). Refused in words when it is not the same size.
	 */
	async giveFileAgain(jobId: string, file: File): Promise<string | null> {
		const record = await this.#ledger?.get(jobId);
		if (!record) return 'This upload is no longer here.';
		if (file.size !== record.state.size) {
			return `That is not the same video: “${file.name}” has ${file.size.toLocaleString('en')} bytes, the upload has ${record.state.size.toLocaleString('en')}.`;
		}
		this.#handedAgain.delete(jobId);
		await this.#giveFile(jobId, file, record.state.acknowledged);
		await this.pump();
		return null;
	}

	#onProgress(jobId: string, acknowledged: number, total: number): void {
		const job = this.jobs.find((entry) => entry.id === jobId);
		if (!job) return;
		this.#stager?.acknowledged(jobId, acknowledged);
		const sample = nextSpeed(this.#speeds.get(jobId), acknowledged, performance.now());
		this.#speeds.set(jobId, sample);
		applyProgress(job, acknowledged, total, sample.speed);
	}

	#handle(message: WorkerToPage): void {
		switch (message.type) {
			case 'progress':
				this.#onProgress(message.jobId, message.acknowledged, message.total);
				break;
			case 'checking': {
				const job = this.jobs.find((entry) => entry.id === message.jobId);
				if (job) applyChecking(job, message.hashed, message.total);
				break;
			}
			case 'job-changed': {
				this.#applySummary(message.job);
				this.#stager?.acknowledged(message.job.id, message.job.acknowledged);
				if (message.job.pause === 'needs-sign-in') void this.#signInAgainFor(message.job.id);
				if (message.job.status === 'done' || message.job.status === 'cancelled') this.#fileDone(message.job.id);
				// The uploader lost the file (a restarted worker) but this page still has it: hand it
				// over again. If it waits again with no progress, the file itself cannot be read any
				// more (changed or removed on disk), and only the person can pick it again.
				const handedAt = this.#handedAgain.get(message.job.id);
				const moved = handedAt === undefined || message.job.acknowledged > handedAt;
				const file = message.job.pause === 'needs-file' && moved ? this.#files.get(message.job.id) : undefined;
				if (file) {
					this.#handedAgain.set(message.job.id, message.job.acknowledged);
					void this.#giveFile(message.job.id, file, message.job.acknowledged).then(() => this.pump());
				}
				break;
			}
			case 'outbox-changed':
				void this.drainOutbox();
				break;
			case 'pump-finished': {
				// Keep the worker going while this page is open: soon while work moves, at the
				// end of a backoff when only that is left. Nothing for jobs that wait for a person.
				clearTimeout(this.#repumpTimer);
				const dueIn = message.dueAt === null || message.dueAt === undefined ? null : Math.max(REPUMP_MS, message.dueAt - Date.now());
				const delay = message.runnable > 0 && message.progressed !== false ? REPUMP_MS : dueIn;
				if (delay !== null) this.#repumpTimer = setTimeout(() => void this.pump(), delay);
				break;
			}
		}
	}

	async pump(): Promise<void> {
		await this.#worker.post({ v: PROTOCOL_VERSION, type: 'pump' });
		// Where Background Sync exists, the browser also carries on once the network is back.
		await this.#worker.registerSync();
	}

	async command(jobId: string, command: UploadCommand): Promise<void> {
		await this.#worker.post({ v: PROTOCOL_VERSION, type: 'command', jobId, command });
	}

	async retryAllFailed(): Promise<void> {
		for (const job of this.jobs.filter((entry) => entry.status === 'error')) await this.command(job.id, 'retry');
	}

	/**
	 * Checks and queues files for a product. Refusals come back in words, one result per file in
	 * the order given; nothing already queued is affected.
	 */
	async enqueue(files: File[], productId: string | null, keptAs: readonly (string | null)[] = []): Promise<EnqueueResult[]> {
		// Picked while the app was still starting: wait for it rather than drop the files.
		await this.#started.promise;
		const services = this.#services;
		const user = this.#session?.user;
		const ledger = this.#ledger;
		if (!services || !user || !ledger) throw new Error('UploadsManager.start() was not called.');
		// Queueing needs only this device: where the video goes is known from the connection,
		// even offline or while Microsoft wants the person to sign in again.
		const target = await this.#destinations.resolve(user.id, this.#onedrive?.row ?? null);
		if (!target) throw new AppError('microsoft-not-connected');
		const { results, records } = await queueFiles(files, productId, {
			ledger,
			appUserId: user.id,
			microsoftAccountId: target.microsoftAccountId,
			driveId: target.driveId,
			folderPath: target.folderPath,
			graphBaseUrl: services.config.graphBaseUrl,
			libraryCopies: this.#libraryCopies(files.map((file) => file.size))
		}, keptAs);
		for (const record of records) this.jobs.unshift(this.#view(record));
		// Uploading starts now, from the picked files; keeping them in storage runs alongside.
		const picked = records.map((record) => ({ jobId: record.id, file: files[results.findIndex((result) => result.jobId === record.id)]! }));
		for (const { jobId, file } of picked) if (!keptAs.includes(jobId)) await this.#giveFile(jobId, file);
		if (records.length > 0) {
			await this.pump();
			void this.drainOutbox();
			void describeQueued(picked, ledger, probeVideo).then((described) => {
				for (const record of described) {
					const job = this.jobs.find((entry) => entry.id === record.id);
					if (job && record.poster && !job.posterUrl) job.posterUrl = this.#view(record).posterUrl;
				}
			});
		}
		return results;
	}

	/**
	 * The person's videos of these sizes, for the look for the same video before uploading.
	 * Offline or failing, only the target folder is looked at (by the uploader).
	 */
	async #libraryCopies(sizes: number[]): Promise<ExistingCopy[]> {
		const services = this.#services;
		if (!services || !navigator.onLine) return [];
		// Queueing must not wait long for this: a slow Supabase leaves it to the folder listing.
		let timer: ReturnType<typeof setTimeout> | undefined;
		const late = new Promise<ExistingCopy[]>((resolve) => (timer = setTimeout(() => resolve([]), LIBRARY_LOOKUP_MS)));
		try {
			return await Promise.race([new VideoRepository(services.supabase).sameSize(sizes), late]);
		} catch {
			return [];
		} finally {
			clearTimeout(timer);
		}
	}

	/** Looks again whether videos can be queued here (after the connection row changed). */
	async refreshQueueable(): Promise<void> {
		const user = this.#session?.user;
		// While the connection is still loading, nothing is known yet: files picked meanwhile wait.
		if (user && this.#onedrive?.state === 'loading' && !this.#onedrive.row) {
			this.queueable = null;
			return;
		}
		this.queueable = !!user && (await this.#destinations.resolve(user.id, this.#onedrive?.row ?? null)) !== null;
		if (this.queueable) void this.#queueHeld();
	}

	/** OneDrive was never connected: keeps the picked videos here until it is (see held-videos.ts). */
	async holdUntilConnected(files: File[], productId: string | null): Promise<EnqueueResult[]> {
		const user = this.#session?.user;
		if (!user) throw new Error('UploadsManager.start() was not called.');
		return holdVideos(files, user.id, productId);
	}

	/** One pass at a time here, and one across tabs (inside queueHeldVideos), so nothing is queued twice. */
	#queueHeld(): Promise<void> {
		const user = this.#session?.user;
		if (!user) return Promise.resolve();
		this.#queueingHeld ??= queueHeldVideos(user.id, (files, productId) => this.enqueue(files, productId), platformLocks(globalThis)).finally(() => {
			this.#queueingHeld = null;
		});
		return this.#queueingHeld;
	}

	/** Writes waiting rows to Supabase, one tab at a time; what fails stays for the next try. */
	async drainOutbox(): Promise<void> {
		const user = this.#session?.user;
		if (!user || !this.#drainer || !this.#ledger) return;
		const written = await this.#drainer.drain(user.id);
		this.outboxPending = await this.#ledger.outboxCount(user.id);
		if (written > 0) this.recorded++;
	}
}

export const uploads = new UploadsManager();
