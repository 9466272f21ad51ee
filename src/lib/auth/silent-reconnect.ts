/**
 * Signs the Microsoft account Reeldrive already knows (the one in the connection row) back in
 * without a click, when this browser holds no usable token for it: after a browser restart
 * (MSAL 5 keeps its cache key in a session cookie, so its tokens die with the browser), or when
 * the refresh token has run out. A single-page app's refresh tokens end 24 hours after the
 * sign-in they descend from, however often they are used, so refreshing alone never keeps a
 * daily user connected: this does. Microsoft answers a silent request (prompt=none with the
 * account as login_hint, MSAL's ssoSilent in a hidden iframe) from its own sign-in session, which
 * outlives the browser when the person answered "Stay signed in?" with Yes.
 *
 * Three rules. At most one attempt per account per page load, shared by everyone who asks while
 * it runs (Settings, a Graph call, the upload worker's token loan). No caller waits longer than
 * `timeoutMs`. And an answer for any other Microsoft account than the known one is thrown away,
 * never bound to this Reeldrive user.
 */
import { AppError } from '$lib/errors';

/** The Microsoft account the connection row names. */
export interface KnownAccount {
	/** MSAL's localAccountId (the user's object id), as recorded when the person connected. */
	localAccountId: string;
	/** The sign-in name, sent as login_hint so Microsoft picks that account from its session. */
	username: string;
}

export type SilentFailure =
	/** Microsoft has no session for the account here (or the browser did not send its cookie). */
	| 'no-session'
	/** Microsoft answered for another account: refused. */
	| 'other-account'
	| 'timed-out'
	| 'offline'
	| 'failed'
	/** This page load already spent its attempt for the account. */
	| 'already-tried';

export type SilentOutcome<A> = { kind: 'signed-in'; account: A } | { kind: 'needs-sign-in'; reason: SilentFailure };

export interface SilentReconnectPorts<A extends { localAccountId: string }> {
	/** A silent sign-in (no UI) with this login_hint: the account Microsoft signed in, or an error. */
	signIn(loginHint: string): Promise<A>;
	/** Makes the account the one tokens and Graph calls use. */
	adopt(account: A): void;
	/** Removes an account that is not the known one from this browser's cache. */
	discard(account: A): Promise<void>;
	/** Resolves after `ms` unless cancelled. */
	sleep(ms: number): { done: Promise<void>; cancel(): void };
	online(): boolean;
	timeoutMs: number;
	/** Told of each adopted account, also one that arrives after its callers stopped waiting. */
	onSignedIn?(account: A): void;
}

interface Attempt<A> {
	running: Promise<SilentOutcome<A>> | null;
	settled: SilentOutcome<A> | null;
}

export class SilentReconnect<A extends { localAccountId: string }> {
	readonly #ports: SilentReconnectPorts<A>;
	/** Per known account id: the attempt of this page load. */
	readonly #attempts = new Map<string, Attempt<A>>();

	constructor(ports: SilentReconnectPorts<A>) {
		this.#ports = ports;
	}

	/** Signs `known` in silently, or says why not; never starts a second attempt for it. */
	run(known: KnownAccount): Promise<SilentOutcome<A>> {
		const attempt = this.#attempts.get(known.localAccountId);
		if (attempt?.running) return attempt.running;
		if (attempt?.settled) {
			return Promise.resolve(attempt.settled.kind === 'signed-in' ? { kind: 'needs-sign-in', reason: 'already-tried' } : attempt.settled);
		}
		// Offline nothing can be asked, and nothing is spent: the next caller tries.
		if (!this.#ports.online()) return Promise.resolve({ kind: 'needs-sign-in', reason: 'offline' });
		const entry: Attempt<A> = { running: null, settled: null };
		this.#attempts.set(known.localAccountId, entry);
		entry.running = this.#attempt(known, entry).then((outcome) => {
			entry.running = null;
			entry.settled ??= outcome;
			// A lost connection is not an answer from Microsoft: the attempt is not spent.
			if (outcome.kind === 'needs-sign-in' && outcome.reason === 'offline') this.#attempts.delete(known.localAccountId);
			return outcome;
		});
		return entry.running;
	}

	#attempt(known: KnownAccount, entry: Attempt<A>): Promise<SilentOutcome<A>> {
		const answered = this.#ports.signIn(known.username).then(
			async (account): Promise<SilentOutcome<A>> => {
				if (account.localAccountId !== known.localAccountId) {
					// MSAL has already cached it: remove it, so nothing can use it by mistake.
					await this.#ports.discard(account).catch(() => undefined);
					return { kind: 'needs-sign-in', reason: 'other-account' };
				}
				this.#ports.adopt(account);
				// Recorded here too, so that an answer arriving after the wait ended still counts.
				entry.settled = { kind: 'signed-in', account };
				this.#ports.onSignedIn?.(account);
				return entry.settled;
			},
			(error: unknown): SilentOutcome<A> => ({ kind: 'needs-sign-in', reason: failureOf(error) })
		);
		const timer = this.#ports.sleep(this.#ports.timeoutMs);
		const timedOut = timer.done.then((): SilentOutcome<A> => ({ kind: 'needs-sign-in', reason: 'timed-out' }));
		return Promise.race([answered, timedOut]).finally(() => timer.cancel());
	}
}

function failureOf(error: unknown): SilentFailure {
	if (error instanceof AppError) {
		if (error.code === 'microsoft-reauth-required' || error.code === 'microsoft-sign-in-cancelled') return 'no-session';
		if (error.code === 'network-unreachable') return 'offline';
	}
	return 'failed';
}
