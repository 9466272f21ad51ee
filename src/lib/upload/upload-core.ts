/**
 * The upload engine for one job: the Graph upload-session protocol driven as a state machine
 * over persisted state, in bounded slices so a service-worker event never outlives the
 * browser's limits. It persists after every acknowledged fragment; a new instance over the same
 * JobStore carries on from there (asking the session where it stands first, so at most the
 * fragment in flight when the old process died is sent again).
 */
import { BytesNotHereError, StorageFullError, UploadError, type ErrorContext, type UploadErrorCode } from './errors';
import type { SessionRestartReason, UploadEvent } from './events';
import {
	estimateFragmentMs,
	fragmentEnd,
	recordFragmentFailure,
	recordFragmentSuccess,
	recordFragmentTimeout,
	requestTimeoutMs
} from './fragment-plan';
import {
	autoRetryDelayMs,
	backoffMs,
	childrenUrl,
	contentRange,
	createFolderBody,
	createFolderUrl,
	createSessionBody,
	createSessionUrl,
	expirationOf,
	firstMissingByte,
	graphErrorCodes,
	itemUrl,
	parseJson,
	parseUploadedItem,
	retryAfterMs,
	sameUploadName
} from './graph-protocol';
import {
	createUploadJob,
	isFinished,
	isUploadJobState,
	transition,
	withDefaults,
	type ConflictBehavior,
	type DuplicateCheck,
	type ExistingCopy,
	type NewUploadJob,
	type PauseReason,
	type UploadJobState,
	type UploadStatus,
	type UploadedItem
} from './job';
import type { HttpRequest, HttpResponse, NetworkFailure, UploadPorts } from './ports';
import { QuickXorHash } from './quickxorhash';

export interface SliceBounds {
	/** Stop after this many fragment PUTs (attempts, whether or not they succeed). */
	maxFragments?: number;
	/** Clock time to stop by: no fragment starts that is not expected to finish before it. */
	deadline?: number;
	/**
	 * Called as the final fragment starts to travel (again, if it is sent again): what is left is
	 * OneDrive's answer and a check, so a scheduler may start the next job's session beside it.
	 */
	onLastFragment?: () => void;
}

export type SliceResult =
	| { outcome: 'done'; state: UploadJobState }
	/** The bound was reached with work left: run another slice when convenient. */
	| { outcome: 'yield'; state: UploadJobState }
	/** Waiting for a backoff or Retry-After: run another slice at or after `until`. */
	| { outcome: 'wait'; until: number; state: UploadJobState }
	/** Paused, failed, in conflict or cancelled: only an outside change (online, a page, a command) helps. */
	| { outcome: 'stopped'; state: UploadJobState };

export interface UploadCoreOptions {
	/** Consecutive failures of one step (fragment, session request) before stopping with retries-exhausted. */
	maxAttempts?: number;
	/** Unexpected session losses tolerated per job before session-lost-repeatedly (retry() resets it). */
	maxSessionRestarts?: number;
	/** Upload URLs stop working about 24 h after creation (onedrive-graph.md §8.7). */
	sessionHardLimitMs?: number;
	/** Replace a session this long before the hard limit, at least. */
	sessionSafetyMarginMs?: number;
	/** Waits before asking OneDrive again for a hash it did not report yet. */
	verifyLookupDelaysMs?: readonly number[];
	/** Fragments measured before the link's speed is trusted to judge whether a session can finish. */
	minSamplesForTooSlow?: number;
	/** Pages of a folder listing read when looking for a finished item whose answer was lost. */
	maxListingPages?: number;
}

const DEFAULTS: Required<UploadCoreOptions> = {
	maxAttempts: 8,
	maxSessionRestarts: 3,
	sessionHardLimitMs: 24 * 60 * 60 * 1000,
	sessionSafetyMarginMs: 15 * 60 * 1000,
	verifyLookupDelaysMs: [2_000, 10_000, 30_000],
	minSamplesForTooSlow: 4,
	maxListingPages: 50
};

/** Failures that heal by themselves: how many automatic retries each gets (Infinity: keep trying). */
const AUTO_RETRIES: Partial<Record<UploadErrorCode, number>> = {
	'retries-exhausted': Infinity,
	'session-lost-repeatedly': Infinity,
	'hash-mismatch': 1,
	'size-mismatch': 1
};

/** What the core asks of a driveItem it verifies or looks for. */
const ITEM_FIELDS = 'id,name,size,file,webUrl,parentReference,video';

/** Bytes read at a time when the hash must catch up with (or back off from) the server. */
const REALIGN_CHUNK = 8 * 1024 * 1024;
/** Bytes read at a time to hash a fragment sent as a Blob: small, so memory stays low. */
const HASH_STEP = 4 * 1024 * 1024;

type Step = SliceResult | null;

interface SliceContext {
	bounds: SliceBounds;
	fragments: number;
}

interface Buffered {
	start: number;
	end: number;
	bytes: Uint8Array;
}

/** A fragment sent as a Blob: its bytes are read by the transport, not held here. */
interface Streamed {
	start: number;
	end: number;
	blob: Blob;
}

const isNetworkFailure = (r: HttpResponse | NetworkFailure): r is NetworkFailure =>
	(r as NetworkFailure).kind === 'network-failure';
const isAborted = (r: HttpResponse | NetworkFailure): boolean => isNetworkFailure(r) && r.reason === 'aborted';
const ABORTED: NetworkFailure = { kind: 'network-failure', reason: 'aborted' };

/**
 * One engine per job per owner. Slices and commands never overlap: they run one after another
 * on a single chain, so a command always sees (and saves) the state the last slice left, and the
 * saved state is always an acknowledged offset with its matching hash (at most one fragment behind
 * OneDrive while a write runs beside the next fragment; see saveBehind).
 */
export class UploadCore {
	private readonly options: Required<UploadCoreOptions>;
	private s: UploadJobState | null = null;
	private hasher = new QuickXorHash();
	/** False until the session's position is confirmed in this process (after load, or a failed PUT). */
	private positionKnown = false;
	private current: Buffered | null = null;
	private prefetch: { start: number; end: number; promise: Promise<Uint8Array | null> } | null = null;
	/** One HASH_STEP buffer that hashing reads into, when the ByteSource can (readInto), and reuses. */
	private scratch: ArrayBuffer | null = null;
	private running: Promise<SliceResult> | null = null;
	/** Slices and commands, in order: each starts when the one before has settled. */
	private chain: Promise<unknown> = Promise.resolve();
	/** Commands waiting for the slice to stop; while any wait, no request starts. */
	private pendingCommands = 0;
	/** Set for good by halt(): the owner is letting go of this job (sign-out, lost lock, eviction). */
	private halted = false;
	private inFlight: AbortController | null = null;
	/** The target's folders were created in this process (so a second 404 really means "not found"). */
	private foldersEnsured = false;
	/** The last save was refused for want of room: the state held here is ahead of the stored one. */
	private unsaved = false;
	/** Writes of the state, in order (see saveBehind). */
	private writes: Promise<void> = Promise.resolve();
	/** The first write started by saveBehind that failed, until a slice or save reports it. */
	private writeError: unknown = null;
	/**
	 * This engine took its state from storage, which may lag behind what an engine before it did
	 * (its saves refused for want of room): a session gone may then be a finished upload.
	 */
	private resumedFromStore = false;

