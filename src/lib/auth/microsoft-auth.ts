/**
 * Microsoft sign-in for OneDrive, on the page only (MSAL cannot run in a service worker).
 * Tokens live in MSAL's browser cache and nowhere else. The cache belongs to the Reeldrive user
 * who connected: when another app user signs in on this browser, it is wiped first, so nobody can
 * use someone else's Microsoft account.
 *
 * MSAL itself arrives through `loadMsal` (an import() in the composition root) the first time
 * it is needed, so the pages a visitor sees before signing in never download it.
 */
import type * as Msal from '@azure/msal-browser';
import type { AccountInfo, PublicClientApplication } from '@azure/msal-browser';
import { AppError } from '$lib/errors';
import type { PublicConfig } from '$lib/config';
import { SilentReconnect, type KnownAccount } from './silent-reconnect';

export type MsalModule = typeof Msal;
export type { KnownAccount };

export const OWNER_KEY = 'reeldrive.microsoft.owner';
/** sessionStorage: a one-click reconnect is under way (its prompt=none leg left this tab). */
export const RECONNECT_KEY = 'reeldrive.microsoft.reconnect';
/**
 * How long a silent sign-in may take before the app stops waiting and asks the person: MSAL's own
 * default for its hidden iframe, which is also given to MSAL so the frame goes away then.
 */
export const SILENT_SIGN_IN_TIMEOUT_MS = 10_000;

/** MSAL and identity-platform error codes after which only an interactive sign-in helps. */
const SILENT_RENEWAL_IMPOSSIBLE = new Set([
	'invalid_grant',
	'interaction_required',
	'login_required',
	'consent_required',
	'refresh_token_expired',
	'no_tokens_found',
	'token_refresh_required',
	'bad_token'
]);

export interface RedirectOutcome {
	account: MicrosoftAccount | null;
	error: AppError | null;
	/** A reconnect's prompt=none leg found no Microsoft session: this tab is on its way to the sign-in page. */
	continuing?: boolean;
}

interface PendingReconnect {
	loginHint: string;
	startPage: string;
}

export interface MicrosoftAuthOptions {
	/** Where a one-click reconnect remembers itself across its redirect (default: sessionStorage). */
	pendingStorage?: Storage;
	silentTimeoutMs?: number;
	online?: () => boolean;
	sleep?: (ms: number) => { done: Promise<void>; cancel(): void };
}

function sleep(ms: number): { done: Promise<void>; cancel(): void } {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const done = new Promise<void>((resolve) => {
		timer = setTimeout(resolve, ms);
	});
	return { done, cancel: () => clearTimeout(timer) };
}

export interface MicrosoftAccount {
	homeAccountId: string;
	/** The object id of the user in their tenant (Graph's user id). */
	localAccountId: string;
	tenantId: string;
	username: string;
	name: string;
}

function toAccount(info: AccountInfo): MicrosoftAccount {
	return {
		homeAccountId: info.homeAccountId,
		localAccountId: info.localAccountId,
		tenantId: info.tenantId,
		username: info.username,
		name: info.name ?? info.username
	};
}

/** Turns MSAL's errors into Reeldrive's codes (`msal`: the loaded library, once it is). */
export function toAppError(error: unknown, msal?: MsalModule): AppError {
	if (error instanceof AppError) return error;
	if (msal && error instanceof msal.InteractionRequiredAuthError) {
		return new AppError('microsoft-reauth-required', { detail: error.errorCode }, error);
	}
	if (msal && error instanceof msal.AuthError) {
		const code = error.errorCode;
		const text = `${code} ${error.errorMessage}`;
		if (code === 'user_cancelled' || /access_denied.*cancel|AADSTS50058/i.test(text)) {
			return new AppError('microsoft-sign-in-cancelled', {}, error);
		}
		if (/access_denied|consent_required|AADSTS65004|AADSTS65001/i.test(text)) {
			return new AppError('microsoft-consent-refused', {}, error);
		}
		if (code === 'popup_window_error' || code === 'empty_window_error') {
			return new AppError('microsoft-popup-blocked', {}, error);
		}
		if (code === 'no_network_connectivity' || code === 'endpoints_resolution_error' || /network/i.test(code)) {
			return new AppError('network-unreachable', { service: 'Microsoft sign-in' }, error);
		}
		if (code === 'no_account_error' || code === 'no_tokens_found' || code === 'monitor_window_timeout') {
			return new AppError('microsoft-reauth-required', { detail: code }, error);
		}
		return new AppError('microsoft-sign-in-failed', { detail: code }, error);
	}
	if (error instanceof TypeError) return new AppError('network-unreachable', { service: 'Microsoft sign-in' }, error);
	return new AppError('microsoft-sign-in-failed', {}, error);
}

