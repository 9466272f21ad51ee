/**
 * The upload scheduler: the only thing that starts slices. It runs the signed-in person's jobs,
 * a few at a time (a job whose last fragment travels makes room for the next), each under an
 * exclusive hold (a Web Lock per job), with one engine per job while it holds it. Commands
 * (Pause, Resume, Cancel, Retry, conflict choices) are queued in the ledger and applied by
 * whoever holds the job, between fragments; Pause and Cancel abandon the PUT in flight at once. Sign-out halts every job of the person who left before it returns.
 *
 * It knows no platform: time, storage, locks, connectivity and engines come in as dependencies,
 * so the service worker (and a page without one) run the same code the tests do.
 */
import type { JobLedger } from '$lib/db/job-ledger';
import type { ActiveUser, UploadRecord } from '$lib/db/reeldrive-db';
import type { UploadCommand } from '$lib/sw-bridge/protocol';
import { UploadError, type Clock, type UploadCore, type UploadJobState } from '$lib/upload';
import { jobLockName, type JobLocks } from './job-locks';

export interface SchedulerDeps {
	clock: Clock;
	ledger: JobLedger;
	locks: JobLocks;
	isOnline: () => boolean;
	/** Whether a page that can lend a Microsoft token is open (jobs waiting for one are runnable then). */
	pagePresent: () => Promise<boolean>;
	/** A fresh engine over the job's stored state and bytes; rejects when the bytes are gone. */
	engineFor: (record: UploadRecord) => Promise<UploadCore>;
	/** Tells other contexts that a command waits for a job they may hold. */
	announceCommand?: (jobId: string) => void;
	/** Jobs run at once. */
	parallel?: number;
	/** The longest single slice: short, so new jobs and the deadline are looked at often. */
	sliceMs?: number;
}

/** Where a job stands for the scheduler. */
export type Readiness =
	| { kind: 'ready' }
	| { kind: 'due'; at: number }
	| { kind: 'waiting-network' }
	| { kind: 'waiting-page' }
	| { kind: 'waiting-person' }
	| { kind: 'finished' };

/**
 * `signInChanged`: a page just announced its Microsoft account, so jobs that waited for the person
 * to reconnect get one try; otherwise they wait (a token Microsoft refused stays refused).
 */
export function readiness(state: UploadJobState, now: number, online: boolean, pagePresent: boolean, signInChanged = false, fileBack = false): Readiness {
	switch (state.status) {
		case 'done':
		case 'cancelled':
			return { kind: 'finished' };
		case 'queued':
		case 'uploading':
		case 'verifying':
			return state.notBefore !== null && state.notBefore > now ? { kind: 'due', at: state.notBefore } : { kind: 'ready' };
		case 'paused':
			if (state.pause === 'offline') return online ? { kind: 'ready' } : { kind: 'waiting-network' };
			// Only an open page can lend a token (and show the reconnect button).
			if (state.pause === 'needs-page') return pagePresent ? { kind: 'ready' } : { kind: 'waiting-page' };
			if (state.pause === 'needs-sign-in') return pagePresent && signInChanged ? { kind: 'ready' } : { kind: 'waiting-person' };
			// The rest of the file must be given back (picked again, or an open page that has it).
			if (state.pause === 'needs-file') return fileBack ? { kind: 'ready' } : { kind: 'waiting-person' };
			return { kind: 'waiting-person' };
		case 'error':
			if (state.autoRetryAt === null || state.autoRetryAt === undefined) return { kind: 'waiting-person' };
			if (!online) return { kind: 'waiting-network' };
			return state.autoRetryAt > now ? { kind: 'due', at: state.autoRetryAt } : { kind: 'ready' };
		case 'conflict':
			return { kind: 'waiting-person' };
	}
}

export interface PumpReport {
	/** Some job acknowledged bytes or changed state in this pump. */
	progressed: boolean;
	/** Jobs that could run right now (the budget ran out before them). */
	readyNow: number;
	/** The soonest time a job waiting out a backoff or an automatic retry is due, or null. */
	dueAt: number | null;
	waitingForNetwork: number;
	/** Jobs that wait for an open page ("Open Reeldrive to continue"): never a reason to re-arm a sync. */
	waitingForPage: number;
}

interface Owner {
	jobId: string;
	appUserId: string;
	engine: UploadCore | null;
	halted: boolean;
	/** Commands are applied one batch after another. */
	applying: Promise<void>;
}

const PARALLEL = 2;
const SLICE_MS = 20_000;
/** A backoff shorter than this is slept out inside the pump rather than handed back. */
const SHORT_WAIT_MS = 10_000;
/** How often a state the browser had no room for is offered to storage again. */
const STORAGE_FULL_RETRY_MS = 2_000;
/** Stop starting work this long before the pump's deadline. */
const DEADLINE_MARGIN_MS = 1_000;