	constructor(
		private readonly ports: UploadPorts,
		options: UploadCoreOptions = {}
	) {
		this.options = { ...DEFAULTS, ...options };
	}

	/** Creates, persists and returns the engine for a new job (status queued). */
	static async start(ports: UploadPorts, job: NewUploadJob, options?: UploadCoreOptions): Promise<UploadCore> {
		if (job.size !== ports.bytes.size) throw new UploadError('invalid-job', { size: job.size, bytes: ports.bytes.size });
		const core = new UploadCore(ports, options);
		const state = createUploadJob(job, ports.clock.now());
		await ports.store.save(copy(state));
		core.adopt(state);
		return core;
	}

	async state(): Promise<UploadJobState> {
		return copy(await this.load());
	}

	/**
	 * Does a bounded amount of work. Concurrent calls share the slice already running or waiting;
	 * a slice asked for after a command runs after that command.
	 */
	runSlice(bounds: SliceBounds = {}): Promise<SliceResult> {
		if (!this.running) {
			const slice = this.exclusive(() => this.slice({ bounds, fragments: 0 }));
			this.running = slice;
			const clear = () => {
				if (this.running === slice) this.running = null;
			};
			slice.then(clear, clear);
		}
		return this.running;
	}

	/**
	 * Lets go of the job for good: the request in flight is abandoned at once, no request starts
	 * after this call, and the promise resolves when nothing of this engine runs any more. The
	 * saved state stays the last acknowledged one; another engine carries on from it.
	 */
	async halt(): Promise<void> {
		this.halted = true;
		this.inFlight?.abort();
		this.releaseBuffers();
		await this.chain;
	}

	/** Bytes of the file this engine holds in memory (fragment in flight and the next one read ahead). */
	heldBytes(): number {
		return (this.current?.bytes.length ?? 0) + (this.prefetch ? this.prefetch.end - this.prefetch.start : 0);
	}

	/** Stops before the next fragment; the fragment in flight is abandoned at once. */
	pause(): Promise<UploadJobState> {
		return this.command(async () => {
			const s = await this.load();
			// A duplicate already waits for the person (and must not turn into a plain pause).
			if (s.status === 'paused' && (s.pause === 'user' || s.pause === 'duplicate')) return;
			await this.setStatus('paused', { pause: 'user' });
		}, true);
	}

	/** Continues a paused job (any pause reason). */
	resume(): Promise<UploadJobState> {
		return this.command(async () => {
			const s = await this.load();
			if (s.status !== 'paused') throw new UploadError('invalid-transition', { from: s.status, to: 'queued' });
			// A duplicate waits for the person's choice between the two, not a plain Resume.
			if (s.pause === 'duplicate') throw new UploadError('invalid-transition', { from: 'duplicate', to: 'queued' });
			this.positionKnown = false;
			await this.setStatus('queued');
		});
	}

	/**
	 * Tries a failed job again, from the last acknowledged byte when the session still stands.
	 * 'automatic' is the scheduler acting on autoRetryAt; it keeps the count of automatic retries
	 * so their waits keep growing, where a person's retry starts the count afresh.
	 */
	retry(by: 'person' | 'automatic' = 'person'): Promise<UploadJobState> {
		return this.command(async () => {
			const s = await this.load();
			if (s.status !== 'error') throw new UploadError('invalid-transition', { from: s.status, to: 'queued' });
			s.attempt = 0;
			s.notBefore = null;
			s.sessionRestarts = 0;
			if (by === 'person') {
				s.autoRetries = 0;
				s.mismatches = 0;
			}
			this.positionKnown = false;
			await this.setStatus('queued');
		});
	}

	/** After a name conflict: upload again, keeping both (rename) or overwriting (replace). */
	resolveConflict(behavior: Exclude<ConflictBehavior, 'fail'>): Promise<UploadJobState> {
		return this.command(async () => {
			const s = await this.load();
			if (s.status !== 'conflict') throw new UploadError('invalid-transition', { from: s.status, to: 'queued' });
			s.conflictBehavior = behavior;
			this.dropSession();
			await this.setStatus('queued');
		});
	}

	/**
	 * The person's answer for a job stopped as a duplicate. 'upload': upload a second copy (and
	 * never ask again for this job). 'link': take the existing copy as this job's video: the job
	 * is done with that item (its hash was just compared), nothing is uploaded and no bytes stay.
	 */
	resolveDuplicate(choice: 'upload' | 'link'): Promise<UploadJobState> {
		return this.command(async () => {
			const s = await this.load();
			const check = s.duplicates;
			if (s.status !== 'paused' || s.pause !== 'duplicate' || !check?.match || !check.hash) {
				throw new UploadError('invalid-transition', { from: s.pause ?? s.status, to: choice });
			}
			if (choice === 'upload') {
				s.duplicates = { ...check, phase: 'ignored', candidates: [], hash: null };
				this.positionKnown = false;
				await this.setStatus('queued');
				return;
			}
			const match = check.match;
			const whole = QuickXorHash.fromState(check.hash);
			if (whole.length !== s.size) throw new UploadError('invalid-transition', { from: 'duplicate', to: 'link' });
			s.duplicates = { ...check, phase: 'linked', candidates: [], hash: null };
			this.dropSession();
			this.hasher = whole;
			s.acknowledged = s.size;
			s.item = {
				id: match.itemId,
				name: match.name,
				size: match.size,
				driveId: match.driveId,
				webUrl: match.webUrl,
				quickXorHash: match.quickXorHash,
				video: null
			};
			await this.setStatus('verifying');
			this.emitProgress();
			await this.finish(true, whole.digest());
		});
	}

	/**
	 * Stops for good and deletes the upload session so OneDrive frees its bytes. When the final
	 * fragment had been sent, OneDrive may already hold the whole file: then the job is finished
	 * instead (state 'verifying'), so no untracked copy is left behind.
	 */
	cancel(): Promise<UploadJobState> {
		return this.command(async () => {
			const s = await this.load();
			if (isFinished(s.status)) throw new UploadError('invalid-transition', { from: s.status, to: 'cancelled' });
			const session = s.session;
			if (session && s.finalSentAt !== null && s.status !== 'verifying') {
				const res = await this.send({ method: 'GET', url: session.uploadUrl, headers: {} }, false);
				if (!isNetworkFailure(res) && res.status === 404) {
					const token = await this.peekToken();
					if (token !== null && (await this.findFinishedItem(token, false)) === 'found') return;
				}
			}
			this.dropSession();
			await this.setStatus('cancelled');
			if (session) await this.send({ method: 'DELETE', url: session.uploadUrl, headers: {} }, false);
		}, true);
	}

	// ---- slice driver ------------------------------------------------------------------------

	private exclusive<T>(work: () => Promise<T>): Promise<T> {
		const run = this.chain.then(work);
		this.chain = run.then(
			() => undefined,
			() => undefined
		);
		return run;
	}

