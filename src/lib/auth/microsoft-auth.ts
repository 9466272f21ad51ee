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

export type MsalModule = typeof Msal;

export const OWNER_KEY = 'reeldrive.microsoft.owner';

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

	constructor(config: PublicConfig['microsoft'], loadMsal: () => Promise<MsalModule>, storage: Storage = localStorage) {
		this.#config = config;
		this.#loadMsal = loadMsal;
		this.#storage = storage;
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
				cache: { cacheLocation: 'localStorage' }
			});
			await msal.initialize();
			this.#module = module;
			this.#client = msal;
			try {
				const result = await msal.handleRedirectPromise();
				if (result?.account) msal.setActiveAccount(result.account);
				this.#redirectOutcome = { account: result?.account ? toAccount(result.account) : null, error: null };
			} catch (error) {
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
		return outcome && (outcome.account || outcome.error) ? outcome : null;
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
	 * A Graph access token without any prompt: from the cache, or renewed with the refresh token.
	 * When that is impossible (expired, revoked, consent withdrawn) it throws
	 * `microsoft-reauth-required` and never starts an interactive sign-in by itself.
	 */
	async getAccessToken(options: { forceRefresh?: boolean } = {}): Promise<string> {
		const { msal, module } = await this.#msal();
		const account = msal.getActiveAccount() ?? msal.getAllAccounts()[0];
		if (!account) throw new AppError('microsoft-not-connected');
		try {
			// Renew with the refresh token only, never a hidden iframe: iframe renewal depends on
			// third-party cookies that browsers block, and hangs for seconds before failing.
			const result = await msal.acquireTokenSilent({
				account,
				scopes: this.#config.scopes,
				forceRefresh: options.forceRefresh ?? false,
				cacheLookupPolicy: options.forceRefresh
					? module.CacheLookupPolicy.RefreshToken
					: module.CacheLookupPolicy.AccessTokenAndRefreshToken
			});
			return result.accessToken;
		} catch (error) {
			if (error instanceof module.BrowserAuthError && error.errorCode === 'no_network_connectivity') {
				throw new AppError('network-unreachable', { service: 'Microsoft sign-in' }, error);
			}
			// A refresh that Microsoft refuses (expired after 24 hours, revoked, consent withdrawn)
			// needs the person; nothing silent can fix it.
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