export class UploadScheduler {
	readonly #deps: SchedulerDeps;
	readonly #owners = new Map<string, Owner>();
	#user: ActiveUser | null | undefined;
	/** Counts pages announcing a Microsoft account; a pump retries jobs that waited for a reconnect once per count. */
	#signInEpoch = 0;
	#signInEpochTried = 0;
	/** Jobs waiting for their file whose bytes came back since (a page gave the file again). */
	readonly #filesBack = new Set<string>();
	#pumping: Promise<PumpReport> | null = null;
	#pumpAgain = false;

	constructor(deps: SchedulerDeps) {
		this.#deps = deps;
	}

	/** Jobs this context runs now (for tests and the chaos run). */
	runningJobs(): string[] {
		return [...this.#owners.values()].filter((owner) => owner.engine && !owner.halted).map((owner) => owner.jobId);
	}

	async activeUser(): Promise<ActiveUser | null> {
		this.#user ??= await this.#deps.ledger.activeUser();
		return this.#user;
	}

	/**
	 * Records who is signed in here. Every running job of anybody else is halted before this
	 * resolves: its PUT in flight is abandoned and no request of it starts afterwards.
	 */
	async setActiveUser(user: ActiveUser | null): Promise<void> {
		if (user?.microsoftAccountId) this.#signInEpoch++;
		this.#user = user;
		await this.#deps.ledger.setActiveUser(user);
		const leaving = [...this.#owners.values()].filter((owner) => owner.appUserId !== user?.appUserId);
		await Promise.all(leaving.map((owner) => this.#halt(owner)));
	}

	async #halt(owner: Owner): Promise<void> {
		owner.halted = true;
		await owner.engine?.halt();
	}

	/**
	 * Runs uploads until `budgetMs` from now. Calls while one runs join it (and make it look for
	 * work again when it ends).
	 */
	pump(budgetMs: number): Promise<PumpReport> {
		if (this.#pumping) {
			this.#pumpAgain = true;
			return this.#pumping;
		}
		const run = (async () => {
			const deadline = this.#deps.clock.now() + budgetMs;
			let report: PumpReport;
			let progressed = false;
			do {
				this.#pumpAgain = false;
				const epoch = this.#signInEpoch;
				report = await this.#run(deadline);
				// One try per announcement (a newer one during this run gets its own).
				this.#signInEpochTried = Math.max(this.#signInEpochTried, epoch);
				progressed ||= report.progressed;
			} while (this.#pumpAgain && this.#deps.clock.now() < deadline - DEADLINE_MARGIN_MS);
			return { ...report, progressed };
		})().finally(() => {
			this.#pumping = null;
		});
		this.#pumping = run;
		return run;
	}

	/** The person's jobs with where each stands. */
	async #survey(): Promise<{ record: UploadRecord; readiness: Readiness }[]> {
		const user = await this.activeUser();
		if (!user) return [];
		const [records, pagePresent] = await Promise.all([this.#deps.ledger.forUser(user.appUserId), this.#deps.pagePresent()]);
		const now = this.#deps.clock.now();
		const online = this.#deps.isOnline();
		const signInChanged = this.#signInEpoch > this.#signInEpochTried;
		return records.map((record) => ({ record, readiness: readiness(record.state, now, online, pagePresent, signInChanged, this.#filesBack.has(record.id)) }));
	}

	async #run(deadline: number): Promise<PumpReport> {
		const { clock } = this.#deps;
		/** Jobs this pump is done with: held elsewhere, or stopped until something changes. */
		const skip = new Set<string>();
		let progressed = false;
		// Jobs whose lane went to the next job while their last fragment travels.
		const finishing: Promise<void>[] = [];
		const lane = async () => {
			// This lane's job that is finishing beside the current one.
			let tail: Promise<void> | null = null;
			while (clock.now() < deadline - DEADLINE_MARGIN_MS) {
				const survey = (await this.#survey()).filter(({ record }) => !skip.has(record.id) && !this.#owners.has(record.id));
				const ready = survey.find(({ readiness }) => readiness.kind === 'ready');
				if (!ready) {
					const soonest = Math.min(...survey.map(({ readiness }) => (readiness.kind === 'due' ? readiness.at : Infinity)));
					if (!Number.isFinite(soonest) || soonest >= deadline - DEADLINE_MARGIN_MS) return;
					await clock.sleep(Math.max(0, Math.min(soonest - clock.now(), 5_000)));
					continue;
				}
				// Once its last fragment travels, a job frees its lane: the next job opens its session
				// and sends while that answer comes back, so the line does not idle between videos.
				// A lane has at most one job finishing beside its current one, so at most twice
				// `parallel` jobs run, and only while the older ones wait for their last answer.
				let freeLane = () => {};
				const laneFree = new Promise<void>((resolve) => (freeLane = resolve));
				const run = this.#runHeld(ready.record, deadline, () => freeLane())
					.catch(() => {
						// Storage refused a write, or the job vanished mid-run (cancelled elsewhere): its
						// saved state is still the last good one, so a later pump takes it from there.
						return { progressed: false, again: false };
					})
					.then((outcome) => {
						if (outcome.progressed) progressed = true;
						if (!outcome.again) skip.add(ready.record.id);
					});
				await Promise.race([run, laneFree]);
				finishing.push(run);
				if (tail) await tail;
				tail = run;
			}
		};
		await Promise.all(Array.from({ length: this.#deps.parallel ?? PARALLEL }, lane));
		await Promise.all(finishing);

		const after = await this.#survey();
		const count = (kind: Readiness['kind']) => after.filter(({ record, readiness }) => readiness.kind === kind && !this.#owners.has(record.id)).length;
		const due = after.map(({ readiness }) => (readiness.kind === 'due' ? readiness.at : Infinity));
		const dueAt = Math.min(...due);
		return {
			progressed,
			readyNow: count('ready'),
			dueAt: Number.isFinite(dueAt) ? dueAt : null,
			waitingForNetwork: count('waiting-network'),
			waitingForPage: count('waiting-page')
		};
	}

	/**
	 * Holds the job (or leaves it to whoever holds it) and runs it until it stops, the deadline
	 * comes, or it is halted. `again`: the job may want more of this pump.
	 */
	async #runHeld(record: UploadRecord, deadline: number, onLastFragment?: () => void): Promise<{ progressed: boolean; again: boolean }> {
		// Claimed before the first await, so no second lane or command makes a second engine.
		const owner: Owner = { jobId: record.id, appUserId: record.appUserId, engine: null, halted: false, applying: Promise.resolve() };
		this.#owners.set(record.id, owner);
		this.#filesBack.delete(record.id);
		let release: (() => void) | null = null;
		try {
			release = await this.#deps.locks.tryAcquire(jobLockName(record.id));
			if (!release) return { progressed: false, again: false };
			try {
				owner.engine = await this.#deps.engineFor(record);
			} catch {
				// The bytes are gone: only a Cancel can do anything with this job.
				await this.#applyCommands(owner);
				return { progressed: false, again: false };
			}
			return await this.#drive(owner, deadline, onLastFragment);
		} finally {
			this.#owners.delete(record.id);
			release?.();
		}
	}

	async #drive(owner: Owner, deadline: number, onLastFragment?: () => void): Promise<{ progressed: boolean; again: boolean }> {
		const outcome = await this.#driveSlices(owner, deadline, onLastFragment);
		await this.#writeBehind(owner, deadline);
		return outcome;
	}

	/**
	 * With storage full, the engine goes on with a state it could not write. Before letting go of
	 * the job, that state is written as soon as there is room (pieces OneDrive acknowledged are
	 * being freed), or the next engine would start from an older one, or miss a Pause.
	 */
	async #writeBehind(owner: Owner, deadline: number): Promise<void> {
		const { clock } = this.#deps;
		const engine = owner.engine!;
		while (engine.hasUnsavedState && !owner.halted && clock.now() < deadline - DEADLINE_MARGIN_MS) {
			await clock.sleep(STORAGE_FULL_RETRY_MS);
			if (await engine.flush()) return;
		}
	}

	async #driveSlices(owner: Owner, deadline: number, onLastFragment?: () => void): Promise<{ progressed: boolean; again: boolean }> {
		const { clock, ledger } = this.#deps;
		const engine = owner.engine!;
		let progressed = false;
		const start = await engine.state();
		let before = start;
		while (!owner.halted && clock.now() < deadline - DEADLINE_MARGIN_MS) {
			await this.#applyCommands(owner);
			if (owner.halted) break;
			const current = await engine.state();
			if (current.status === 'error' && current.autoRetryAt !== null) {
				if (!this.#deps.isOnline() || current.autoRetryAt > clock.now()) break;
				await engine.retry('automatic');
			}
			const result = await engine.runSlice({ deadline: Math.min(deadline, clock.now() + (this.#deps.sliceMs ?? SLICE_MS)), onLastFragment });
			// Progress: bytes acknowledged, or a state unlike the one the job started this turn in
			// (not a round trip back to the same pause, which would only keep pages pumping).
			const moved = result.state.status !== start.status || result.state.pause !== start.pause;
			if (result.state.acknowledged > before.acknowledged || (moved && result.state.status !== before.status)) progressed = true;
			before = result.state;
			if (result.outcome === 'yield') continue;
			if (result.outcome === 'wait') {
				const wait = result.until - clock.now();
				if (result.until < deadline - DEADLINE_MARGIN_MS && wait < SHORT_WAIT_MS) {
					await clock.sleep(Math.max(0, wait));
					continue;
				}
				return { progressed, again: true };
			}
			// Stopped or done; a command that arrived meanwhile is applied before letting go.
			await this.#applyCommands(owner);
			const latest = await ledger.get(owner.jobId);
			const resumed = latest && (latest.state.status === 'queued' || latest.state.status === 'uploading');
			return { progressed, again: !!resumed };
		}
		return { progressed, again: !owner.halted };
	}

	/** Applies the job's queued commands in order, one batch at a time. */
	#applyCommands(owner: Owner): Promise<void> {
		const next = owner.applying.then(async () => {
			const { ledger } = this.#deps;
			const queued = await ledger.commands(owner.jobId);
			if (queued.length === 0) return;
			for (const { command } of queued) {
				if (!owner.engine) {
					if (command === 'cancel') await ledger.forget(owner.jobId);
					continue;
				}
				try {
					await applyCommand(owner.engine, command);
				} catch (error) {
					// A command that no longer fits (Resume of a finished job) changes nothing.
					if (!(error instanceof UploadError)) throw error;
				}
			}
			await ledger.clearCommands(
				owner.jobId,
				queued.map((c) => c.id)
			);
		});
		owner.applying = next.catch(() => undefined);
		return next;
	}

	/**
	 * A person's command for one of their jobs. Queued in the ledger first (so it survives a
	 * crash), then applied by the owner: here at once if this context runs the job (Pause and
	 * Cancel abandon the PUT in flight), else by taking the job, else by whoever holds it.
	 */
	async command(jobId: string, command: UploadCommand): Promise<void> {
		const user = await this.activeUser();
		const running = this.#owners.get(jobId);
		if (running?.engine && running.appUserId === user?.appUserId) {
			// Running here: straight to its engine, which saves the outcome itself. Pause and Cancel
			// abandon the PUT in flight this very moment, with no storage write before it.
			await applyCommand(running.engine, command).catch((error: unknown) => {
				if (!(error instanceof UploadError)) throw error;
			});
			return;
		}
		const record = await this.#deps.ledger.get(jobId);
		if (!user || !record || record.appUserId !== user.appUserId) return;
		await this.#deps.ledger.queueCommand(jobId, command);
		const owner = this.#owners.get(jobId);
		if (owner) {
			// Running here: its engine takes the command between fragments. An owner still
			// taking the job reads the ledger before its first slice, or, if another context
			// turns out to hold the job, that context applies it.
			if (owner.engine) await this.#applyCommands(owner);
			else this.#deps.announceCommand?.(jobId);
			return;
		}
		const claimed: Owner = { jobId, appUserId: record.appUserId, engine: null, halted: false, applying: Promise.resolve() };
		this.#owners.set(jobId, claimed);
		try {
			const release = await this.#deps.locks.tryAcquire(jobLockName(jobId));
			if (!release) {
				// Another context (a page, the previous worker) holds the job: it applies the command.
				this.#deps.announceCommand?.(jobId);
				return;
			}
			try {
				claimed.engine = await this.#deps.engineFor(record).catch(() => null);
				await this.#applyCommands(claimed);
			} finally {
				release();
			}
		} finally {
			this.#owners.delete(jobId);
		}
	}

	/**
	 * The bytes of a job that waited for its file are here again (a page handed over the file):
	 * the next pump runs it. A job running here reads them on its own.
	 */
	fileReturned(jobId: string): void {
		this.#filesBack.add(jobId);
	}

	/** Another context queued a command for a job that may be running here. */
	async commandAnnounced(jobId: string): Promise<void> {
		const owner = this.#owners.get(jobId);
		if (owner?.engine) await this.#applyCommands(owner);
	}
}

function applyCommand(engine: UploadCore, command: UploadCommand): Promise<unknown> {
	switch (command) {
		case 'pause':
			return engine.pause();
		case 'resume':
			return engine.resume();
		case 'retry':
			return engine.retry('person');
		case 'keep-both':
			return engine.resolveConflict('rename');
		case 'replace':
			return engine.resolveConflict('replace');
		case 'link-existing':
			return engine.resolveDuplicate('link');
		case 'upload-anyway':
			return engine.resolveDuplicate('upload');
		case 'cancel':
			return engine.cancel();
	}
}