	/** A command waits for the slice to reach its next checkpoint (Pause and Cancel abort the PUT). */
	private command(apply: () => Promise<void>, abortInFlight = false): Promise<UploadJobState> {
		this.pendingCommands++;
		if (abortInFlight) this.inFlight?.abort();
		return this.exclusive(async () => {
			try {
				await this.load();
				await apply();
				return copy(this.s!);
			} finally {
				this.pendingCommands--;
			}
		});
	}

	/** True when the slice must stop at once: a command waits, or the owner let go. */
	private get stopping(): boolean {
		return this.halted || this.pendingCommands > 0;
	}

	private async slice(ctx: SliceContext): Promise<SliceResult> {
		try {
			return await this.steps(ctx);
		} finally {
			// Nothing of a slice outlives it: the owner reads the stored state once it ends.
			await this.settleWrites();
		}
	}

	private async steps(ctx: SliceContext): Promise<SliceResult> {
		await this.load();
		for (;;) {
			const s = this.s!;
			if (this.stopping) return this.result('yield');
			let step: Step = null;
			switch (s.status) {
				case 'done':
					return this.result('done');
				case 'cancelled':
				case 'error':
				case 'conflict':
					return this.result('stopped');
				case 'paused': {
					if (!this.canAutoResume(s.pause)) return this.result('stopped');
					// Waiting for a token: ask first, and stay as it is (no state churn) while none comes.
					const waiting = s.session === null && (s.pause === 'needs-page' || s.pause === 'needs-sign-in') ? await this.stillWithoutToken() : null;
					if (waiting) return waiting;
					this.positionKnown = false;
					await this.setStatus('uploading');
					break;
				}
				case 'queued':
					await this.setStatus('uploading');
					break;
				case 'verifying':
					step = await this.verifyStep(ctx);
					break;
				case 'uploading':
					step = await this.uploadStep(ctx);
					break;
			}
			if (step) return step;
		}
	}

	private canAutoResume(reason: PauseReason | null): boolean {
		if (reason === 'offline') return this.ports.connectivity.isOnline();
		// A page may have opened, or the person reconnected, since; asking the token source again
		// is how we find out.
		// needs-file: the owner runs it again only once the file was given back.
		return reason === 'needs-page' || reason === 'needs-sign-in' || reason === 'needs-file';
	}

	/** For a job paused for want of a token: null when one is to be had now, else the stop. */
	private async stillWithoutToken(): Promise<Step> {
		let result;
		try {
			result = await this.ports.tokens.getToken({ forceRefresh: false });
		} catch {
			return this.result('stopped');
		}
		if (result.kind === 'token') return null;
		const reason: PauseReason = result.kind === 'no-page' ? 'needs-page' : 'needs-sign-in';
		if (this.s!.pause !== reason) await this.setStatus('paused', { pause: reason });
		return this.result('stopped');
	}

	private async uploadStep(ctx: SliceContext): Promise<Step> {
		const s = this.s!;
		const waiting = await this.waitTurn(ctx);
		if (waiting) return waiting;
		if (!this.ports.connectivity.isOnline()) return this.pauseFor('offline');
		if (!s.session && s.acknowledged === 0 && (s.duplicates?.phase === 'pending' || s.duplicates?.phase === 'hashing')) {
			return this.checkDuplicates(ctx, s.duplicates);
		}
		if (!s.session) return this.openSession();

		const now = this.ports.clock.now();
		const nextBytes = fragmentEnd(s.plan, s.acknowledged, s.size) - s.acknowledged;
		const margin = Math.max(this.options.sessionSafetyMarginMs, 3 * (estimateFragmentMs(s.plan, nextBytes) ?? 0));
		if (now - s.session.createdAt >= this.options.sessionHardLimitMs - margin) {
			return this.restartSession('session-age');
		}
		if (!this.positionKnown || (s.session.expiresAt !== null && now >= s.session.expiresAt)) {
			return this.querySession();
		}
		if (s.acknowledged >= s.size) {
			// Every byte is acknowledged but no item came back: only the session can say more.
			return this.fail('unexpected-response', { phase: 'all-bytes-acknowledged' }, true);
		}
		if (ctx.bounds.maxFragments !== undefined && ctx.fragments >= ctx.bounds.maxFragments) return this.result('yield');
		if (ctx.bounds.deadline !== undefined) {
			if (now >= ctx.bounds.deadline) return this.result('yield');
			const estimate = estimateFragmentMs(s.plan, nextBytes);
			if (ctx.fragments > 0 && estimate !== null && now + estimate > ctx.bounds.deadline) return this.result('yield');
		}
		return this.sendFragment(ctx);
	}

	/** Sleeps out a pending backoff inside the slice, or hands it back to the host. */
	private async waitTurn(ctx: SliceContext): Promise<Step> {
		const notBefore = this.s!.notBefore;
		if (notBefore === null) return null;
		const now = this.ports.clock.now();
		if (notBefore <= now) return null;
		const { deadline, maxFragments } = ctx.bounds;
		const outOfFragments = maxFragments !== undefined && ctx.fragments >= maxFragments;
		if ((deadline !== undefined && notBefore > deadline) || outOfFragments) {
			return { outcome: 'wait', until: notBefore, state: copy(this.s!) };
		}
		await this.ports.clock.sleep(notBefore - now);
		return null;
	}

	// ---- the same video twice ------------------------------------------------------------------

	/**
	 * Before any session: is this video already in OneDrive? Cheap first: copies of the same size
	 * (the library's, given at queueing, and the target folder's, listed now). Only when one
	 * exists is the file hashed, in chunks, persisting where it got to when a slice or a command
	 * interrupts it; a copy with the same QuickXorHash stops the job for the person.
	 */
	private async checkDuplicates(ctx: SliceContext, check: DuplicateCheck): Promise<Step> {
		const s = this.s!;
		if (check.phase === 'pending') {
			const token = await this.token(false);
			if (typeof token !== 'string') return token;
			const listed = await this.sameSizeInFolder(token);
			if (listed === 'aborted') return this.result('yield');
			if (listed === 'unknown') return this.transient('network', null, false);
			const candidates = [...check.known];
			for (const copy of listed) if (!candidates.some((known) => known.itemId === copy.itemId)) candidates.push(copy);
			s.duplicates = candidates.length === 0
				? { ...check, phase: 'clear' }
				: { ...check, phase: 'hashing', candidates, hash: new QuickXorHash().toState() };
			s.attempt = 0;
			s.notBefore = null;
			await this.save();
			return null;
		}
		const hasher = check.hash ? QuickXorHash.fromState(check.hash) : new QuickXorHash();
		const keep = async () => {
			s.duplicates = { ...check, hash: hasher.toState() };
			await this.save();
		};
		while (hasher.length < s.size) {
			if (this.stopping || (ctx.bounds.deadline !== undefined && this.ports.clock.now() >= ctx.bounds.deadline)) {
				await keep();
				return this.result('yield');
			}
			const from = hasher.length;
			try {
				hasher.update(await this.readRange(from, Math.min(s.size, from + REALIGN_CHUNK)));
			} catch (e) {
				await keep();
				return this.unreadable(e, from);
			}
			this.emit({ type: 'checking', jobId: s.id, hashed: hasher.length, total: s.size });
		}
		const digest = hasher.digest();
		s.duplicates = { ...check, hash: hasher.toState() };
		for (const copy of check.candidates.filter((candidate) => candidate.quickXorHash === digest)) {
			// The folder was listed a moment ago; a library row may point at a file deleted since.
			const there = copy.source === 'folder' ? 'yes' : await this.stillThere(copy);
			if (there === 'aborted') {
				await this.save();
				return this.result('yield');
			}
			if (there === 'unknown') return this.transient('network', null, false);
			if (there === 'no') continue;
			s.duplicates = { ...check, phase: 'found', match: copy, candidates: [], hash: hasher.toState() };
			return this.pauseFor('duplicate');
		}
		s.duplicates = { ...check, phase: 'clear', candidates: [], hash: null };
		await this.save();
		return null;
	}

