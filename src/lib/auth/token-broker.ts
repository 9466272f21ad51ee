/**
 * Lends the upload worker a Microsoft token, which it needs only to start an upload session.
 * A page lends only for the person signed in here and the Microsoft account they connected;
 * for anyone else it answers "not mine" and the worker asks another page or waits. When this
 * browser holds no sign-in for the upload's account (after a restart, say), it first lets the
 * page try one silent sign-in for the connected account; only when Microsoft needs the person
 * does it say so.
 */
import { AppError } from '$lib/errors';
import type { TokenReply, TokenRequest } from '$lib/sw-bridge/protocol';

export interface TokenBrokerDeps {
	appUserId: () => string | null;
	microsoft: () => {
		account(): { localAccountId: string } | null;
		/** The connected account, signed in silently if need be (once per page load); never throws. */
		reconnectSilently(): Promise<{ localAccountId: string } | null>;
		getAccessToken(options: { forceRefresh: boolean }): Promise<string>;
	} | null;
	/** The Microsoft sign-in needs the person: let the connection state show it. */
	onReauthNeeded: () => void;
}

export async function lendToken(request: TokenRequest, deps: TokenBrokerDeps): Promise<TokenReply> {
	const microsoft = deps.microsoft();
	if (!microsoft || deps.appUserId() !== request.appUserId) return { kind: 'not-mine' };
	let account = microsoft.account();
	// The owner is signed in here, but this browser holds no Microsoft sign-in for the upload's
	// account (a restart, a disconnect): Microsoft's session may restore it without a click.
	if (account?.localAccountId !== request.microsoftAccountId) account = await microsoft.reconnectSilently();
	if (account?.localAccountId !== request.microsoftAccountId) {
		// Still none: the person must reconnect, and the job says so.
		deps.onReauthNeeded();
		return { kind: 'sign-in-required' };
	}
	try {
		return { kind: 'token', accessToken: await microsoft.getAccessToken({ forceRefresh: request.forceRefresh }) };
	} catch (error) {
		if (error instanceof AppError && (error.code === 'microsoft-reauth-required' || error.code === 'microsoft-not-connected')) {
			deps.onReauthNeeded();
			return { kind: 'sign-in-required' };
		}
		return { kind: 'not-mine' };
	}
}
