/**
 * The Reeldrive account signed in on this page (Supabase Auth). Signing out also removes this
 * browser's Microsoft tokens, so the next person to sign in here cannot use them.
 */
import type { Session } from '@supabase/supabase-js';
import { AppError } from '$lib/errors';
import type { Services } from '$lib/services';
import { fromAuthError } from '$lib/supabase/errors';

export interface AppUser {
	id: string;
	email: string;
}

export type SessionStatus = 'loading' | 'signed-out' | 'signed-in';

type Listener = (user: AppUser | null) => void | Promise<void>;

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

	async start(services: Services): Promise<void> {
		if (this.#started) return;
		this.#started = true;
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

	#auth() {
		if (!this.#services) throw new Error('SessionManager.start() was not called.');
		return this.#services.supabase.auth;
	}

	async signIn(email: string, password: string): Promise<void> {
		const { data, error } = await this.#auth().signInWithPassword({ email: email.trim(), password });
		if (error) throw fromAuthError(error);
		await this.#apply(data.session);
	}

	async signUp(email: string, password: string): Promise<void> {
		const { data, error } = await this.#auth().signUp({ email: email.trim(), password });
		if (error) throw fromAuthError(error);
		// Supabase answers an existing confirmed email with a user that has no identities.
		if (data.user && data.user.identities?.length === 0) throw new AppError('app-email-taken');
		if (!data.session) throw new AppError('app-auth-failed', { detail: 'confirm your email, then sign in' });
		await this.#apply(data.session);
	}

	async signOut(): Promise<void> {
		// Microsoft tokens go first, so that even a failed sign-out leaves none behind.
		await this.#services?.microsoft.releaseAppUser();
		const { error } = await this.#auth().signOut({ scope: 'local' });
		if (error) throw fromAuthError(error);
		await this.#apply(null);
	}
}

export const session = new SessionManager();
