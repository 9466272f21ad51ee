/**
 * The Reeldrive account signed in on this page (Supabase Auth). Signing out also removes this
 * browser's Microsoft tokens, so the next person to sign in here cannot use them.
 *
 * Supabase's client and everything behind it (the services, the upload machinery) load only
 * when a session may exist: one is stored in this browser, someone signs in or up, or another
 * tab signs in. A first visit shows the sign-in form without them.
 */
import type { AuthError, Session } from '@supabase/supabase-js';
import { mayHoldSession, SESSION_STORAGE_KEY } from '$lib/auth/stored-session';
import { AppError } from '$lib/errors';
import type { Services } from '$lib/services';

export interface AppUser {
	id: string;
	email: string;
}

export type SessionStatus = 'loading' | 'signed-out' | 'signed-in';

type Listener = (user: AppUser | null) => void | Promise<void>;

/** What the session needs of the window: its storage, and word when another tab changes it. */
export interface SessionWindow {
	readonly localStorage?: Storage;
	addEventListener(type: 'storage', listener: (event: StorageEvent) => void): void;
}

export class SessionManager {
	status = $state<SessionStatus>('loading');
	user = $state<AppUser | null>(null);

	#services: Services | undefined;
	#listeners: Listener[] = [];
	#started = false;

	/** Runs `listener` whenever the signed-in user changes (including to nobody). */
	onUserChange(listener: Listener): () => void {
		this.#listeners.push(listener);
		return () => {
			this.#listeners = this.#listeners.filter((entry) => entry !== listener);
		};
	}

	/**
	 * `load` builds the services (and starts what depends on them); it runs once, when first
	 * needed. `target` is the window whose storage and `storage` events say whether a session
	 * exists here.
	 */
	async start(load: () => Promise<Services>, target: SessionWindow = window): Promise<void> {
		if (this.#started) return;
		this.#started = true;
		this.#load = load;
		let storage: Storage | undefined;
		try {
			storage = target.localStorage;
		} catch {
			storage = undefined;
		}
		if (mayHoldSession(storage)) {
			await this.#connect().catch(() => {
				if (this.status === 'loading') this.status = 'signed-out';
			});
			return;
		}
		this.status = 'signed-out';
		// Another tab signing in writes the session here: follow it, as Supabase's client would.
		target.addEventListener('storage', (event) => {
			if (event.key === SESSION_STORAGE_KEY && event.newValue !== null) void this.#connect().catch(() => {});
		});
	}

	#load: (() => Promise<Services>) | undefined;
	#connecting: Promise<Services> | undefined;

	/** Loads the services once, adopts the stored session and follows Supabase's auth events. */
	#connect(): Promise<Services> {
		if (!this.#load) return Promise.reject(new Error('SessionManager.start() was not called.'));
		this.#connecting ??= this.#connectNow(this.#load).catch((error: unknown) => {
			this.#connecting = undefined;
			throw error;
		});
		return this.#connecting;
	}

	async #connectNow(load: () => Promise<Services>): Promise<Services> {
		const services = await load();
		this.#services = services;
		const { data } = await services.supabase.auth.getSession();
		await this.#apply(data.session).catch(() => {
			// Not handed over: nobody is signed in here until signing in again succeeds.
			if (this.status === 'loading') this.status = 'signed-out';
		});
		services.supabase.auth.onAuthStateChange((event, session) => {
			// Runs outside the auth lock: Supabase warns against awaiting its calls in here.
			// A failure is reported by the sign-in that caused the event.
			if (event === 'SIGNED_IN' || event === 'SIGNED_OUT' || event === 'USER_UPDATED') {
				setTimeout(() => void this.#apply(session).catch(() => {}), 0);
			}
		});
		return services;
	}

	#applying: Promise<void> = Promise.resolve();
	#notifying: Promise<void> = Promise.resolve();
	#generation = 0;

	/**
	 * Changes of user are applied one at a time, in order. The change itself is quick; listeners
	 * then run one after another, and those of a change already superseded are skipped, so no
	 * listener acts on a stale user and a slow one never holds up signing out. A change that
	 * fails (this browser's Microsoft sign-in could not be handed over) is reported to whoever
	 * asked for it, so signing in says why instead of quietly staying on the form.
	 */
	#apply(session: Session | null): Promise<void> {
		const applied = this.#applying.then(() => this.#applyNow(session));
		this.#applying = applied.catch(() => {});
		return applied;
	}

	async #applyNow(session: Session | null): Promise<void> {
		const next = session?.user ? { id: session.user.id, email: session.user.email ?? '' } : null;
		if (next?.id === this.user?.id && this.status !== 'loading') return;
		if (next) await this.#services?.microsoft.bindToAppUser(next.id);
		this.user = next;
		this.status = next ? 'signed-in' : 'signed-out';
		const generation = ++this.#generation;
		this.#notifying = this.#notifying
			.then(async () => {
				for (const listener of this.#listeners) {
					if (generation !== this.#generation) return;
					await listener(next);
				}
			})
			.catch(() => {});
	}

	async #auth() {
		try {
			return (await this.#connect()).supabase.auth;
		} catch (error) {
			if (error instanceof AppError) throw error;
			// The app's own code could not be fetched: offline on a first visit.
			throw new AppError('network-unreachable', { service: 'Reeldrive' }, error);
		}
	}

	async #authError(error: AuthError): Promise<AppError> {
		const { fromAuthError } = await import('$lib/supabase/errors');
		return fromAuthError(error);
	}

	async signIn(email: string, password: string): Promise<void> {
		const auth = await this.#auth();
		const { data, error } = await auth.signInWithPassword({ email: email.trim(), password });
		if (error) throw await this.#authError(error);
		await this.#apply(data.session);
	}

	async signUp(email: string, password: string): Promise<void> {
		const auth = await this.#auth();
		const { data, error } = await auth.signUp({ email: email.trim(), password });
		if (error) throw await this.#authError(error);
		// Supabase answers an existing confirmed email with a user that has no identities.
		if (data.user && data.user.identities?.length === 0) throw new AppError('app-email-taken');
		if (!data.session) throw new AppError('app-auth-failed', { detail: 'confirm your email, then sign in' });
		await this.#apply(data.session);
	}

	async signOut(): Promise<void> {
		// Nobody can be signed in before the services have loaded.
		if (!this.#services) return this.#apply(null);
		// Microsoft tokens go first, so that even a failed sign-out leaves none behind.
		await this.#services.microsoft.releaseAppUser();
		const { error } = await this.#services.supabase.auth.signOut({ scope: 'local' });
		if (error) throw await this.#authError(error);
		await this.#apply(null);
	}
}

export const session = new SessionManager();
