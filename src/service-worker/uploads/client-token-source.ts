/// <reference lib="webworker" />
/**
 * MSAL cannot run in a service worker, so a token for a new upload session is borrowed from an
 * open Reeldrive page signed in as the job's owner. With no such page the job waits.
 */
import { PROTOCOL_VERSION, type TokenReply, type TokenRequest } from '$lib/sw-bridge/protocol';
import type { TokenResult, TokenSource } from '$lib/upload';

const REPLY_TIMEOUT_MS = 15_000;

function ask(client: Client, request: TokenRequest): Promise<TokenReply | null> {
	return new Promise((resolve) => {
		const channel = new MessageChannel();
		const timer = setTimeout(() => resolve(null), REPLY_TIMEOUT_MS);
		channel.port1.onmessage = (event) => {
			clearTimeout(timer);
			resolve(event.data as TokenReply);
		};
		client.postMessage(request, [channel.port2]);
	});
}

export function clientTokenSource(
	clients: Clients,
	owner: { appUserId: string; microsoftAccountId: string }
): TokenSource {
	return {
		async getToken({ forceRefresh }): Promise<TokenResult> {
			const windows = await clients.matchAll({ type: 'window', includeUncontrolled: true });
			const request: TokenRequest = { v: PROTOCOL_VERSION, type: 'token-request', ...owner, forceRefresh };
			// Any page with a token wins; only when none has one does "sign in again" count.
			let signInRequired = false;
			for (const client of windows) {
				const reply = await ask(client, request);
				if (reply?.kind === 'token') return { kind: 'token', accessToken: reply.accessToken };
				if (reply?.kind === 'sign-in-required') signInRequired = true;
			}
			return signInRequired ? { kind: 'sign-in-required' } : { kind: 'no-page' };
		}
	};
}