	/** Whether a library copy's file is still in OneDrive with the same size and hash. */
	private async stillThere(copy: ExistingCopy): Promise<'yes' | 'no' | 'unknown' | 'aborted'> {
		const token = await this.peekToken();
		if (token === null) return 'unknown';
		const res = await this.send({
			method: 'GET',
			url: `${itemUrl(this.s!.graphBaseUrl, copy.driveId, copy.itemId)}?$select=${ITEM_FIELDS}`,
			headers: { Authorization: `Bearer ${token}` }
		});
		if (isAborted(res)) return 'aborted';
		if (isNetworkFailure(res) || res.status >= 500 || res.status === 429) return 'unknown';
		if (res.status === 404 || res.status === 410) return 'no';
		// Not allowed to look (401, 403): the library's row, whose hash matched, is taken at its word.
		if (res.status !== 200) return 'yes';
		const item = parseUploadedItem(parseJson(res.text));
		return item && item.size === copy.size && item.quickXorHash === copy.quickXorHash ? 'yes' : 'no';
	}

	/** Files in the target folder of exactly this job's size whose QuickXorHash OneDrive reports. */
	private async sameSizeInFolder(token: string): Promise<ExistingCopy[] | 'unknown' | 'aborted'> {
		const s = this.s!;
		const found: ExistingCopy[] = [];
		const folderPath = s.target.kind === 'path' ? `/${s.target.folderPath.split('/').filter((part) => part.length > 0).join('/')}` : null;
		let url: string | null = childrenUrl(s.graphBaseUrl, s.target, ITEM_FIELDS);
		for (let page = 0; url && page < this.options.maxListingPages; page++) {
			const res = await this.send({ method: 'GET', url, headers: { Authorization: `Bearer ${token}` } });
			if (isAborted(res)) return 'aborted';
			if (isNetworkFailure(res) || res.status >= 500 || res.status === 429) return 'unknown';
			// No folder yet: nothing in it. A refusal (401, 403) is left to the session request,
			// which handles it and says it in words.
			if (res.status !== 200) return found;
			const body = parseJson(res.text) as { value?: unknown; '@odata.nextLink'?: unknown } | null;
			for (const entry of Array.isArray(body?.value) ? body.value : []) {
				const item = parseUploadedItem(entry);
				if (!item || item.size !== s.size || !item.quickXorHash) continue;
				found.push({
					source: 'folder',
					videoId: null,
					productId: null,
					productTitle: null,
					itemId: item.id,
					driveId: item.driveId ?? s.target.driveId ?? null,
					name: item.name,
					folderPath,
					size: item.size,
					quickXorHash: item.quickXorHash,
					webUrl: item.webUrl
				});
			}
			url = typeof body?.['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : null;
		}
		return found;
	}

	// ---- session ------------------------------------------------------------------------------

	private async openSession(): Promise<Step> {
		const s = this.s!;
		let token = await this.token(false);
		if (typeof token !== 'string') return token;
		const request = (accessToken: string): HttpRequest => ({
			method: 'POST',
			url: createSessionUrl(s.graphBaseUrl, s.target, s.name, s.replaceItemId),
			headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
			body: createSessionBody(s.name, s.size, s.replaceItemId ? 'replace' : s.conflictBehavior)
		});
		let res = await this.send(request(token));
		if (!isNetworkFailure(res) && res.status === 401) {
			// A token the cache thought valid was refused: one forced refresh, then give up politely.
			token = await this.token(true);
			if (typeof token !== 'string') return token;
			res = await this.send(request(token));
			if (!isNetworkFailure(res) && res.status === 401) return this.pauseFor('needs-sign-in');
		}
		if (isAborted(res)) return this.result('yield');
		if (isNetworkFailure(res)) return this.transient('network', null, false);
		if (res.status === 404 && s.replaceItemId) {
			// The bad copy that was to be overwritten is gone (deleted in OneDrive): upload anew.
			s.replaceItemId = null;
			await this.save();
			return null;
		}
		const body = parseJson(res.text);
		const codes = graphErrorCodes(body);
		const context = { status: res.status, graphCode: codes[0] ?? null };
		if (res.status === 200 || res.status === 201) {
			const uploadUrl = (body as { uploadUrl?: unknown } | null)?.uploadUrl;
			if (typeof uploadUrl !== 'string' || !uploadUrl) return this.fail('unexpected-response', context, true);
			const now = this.ports.clock.now();
			s.session = { uploadUrl, createdAt: now, expiresAt: expirationOf(body) };
			this.resetBytes();
			this.positionKnown = true;
			s.attempt = 0;
			s.notBefore = null;
			await this.save();
			this.emit({ type: 'session-created', jobId: s.id, expiresAt: s.session.expiresAt });
			return null;
		}
		if (res.status === 409) {
			return this.toConflict({ ...context, conflictBehavior: s.conflictBehavior });
		}
		if (res.status === 404 && s.target.kind === 'path' && !this.foldersEnsured) {
			// A job queued by path (offline, or before a folder was ever chosen): make the folders.
			this.foldersEnsured = true;
			return this.ensureFolders(token);
		}
		return this.commonFailure(res, context, 'request-rejected');
	}

	/**
	 * Creates the target path's folders from the root down. A folder that exists answers 409,
	 * which is just as good; anything else is handled as for the session request.
	 */
	private async ensureFolders(token: string): Promise<Step> {
		const s = this.s!;
		if (s.target.kind !== 'path') return null;
		const segments = s.target.folderPath.split('/').filter((segment) => segment.length > 0);
		for (let depth = 0; depth < segments.length; depth++) {
			const res = await this.send({
				method: 'POST',
				url: createFolderUrl(s.graphBaseUrl, s.target, depth),
				headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
				body: createFolderBody(segments[depth]!)
			});
			if (isAborted(res)) return this.result('yield');
			if (isNetworkFailure(res)) return this.transient('network', null, false);
			if (res.status === 201 || res.status === 200 || res.status === 409) continue;
			const context = { status: res.status, graphCode: graphErrorCodes(parseJson(res.text))[0] ?? null, phase: 'create-folder', depth };
			return this.commonFailure(res, context, 'request-rejected');
		}
		return null;
	}

	/** Statuses handled the same way whatever was asked. */
	private commonFailure(res: HttpResponse, context: ErrorContext, otherCode: UploadErrorCode): Promise<Step> {
		const { status } = res;
		if (status === 507 || (context.graphCode === 'quotaLimitReached' && status >= 400)) {
			return this.fail('onedrive-full', context, true);
		}
		if (status === 429 || status === 503) {
			return this.transient(`http-${status}`, retryAfterMs(res.headers, this.ports.clock.now()), false);
		}
		if (status >= 500) return this.transient(`http-${status}`, null, true);
		if (status === 403) return this.fail('access-denied', context, true);
		if (status === 404) return this.fail('folder-not-found', context, false);
		return this.fail(otherCode, context, true);
	}

	/** GET the upload URL: where does the session stand? */
	private async querySession(): Promise<Step> {
		const s = this.s!;
		const session = s.session!;
		const res = await this.send({ method: 'GET', url: session.uploadUrl, headers: {} });
		if (isAborted(res)) return this.result('yield');
		if (isNetworkFailure(res)) return this.transient('network', null, false);
		if (res.status === 404) {
			if (s.finalSentAt !== null || this.resumedFromStore) {
				// Checking needs a Graph token; without one, wait rather than upload it all again.
				const token = await this.token(false);
				if (typeof token !== 'string') return token;
				const found = await this.findFinishedItem(token, true);
				if (found === 'aborted') return this.result('yield');
				if (found === 'found') return null;
				if (found === 'unknown') return this.transient('network', null, false);
				if (found === 'no-bytes') return this.pauseFor('needs-file');
			}
			this.resumedFromStore = false;
			return this.restartSession('session-not-found');
		}
		if (res.status === 401) return this.restartSession('upload-url-expired');
		const body = parseJson(res.text);
		const context = { status: res.status, graphCode: graphErrorCodes(body)[0] ?? null };
		if (res.status !== 200) return this.commonFailure(res, context, 'unexpected-response');
		const expiresAt = expirationOf(body);
		// A URL can outlive its stated expiry (ODB); an expiry already past just means "unknown".
		session.expiresAt = expiresAt !== null && expiresAt > this.ports.clock.now() ? expiresAt : null;
		const next = firstMissingByte(body);
		if (typeof next === 'number') {
			if (next > s.size) return this.fail('unexpected-response', { ...context, nextExpected: next }, true);
			const moved = await this.realignTo(next);
			if (moved) return moved;
		}
		this.positionKnown = true;
		await this.save();
		return null;
	}

	/**
	 * The final fragment was sent but its answer was lost and the session is gone: the file may
	 * well be complete, perhaps under a name OneDrive changed ("clip 1.mp4" after a rename). Look
	 * in the target folder for an item of this size whose QuickXorHash is the file's, before
	 * uploading anything again. An item of the right size and name whose hash OneDrive has not
	 * filled in yet is taken to verification, which asks for the hash again.
	 */
	private async findFinishedItem(token: string, abortable: boolean): Promise<'found' | 'absent' | 'unknown' | 'aborted' | 'no-bytes'> {
		const s = this.s!;
		const full = this.hasher.clone();
		try {
			for (let a = s.acknowledged; a < s.size; a += REALIGN_CHUNK) {
				full.update(await this.readRange(a, Math.min(s.size, a + REALIGN_CHUNK)));
			}
		} catch (e) {
			// Without the file, the check cannot tell; uploading again could make a second copy.
			return e instanceof BytesNotHereError ? 'no-bytes' : 'absent';
		}
		const digest = full.digest();
		const headers = { Authorization: `Bearer ${token}` };
		let candidate: UploadedItem | null = null;
		let url: string | null = s.replaceItemId
			? `${itemUrl(s.graphBaseUrl, s.target.driveId ?? null, s.replaceItemId)}?$select=${ITEM_FIELDS}`
			: childrenUrl(s.graphBaseUrl, s.target, ITEM_FIELDS);
		for (let page = 0; url && page < this.options.maxListingPages; page++) {
			const res = await this.send({ method: 'GET', url, headers }, abortable);
			if (isAborted(res)) return 'aborted';
			if (isNetworkFailure(res) || res.status >= 500 || res.status === 429) return 'unknown';
			if (res.status !== 200) return 'absent';
			const body = parseJson(res.text) as { value?: unknown; '@odata.nextLink'?: unknown } | null;
			const entries = Array.isArray(body?.value) ? body.value : [body];
			for (const entry of entries) {
				const item = parseUploadedItem(entry);
				if (!item || item.size !== s.size) continue;
				if (item.quickXorHash === digest) {
					candidate = item;
					url = null;
					break;
				}
				if (!item.quickXorHash && !candidate && (s.replaceItemId === item.id || sameUploadName(s.name, item.name))) {
					candidate = item;
				}
			}
			if (url) url = typeof body?.['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : null;
		}
		if (!candidate) return 'absent';
		this.hasher = full;
		s.acknowledged = s.size;
		s.session = null;
		s.item = candidate;
		this.emitProgress();
		await this.setStatus('verifying');
		return 'found';
	}

	private async restartSession(reason: SessionRestartReason): Promise<Step> {
		const s = this.s!;
		if (reason !== 'session-age') {
			if (s.sessionRestarts >= this.options.maxSessionRestarts) {
				return this.fail('session-lost-repeatedly', { restarts: s.sessionRestarts, reason }, true);
			}
			s.sessionRestarts++;
		}
		const old = s.session;
		const discardedBytes = s.acknowledged;
		this.dropSession();
		await this.save();
		this.emit({ type: 'session-restarted', jobId: s.id, reason, discardedBytes });
		this.emitProgress();
		// Free the old session's bytes on OneDrive; whether that works does not matter here.
		if (old && reason === 'session-age') await this.send({ method: 'DELETE', url: old.uploadUrl, headers: {} }, false);
		return null;
	}

	// ---- fragments -----------------------------------------------------------------------------

	private async sendFragment(ctx: SliceContext): Promise<Step> {
		const s = this.s!;
		const session = s.session!;
		const start = s.acknowledged;
		let fragment: Buffered | Streamed;
		try {
			const end = fragmentEnd(s.plan, start, s.size);
			fragment = this.ports.bytes.blob ? await this.streamedAt(start, end) : await this.fragmentAt(start, end);
		} catch (e) {
			return this.unreadable(e, start);
		}
		const end = fragment.end;
		const length = end - start;
		// Reading the bytes took time: a command may have arrived meanwhile. Nothing starts then.
		if (this.stopping) return this.result('yield');
		if ('bytes' in fragment) {
			this.current = fragment;
			this.startPrefetch(end);
		}
		if (end === s.size && s.finalSentAt === null) {
			// Stored before the last fragment leaves, so that an engine started after a kill can
			// tell "OneDrive has it all" from "send it all again", and makes no second copy.
			s.finalSentAt = this.ports.clock.now();
			// Refused for want of room, it goes out all the same: an engine that starts from an
			// older stored state looks for the finished file before uploading again (querySession).
			await this.save();
		}
		ctx.fragments++;
		if (end === s.size) {
			try {
				ctx.bounds.onLastFragment?.();
			} catch {
				// The host's bookkeeping must not break an upload.
			}
		}
		const started = this.ports.clock.now();
		const pending = this.send({
			method: 'PUT',
			url: session.uploadUrl,
			headers: { 'Content-Length': String(length), 'Content-Range': contentRange(start, end, s.size) },
			body: 'bytes' in fragment ? fragment.bytes : fragment.blob,
			timeoutMs: requestTimeoutMs(s.plan, length)
		});
		// Hash while the bytes travel; it only counts once OneDrive acknowledges them.
		const hashing: Promise<QuickXorHash | { failed: unknown }> =
			'bytes' in fragment
				? Promise.resolve(this.hasher.clone().update(fragment.bytes))
				: this.hashFrom(this.hasher.clone(), start, end).catch((failed: unknown) => ({ failed }));
		const res = await pending;
		const elapsed = this.ports.clock.now() - started;
		const tentative = await hashing;
		if (!(tentative instanceof QuickXorHash)) {
			// The bytes could not be read back to hash them (the file changed or went, and no kept
			// piece has them): whatever OneDrive kept of them, the session says so next time, and
			// the hash catches up then from wherever the bytes are.
			this.positionKnown = false;
			if (isNetworkFailure(res) && res.reason === 'aborted') return this.result('yield');
			return this.unreadable(tentative.failed, start);
		}
		if (isNetworkFailure(res)) {
			// Whatever OneDrive kept of this fragment, the session will say before the next one.
			this.positionKnown = false;
			if (res.reason === 'aborted') return this.result('yield');
			if (res.reason === 'timeout') {
				s.plan = recordFragmentTimeout(s.plan, length, elapsed);
				return this.transient('timeout', null, false);
			}
			return this.transient('network', null, true);
		}
		const body = parseJson(res.text);
		const context = { status: res.status, graphCode: graphErrorCodes(body)[0] ?? null, start, end };
		switch (res.status) {
			case 202: {
				session.expiresAt = expirationOf(body) ?? session.expiresAt;
				const next = firstMissingByte(body);
				if (next === undefined || next === null || next === end) {
					this.hasher = tentative;
					s.acknowledged = end;
					s.plan = recordFragmentSuccess(s.plan, length, elapsed);
				} else if (next > start && next < end) {
					// Only a prefix was kept (a cut connection can do this): resend from there.
					if ('bytes' in fragment) this.hasher.update(fragment.bytes.subarray(0, next - start));
					else {
						try {
							this.hasher = await this.hashFrom(this.hasher.clone(), start, next);
						} catch (e) {
							this.positionKnown = false;
							return this.unreadable(e, start);
						}
					}
					s.acknowledged = next;
					s.plan = recordFragmentFailure(s.plan);
					this.emit({ type: 'realigned', jobId: s.id, from: end, to: next });
				} else if (next > s.size) {
					return this.fail('unexpected-response', { ...context, nextExpected: next }, true);
				} else {
					// Nothing kept, or OneDrive lost bytes it had acknowledged: go back, but count it,
					// so a server that keeps doing this cannot hold the job in a loop.
					const moved = await this.realignTo(next);
					if (moved) return moved;
					return this.countAttempt('no-progress', { ...context, nextExpected: next });
				}
				s.attempt = 0;
				s.notBefore = null;
				s.autoRetries = 0;
				// Written while the next fragment travels: an engine that starts from this state
				// a fragment behind asks the session where it stands and hashes its way forward.
				this.saveBehind();
				this.emitProgress();
				return this.tooSlowForSession();
			}
			case 200:
			case 201: {
				const item = parseUploadedItem(body);
				if (end !== s.size || !item) return this.fail('unexpected-response', context, true);
				this.hasher = tentative;
				s.acknowledged = end;
				s.plan = recordFragmentSuccess(s.plan, length, elapsed);
				s.session = null;
				s.item = item;
				s.attempt = 0;
				s.notBefore = null;
				this.releaseBuffers();
				this.emitProgress();
				await this.setStatus('verifying');
				return null;
			}
			case 416:
				// OneDrive already has (some of) these bytes: ask where it stands and send only the rest.
				this.positionKnown = false;
				return this.countAttempt('http-416', context);
			case 404:
				return this.restartSession('session-not-found');
			case 401:
				return this.restartSession('upload-url-expired');
			case 409:
				return this.toConflict({ ...context, conflictBehavior: s.conflictBehavior });
			default:
				if (res.status >= 500) this.positionKnown = false;
				return this.commonFailure(res, context, 'fragment-rejected');
		}
	}

	/** Bytes from `start` on could not be read: wait for the file when they are not here, else fail in words. */
	private unreadable(e: unknown, start: number): Promise<Step> {
		if (e instanceof BytesNotHereError) return this.pauseFor('needs-file');
		return this.fail('file-unreadable', { start, detail: e instanceof Error ? e.message : String(e) }, true);
	}

	/** A Blob for [start, end) from a ByteSource that has them. */
	private async streamedAt(start: number, end: number): Promise<Streamed> {
		const blob = await this.ports.bytes.blob!(start, end);
		if (blob.size !== end - start) throw new Error(`short read: ${blob.size} of ${end - start} bytes`);
		return { start, end, blob };
	}

	/** `hasher` carried over bytes [from, to), read a step at a time (rejects as the ByteSource does). */
	private async hashFrom(hasher: QuickXorHash, from: number, to: number): Promise<QuickXorHash> {
		const source = this.ports.bytes;
		for (let a = from; a < to; a += HASH_STEP) {
			const b = Math.min(to, a + HASH_STEP);
			const cur = this.current;
			if (!source.readInto || (cur && cur.start <= a && b <= cur.end)) {
				hasher.update(await this.readRange(a, b));
				continue;
			}
			// Taken while in use, given back after: a read that fails leaves none (it may have been
			// transferred), and the next step makes a new one.
			const buffer = this.scratch ?? new ArrayBuffer(HASH_STEP);
			this.scratch = null;
			const bytes = await source.readInto(a, b, buffer);
			if (bytes.length !== b - a) throw new Error(`short read: ${bytes.length} of ${b - a} bytes`);
			hasher.update(bytes);
			if (bytes.buffer.byteLength === HASH_STEP) this.scratch = bytes.buffer as ArrayBuffer;
		}
		return hasher;
	}

	/** Bytes for [start, end), from the prefetch when it lines up; its own end may differ. */
	private async fragmentAt(start: number, end: number): Promise<Buffered> {
		const pre = this.prefetch;
		this.prefetch = null;
		if (pre && pre.start === start) {
			const bytes = await pre.promise;
			if (bytes && bytes.length === pre.end - pre.start) {
				// The plan may have changed since the prefetch was sized; both sizes are valid fragments.
				return end < pre.end
					? { start, end, bytes: bytes.subarray(0, end - start) }
					: { start, end: pre.end, bytes };
			}
		}
		const bytes = await this.ports.bytes.read(start, end);
		if (bytes.length !== end - start) throw new Error(`short read: ${bytes.length} of ${end - start} bytes`);
		return { start, end, bytes };
	}

	private startPrefetch(from: number): void {
		const s = this.s!;
		if (from >= s.size) return;
		const end = fragmentEnd(s.plan, from, s.size);
		const promise = this.ports.bytes.read(from, end).then(
			(b) => b,
			() => null
		);
		this.prefetch = { start: from, end, promise };
	}

	/** Any cached bytes covering [a, b), else a read from the ByteSource. */
	private async readRange(a: number, b: number): Promise<Uint8Array> {
		const cur = this.current;
		if (cur && cur.start <= a && b <= cur.end) return cur.bytes.subarray(a - cur.start, b - cur.start);
		const bytes = await this.ports.bytes.read(a, b);
		if (bytes.length !== b - a) throw new Error(`short read: ${bytes.length} of ${b - a} bytes`);
		return bytes;
	}

	/** Moves the acknowledged offset to what the server says, carrying the hash along. */
	private async realignTo(next: number): Promise<Step> {
		const s = this.s!;
		const from = s.acknowledged;
		if (next === from) return null;
		const untouched = this.hasher.clone();
		try {
			if (next > from) {
				for (let a = from; a < next; a += REALIGN_CHUNK) {
					this.hasher.update(await this.readRange(a, Math.min(next, a + REALIGN_CHUNK)));
				}
			} else {
				for (let b = from; b > next; b -= REALIGN_CHUNK) {
					this.hasher.retract(await this.readRange(Math.max(next, b - REALIGN_CHUNK), b));
				}
			}
		} catch (e) {
			if (e instanceof BytesNotHereError) {
				// Nothing moved: the hash still covers exactly [0, acknowledged). Wait for the file.
				this.hasher = untouched;
				return this.pauseFor('needs-file');
			}
			// The hash no longer matches any offset we can trust: start over from byte 0.
			this.resetBytes();
			this.dropSession();
			await this.save();
			return this.fail('file-unreadable', { at: next, detail: e instanceof Error ? e.message : String(e) }, true);
		}
		s.acknowledged = next;
		this.prefetch = null;
		this.emit({ type: 'realigned', jobId: s.id, from, to: next });
		this.emitProgress();
		return null;
	}

	// ---- verification --------------------------------------------------------------------------

	private async verifyStep(ctx: SliceContext): Promise<Step> {
		const s = this.s!;
		const item = s.item;
		if (!item) return this.fail('unexpected-response', { phase: 'verifying-without-item' }, true);
		const computed = this.hasher.digest();
		if (item.size >= 0 && item.size !== s.size) {
			return this.verificationFailed('size-mismatch', { expected: s.size, reported: item.size });
		}
		if (item.quickXorHash) {
			if (item.quickXorHash !== computed) {
				return this.verificationFailed('hash-mismatch', { expected: computed, reported: item.quickXorHash });
			}
			return this.finish(true, computed);
		}
		// OneDrive may fill hashes in a little later (onedrive-graph.md §4.3): ask a few times.
		const delays = this.options.verifyLookupDelaysMs;
		if (s.verifyLookups >= delays.length) return this.finish(false, computed);
		if (s.notBefore === null) {
			s.notBefore = this.ports.clock.now() + (delays[s.verifyLookups] ?? 0);
			await this.save();
		}
		const waiting = await this.waitTurn(ctx);
		if (waiting) return waiting;
		const token = await this.peekToken();
		if (token === null) {
			// Nobody can ask OneDrive now; the bytes are there and acknowledged. Say it is unverified.
			return this.finish(false, computed);
		}
		const res = await this.send({
			method: 'GET',
			url: `${itemUrl(s.graphBaseUrl, item.driveId, item.id)}?$select=${ITEM_FIELDS}`,
			headers: { Authorization: `Bearer ${token}` }
		});
		if (isAborted(res)) return this.result('yield');
		s.verifyLookups++;
		s.notBefore = null;
		if (!isNetworkFailure(res) && res.status === 200) {
			const fresh = parseUploadedItem(parseJson(res.text));
			if (fresh) s.item = { ...item, ...fresh, driveId: fresh.driveId ?? item.driveId };
		}
		await this.save();
		return null;
	}

	private async verificationFailed(code: 'hash-mismatch' | 'size-mismatch', context: ErrorContext): Promise<Step> {
		const s = this.s!;
		// The retry overwrites the bad copy rather than adding "name 1.mp4" beside it.
		s.replaceItemId = s.item?.id ?? null;
		s.item = null;
		s.verifyLookups = 0;
		this.dropSession();
		s.mismatches++;
		return this.fail(code, { ...context, itemId: s.replaceItemId }, true);
	}

	private async finish(verified: boolean, quickXorHash: string): Promise<Step> {
		const s = this.s!;
		s.verified = verified;
		s.notBefore = null;
		this.emit({ type: 'verified', jobId: s.id, quickXorHash, verified });
		await this.setStatus('done');
		return this.result('done');
	}

	// ---- failures ------------------------------------------------------------------------------

	/** A failure worth retrying after a wait: Retry-After when known, else backoff with full jitter. */
	private async transient(cause: string, retryAfter: number | null, shrink: boolean): Promise<Step> {
		const s = this.s!;
		if ((cause === 'network' || cause === 'timeout') && !this.ports.connectivity.isOnline()) return this.pauseFor('offline');
		s.attempt++;
		if (s.attempt > this.options.maxAttempts) {
			return this.fail('retries-exhausted', { cause, attempts: s.attempt - 1, acknowledged: s.acknowledged }, true);
		}
		if (shrink) s.plan = recordFragmentFailure(s.plan);
		const delayMs = retryAfter ?? backoffMs(s.attempt, this.ports.random);
		s.notBefore = this.ports.clock.now() + delayMs;
		await this.save();
		this.emit({ type: 'retry-scheduled', jobId: s.id, attempt: s.attempt, delayMs, cause });
		return null;
	}

	/** A failure that is retried at once but still counts towards maxAttempts (416 loops). */
	private async countAttempt(cause: string, context: ErrorContext): Promise<Step> {
		const s = this.s!;
		s.attempt++;
		if (s.attempt > this.options.maxAttempts) {
			return this.fail('retries-exhausted', { ...context, cause, attempts: s.attempt - 1 }, true);
		}
		await this.save();
		return null;
	}

	private async fail(code: UploadErrorCode, context: ErrorContext, retryable: boolean): Promise<Step> {
		const s = this.s!;
		const now = this.ports.clock.now();
		const error = new UploadError(code, context, retryable).toInfo(now);
		s.notBefore = null;
		s.autoRetryAt = null;
		const allowed = AUTO_RETRIES[code] ?? 0;
		const used = code === 'hash-mismatch' || code === 'size-mismatch' ? s.mismatches - 1 : s.autoRetries;
		if (used < allowed) {
			s.autoRetryAt = now + autoRetryDelayMs(s.autoRetries, this.ports.random);
			s.autoRetries++;
		}
		await this.setStatus('error', { error });
		return this.result('stopped');
	}

	/**
	 * At the measured speed, could this file ever finish inside one session's lifetime? If not,
	 * say so now instead of starting over from byte 0 every day.
	 */
	private tooSlowForSession(): Promise<Step> | null {
		const s = this.s!;
		const rate = s.plan.bytesPerSecond;
		if (!rate || (s.plan.samples ?? 0) < this.options.minSamplesForTooSlow) return null;
		const usable = this.options.sessionHardLimitMs - this.options.sessionSafetyMarginMs;
		const neededMs = (s.size * 1000) / rate;
		if (neededMs <= usable) return null;
		return this.fail('connection-too-slow', { bytesPerSecond: Math.round(rate), hoursNeeded: Math.ceil(neededMs / 3_600_000) }, true);
	}

	private async toConflict(context: ErrorContext): Promise<Step> {
		const error = new UploadError('name-conflict', context, true).toInfo(this.ports.clock.now());
		await this.setStatus('conflict', { error });
		return this.result('stopped');
	}

	private async pauseFor(reason: PauseReason): Promise<Step> {
		this.positionKnown = false;
		await this.setStatus('paused', { pause: reason });
		return this.result('stopped');
	}

	/** A token for a step that needs one; otherwise the step that was taken (pause, or a retry later). */
	private async token(forceRefresh: boolean): Promise<string | Step> {
		let result;
		try {
			result = await this.ports.tokens.getToken({ forceRefresh });
		} catch {
			return this.transient('token-source', null, false);
		}
		if (result.kind === 'token') return result.accessToken;
		return this.pauseFor(result.kind === 'no-page' ? 'needs-page' : 'needs-sign-in');
	}

	/** A token if one is to be had right now, without changing the job's state. */
	private async peekToken(): Promise<string | null> {
		try {
			const result = await this.ports.tokens.getToken({ forceRefresh: false });
			return result.kind === 'token' ? result.accessToken : null;
		} catch {
			return null;
		}
	}

	// ---- state ---------------------------------------------------------------------------------

	private async load(): Promise<UploadJobState> {
		if (this.s) return this.s;
		const stored = await this.ports.store.load();
		if (!isUploadJobState(stored)) throw new UploadError('invalid-job', { found: stored === undefined ? 'nothing' : 'corrupt' });
		if (stored.size !== this.ports.bytes.size) {
			throw new UploadError('invalid-job', { size: stored.size, bytes: this.ports.bytes.size });
		}
		this.adopt(withDefaults(copy(stored)));
		this.resumedFromStore = true;
		return this.s!;
	}

	private adopt(state: UploadJobState): void {
		this.s = state;
		this.hasher = QuickXorHash.fromState(state.hash);
		this.positionKnown = false;
	}

	private async setStatus(to: UploadStatus, details: Parameters<typeof transition>[3] = {}): Promise<void> {
		const from = this.s!.status;
		this.s = transition(this.s!, to, this.ports.clock.now(), details);
		if (to === 'done' || to === 'cancelled') this.releaseBuffers();
		await this.save();
		const s = this.s;
		this.emit({ type: 'state-changed', jobId: s.id, from, to, pause: s.pause, error: s.error });
	}

	/**
	 * Writes the state held here. When the browser has no room, the state stays ahead in memory
	 * (the stored one lags, which a later engine resumes from: OneDrive's session says how far it
	 * really got) and the next save writes it; the upload goes on meanwhile.
	 */
	private save(): Promise<void> {
		return this.write();
	}

	/**
	 * Starts writing the state as it is now and goes on without waiting for it. Writes keep their
	 * order, every `save()` waits for those before it, and a slice ends only once all are done
	 * (settleWrites); a write that fails is thrown from there.
	 */
	private saveBehind(): void {
		this.write().catch((error: unknown) => {
			this.writeError ??= error;
		});
	}

	/** Queues a write of the state as it is at this instant (a copy, with the hash it has now). */
	private write(): Promise<void> {
		const s = this.s!;
		s.hash = this.hasher.toState();
		s.updatedAt = this.ports.clock.now();
		const snapshot = copy(s);
		const written = this.writes.then(async () => {
			if (this.writeError) throw this.writeError;
			try {
				await this.ports.store.save(snapshot);
				this.unsaved = false;
			} catch (error) {
				if (!(error instanceof StorageFullError)) throw error;
				this.unsaved = true;
			}
		});
		this.writes = written.catch(() => undefined);
		return written;
	}

	/** Waits for every write started; throws the first one that failed (once). */
	private async settleWrites(): Promise<void> {
		await this.writes;
		const error = this.writeError;
		this.writeError = null;
		if (error) throw error;
	}

	/** True while the state held here is ahead of the stored one (a save was refused for room). */
	get hasUnsavedState(): boolean {
		return this.unsaved;
	}

	/** Tries the refused save again; true once the stored state matches the one held here. */
	flush(): Promise<boolean> {
		return this.exclusive(async () => {
			if (this.unsaved && this.s) await this.save();
			return !this.unsaved;
		});
	}

	/** Forget the session and every acknowledged byte (a new session starts from 0). */
	private dropSession(): void {
		this.s!.session = null;
		this.resetBytes();
	}

	private resetBytes(): void {
		const s = this.s!;
		s.acknowledged = 0;
		s.finalSentAt = null;
		this.hasher = new QuickXorHash();
		this.positionKnown = true;
		this.releaseBuffers();
	}

	private releaseBuffers(): void {
		this.current = null;
		this.prefetch = null;
		this.scratch = null;
	}

	/**
	 * Sends one request. An abortable one is not even started while a command waits or the owner
	 * let go, and is abandoned the moment either happens (answering 'aborted').
	 */
	private async send(request: HttpRequest, abortable = true): Promise<HttpResponse | NetworkFailure> {
		if (abortable && this.stopping) return ABORTED;
		const controller = abortable ? new AbortController() : null;
		if (controller) this.inFlight = controller;
		try {
			const res = await this.ports.transport.send(request, controller?.signal);
			return controller?.signal.aborted ? ABORTED : res;
		} catch (e) {
			if (controller?.signal.aborted) return ABORTED;
			return { kind: 'network-failure', reason: 'connection', detail: e instanceof Error ? e.message : String(e) };
		} finally {
			if (this.inFlight === controller) this.inFlight = null;
		}
	}

	private emit(event: UploadEvent): void {
		try {
			this.ports.events.emit(event);
		} catch {
			// A broken listener must not break an upload.
		}
	}

	private emitProgress(): void {
		const s = this.s!;
		this.emit({
			type: 'progress',
			jobId: s.id,
			acknowledged: s.acknowledged,
			total: s.size,
			bytesPerSecond: s.plan.bytesPerSecond
		});
	}

	private result(outcome: 'done' | 'yield' | 'stopped'): SliceResult {
		// A stopped job may wait for days: it keeps no fragment in memory meanwhile.
		if (outcome !== 'yield' || this.halted) this.releaseBuffers();
		return { outcome, state: copy(this.s!) };
	}
}

function copy<T>(value: T): T {
	return JSON.parse(JSON.stringify(value)) as T;
}