export class MicrosoftAuth {
	readonly #config: PublicConfig['microsoft'];
	readonly #loadMsal: () => Promise<MsalModule>;
	readonly #storage: Storage;
	/** Set once MSAL is loaded; `account()` answers from it without waiting. */
	#client: PublicClientApplication | undefined;
	#module: MsalModule | undefined;
	#ready: Promise<void> | undefined;
	#redirectOutcome: RedirectOutcome | null = null;
	readonly #options: MicrosoftAuthOptions;
	/** The account the connection row names, which a silent sign-in may restore; null: none. */
	#known: KnownAccount | null = null;
	readonly #silent: SilentReconnect<MicrosoftAccount>;
	readonly #silentListeners = new Set<(account: MicrosoftAccount) => void>();

	constructor(
		config: PublicConfig['microsoft'],
		loadMsal: () => Promise<MsalModule>,
		storage: Storage = localStorage,
		options: MicrosoftAuthOptions = {}
	) {
		this.#config = config;
		this.#loadMsal = loadMsal;
		this.#storage = storage;
		this.#options = options;
		this.#silent = new SilentReconnect<MicrosoftAccount>({
			signIn: (loginHint) => this.#ssoSilent(loginHint),
			adopt: (account) => {
				const info = this.#client?.getAccount({ homeAccountId: account.homeAccountId });
				if (info) this.#client!.setActiveAccount(info);
			},
			discard: async (account) => {
				const info = this.#client?.getAccount({ homeAccountId: account.homeAccountId });
				if (info) await this.#client!.clearCache({ account: info });
			},
			sleep: options.sleep ?? sleep,
			online: options.online ?? (() => typeof navigator === 'undefined' || navigator.onLine),
			timeoutMs: options.silentTimeoutMs ?? SILENT_SIGN_IN_TIMEOUT_MS,
			onSignedIn: (account) => {
				for (const listener of this.#silentListeners) listener(account);
			}
		});
	}

	/**
	 * Loads MSAL and completes a redirect sign-in if this page load is the return from one. It
	 * never throws for a failed sign-in: that outcome waits in `takeRedirectOutcome()`. If MSAL
	 * cannot be loaded (offline before it was ever cached), it throws, and the next call tries again.
	 */
	initialize(): Promise<void> {
		this.#ready ??= (async () => {
			const module = await this.#loadMsal();
			const msal = new module.PublicClientApplication({
				auth: {
					clientId: this.#config.clientId,
					authority: this.#config.authority,
					knownAuthorities: this.#config.knownAuthorities,
					authorityMetadata: this.#config.authorityMetadata || undefined,
					redirectUri: this.#config.redirectUri,
					postLogoutRedirectUri: null
				},
				// localStorage, so every tab (and the token broker for uploads) shares one sign-in.
				cache: { cacheLocation: 'localStorage' },
				system: { iframeBridgeTimeout: this.#options.silentTimeoutMs ?? SILENT_SIGN_IN_TIMEOUT_MS }
			});
			await msal.initialize();
			this.#module = module;
			this.#client = msal;
			const reconnecting = this.#takePendingReconnect();
			try {
				const result = await msal.handleRedirectPromise();
				if (result?.account) msal.setActiveAccount(result.account);
				this.#redirectOutcome = { account: result?.account ? toAccount(result.account) : null, error: null };
			} catch (error) {
				if (reconnecting && error instanceof module.InteractionRequiredAuthError) {
					// The reconnect's prompt=none leg found no Microsoft session (login_required) or
					// needs the person (interaction_required, consent_required): that is the click's
					// expected second half, not an error. Go on to the sign-in page for the same account.
					this.#redirectOutcome = { account: null, error: null, continuing: true };
					try {
						await msal.loginRedirect({
							scopes: this.#config.scopes,
							loginHint: reconnecting.loginHint,
							redirectStartPage: reconnecting.startPage
						});
					} catch (redirectError) {
						this.#redirectOutcome = { account: null, error: toAppError(redirectError, module) };
					}
					return;
				}
				this.#redirectOutcome = { account: null, error: toAppError(error, module) };
			}
		})().catch((error: unknown) => {
			this.#ready = undefined;
			throw toAppError(error, this.#module);
		});
		return this.#ready;
	}

	/** MSAL, initialized: loaded on first use. */
	async #msal(): Promise<{ msal: PublicClientApplication; module: MsalModule }> {
		await this.initialize();
		return { msal: this.#client!, module: this.#module! };
	}

	/** What the return from a redirect sign-in brought, once; null when this load was not one. */
	takeRedirectOutcome(): RedirectOutcome | null {
		const outcome = this.#redirectOutcome;
		this.#redirectOutcome = null;
		return outcome && (outcome.account || outcome.error || outcome.continuing) ? outcome : null;
	}

	#pendingStorage(): Storage | undefined {
		return this.#options.pendingStorage ?? (typeof sessionStorage === 'undefined' ? undefined : sessionStorage);
	}

	/** The reconnect this tab started before leaving for Microsoft, if any; read once. */
	#takePendingReconnect(): PendingReconnect | null {
		const storage = this.#pendingStorage();
		const raw = storage?.getItem(RECONNECT_KEY);
		if (!raw) return null;
		storage!.removeItem(RECONNECT_KEY);
		try {
			const value = JSON.parse(raw) as Partial<PendingReconnect>;
			return typeof value.loginHint === 'string' && typeof value.startPage === 'string' ? { loginHint: value.loginHint, startPage: value.startPage } : null;
		} catch {
			return null;
		}
	}

	/**
	 * Names the Microsoft account this user connected (from the connection row), which a silent
	 * sign-in may restore; null when there is none, or the person disconnected on purpose.
	 */
	expectAccount(known: KnownAccount | null): void {
		this.#known = known;
	}

	/** Calls `listener` with each account a silent sign-in restored. */
	onSilentSignIn(listener: (account: MicrosoftAccount) => void): () => void {
		this.#silentListeners.add(listener);
		return () => this.#silentListeners.delete(listener);
	}

	/**
	 * The known account, signed in: the one in MSAL's cache if this browser holds it, else one
	 * silent sign-in for it (see silent-reconnect.ts). Null when none is known, or Microsoft needs
	 * the person; never throws.
	 */
	async reconnectSilently(): Promise<MicrosoftAccount | null> {
		const known = this.#known;
		if (!known) return null;
		try {
			const { msal } = await this.#msal();
			const cached = msal.getAccount({ localAccountId: known.localAccountId });
			if (cached) {
				if (msal.getActiveAccount()?.homeAccountId !== cached.homeAccountId) msal.setActiveAccount(cached);
				return toAccount(cached);
			}
		} catch {
			return null;
		}
		return this.#recover();
	}

	/** One silent sign-in for the known account (at most one per page load). */
	async #recover(): Promise<MicrosoftAccount | null> {
		const known = this.#known;
		if (!known) return null;
		const outcome = await this.#silent.run(known);
		return outcome.kind === 'signed-in' ? outcome.account : null;
	}

	/** MSAL's ssoSilent with a login_hint; the caller checks whose account came back. */
	async #ssoSilent(loginHint: string): Promise<MicrosoftAccount> {
		const { msal, module } = await this.#msal();
		try {
			const result = await msal.ssoSilent({ scopes: this.#config.scopes, loginHint });
			if (!result.account) throw new AppError('microsoft-reauth-required', { detail: 'no account in the answer' });
			return toAccount(result.account);
		} catch (error) {
			throw toAppError(error, module);
		}
	}

	/**
	 * Ties this browser's Microsoft cache to an app user. If another app user connected here
	 * before, their Microsoft accounts are removed first.
	 */
	async bindToAppUser(appUserId: string): Promise<void> {
		const owner = this.#storage.getItem(OWNER_KEY);
		// Only another user's tokens need MSAL (to remove them): signing in loads nothing more.
		if (owner && owner !== appUserId) await this.#clearAll();
		this.#storage.setItem(OWNER_KEY, appUserId);
	}

	/** On app sign-out: this browser forgets every Microsoft account and token. */
	async releaseAppUser(): Promise<void> {
		await this.#clearAll();
		this.#storage.removeItem(OWNER_KEY);
	}

	account(): MicrosoftAccount | null {
		const msal = this.#client;
		if (!msal) return null;
		const info = msal.getActiveAccount() ?? msal.getAllAccounts()[0] ?? null;
		return info ? toAccount(info) : null;
	}

	/**
	 * "Reconnect OneDrive": one click, for the account the person already connected. A top-level
	 * redirect with prompt=none comes straight back signed in while Microsoft keeps a session for
	 * the account (the hidden iframe cannot reach that session where the browser blocks
	 * third-party cookies; a top-level page can). Without one it comes back with login_required,
	 * and `initialize()` goes on to the sign-in page for the same account: no account picker.
	 */
	async reconnect(loginHint: string): Promise<void> {
		const { msal, module } = await this.#msal();
		const pending = this.#pendingStorage();
		pending?.setItem(RECONNECT_KEY, JSON.stringify({ loginHint, startPage: location.href } satisfies PendingReconnect));
		try {
			await msal.loginRedirect({ scopes: this.#config.scopes, prompt: 'none', loginHint, redirectStartPage: location.href });
		} catch (error) {
			pending?.removeItem(RECONNECT_KEY);
			throw toAppError(error, module);
		}
	}

	/** Starts Microsoft sign-in. A redirect leaves the page; a popup resolves with the account. */
	async connect(options: { mode: 'redirect' | 'popup'; loginHint?: string }): Promise<MicrosoftAccount | null> {
		const { msal, module } = await this.#msal();
		const request = {
			scopes: this.#config.scopes,
			prompt: 'select_account',
			loginHint: options.loginHint
		};
		try {
			if (options.mode === 'redirect') {
				// Come back to the page that started the sign-in (Settings, or wherever it was asked).
				await msal.loginRedirect({ ...request, redirectStartPage: location.href });
				return null;
			}
			const result = await msal.loginPopup(request);
			if (!result.account) return null;
			msal.setActiveAccount(result.account);
			return toAccount(result.account);
		} catch (error) {
			throw toAppError(error, module);
		}
	}

	/**
	 * A Graph access token without any prompt: from the cache, renewed with the refresh token, or,
	 * when this browser holds no usable sign-in for the known account, from one silent sign-in.
	 * When all of that fails (no Microsoft session, revoked, consent withdrawn) it throws
	 * `microsoft-reauth-required` and never starts an interactive sign-in by itself.
	 */
	async getAccessToken(options: { forceRefresh?: boolean } = {}): Promise<string> {
		const { msal, module } = await this.#msal();
		let account = msal.getActiveAccount() ?? msal.getAllAccounts()[0];
		if (!account) {
			// No Microsoft sign-in in this browser (it was restarted, say): the known account,
			// silently, before anyone is asked.
			const recovered = await this.#recover();
			const info = recovered && msal.getAccount({ homeAccountId: recovered.homeAccountId });
			if (!info) throw new AppError(this.#known ? 'microsoft-reauth-required' : 'microsoft-not-connected');
			account = info;
		}
		try {
			return await this.#acquire(msal, module, account, options.forceRefresh ?? false);
		} catch (error) {
			// A refresh Microsoft refuses (24 hours after sign-in, revoked, consent withdrawn):
			// Microsoft's own session may still sign the known account in without the person.
			if (!(error instanceof AppError && error.code === 'microsoft-reauth-required')) throw error;
			if (account.localAccountId !== this.#known?.localAccountId) throw error;
			const recovered = await this.#recover();
			const info = recovered && msal.getAccount({ homeAccountId: recovered.homeAccountId });
			if (!info) throw error;
			return this.#acquire(msal, module, info, false);
		}
	}

	async #acquire(msal: PublicClientApplication, module: MsalModule, account: AccountInfo, forceRefresh: boolean): Promise<string> {
		try {
			// From the cache or with the refresh token, never a hidden iframe here: MSAL would try one
			// on every failed refresh, while the silent sign-in above runs once per page load.
			const result = await msal.acquireTokenSilent({
				account,
				scopes: this.#config.scopes,
				forceRefresh,
				cacheLookupPolicy: forceRefresh ? module.CacheLookupPolicy.RefreshToken : module.CacheLookupPolicy.AccessTokenAndRefreshToken
			});
			return result.accessToken;
		} catch (error) {
			if (error instanceof module.BrowserAuthError && error.errorCode === 'no_network_connectivity') {
				throw new AppError('network-unreachable', { service: 'Microsoft sign-in' }, error);
			}
			if (error instanceof module.AuthError && SILENT_RENEWAL_IMPOSSIBLE.has(error.errorCode)) {
				throw new AppError('microsoft-reauth-required', { detail: error.errorCode }, error);
			}
			throw toAppError(error, module);
		}
	}

	/** Removes the connected account's tokens from this browser; nothing else is touched. */
	async disconnect(): Promise<void> {
		await this.#clearAll();
	}

	async #clearAll(): Promise<void> {
		const { msal } = await this.#msal();
		for (const account of msal.getAllAccounts()) await msal.clearCache({ account });
		await msal.clearCache();
		msal.setActiveAccount(null);
	}
}
