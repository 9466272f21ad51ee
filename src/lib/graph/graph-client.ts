/**
 * The official Microsoft Graph client (`@microsoft/microsoft-graph-client`), set up for
 * Reeldrive. The composition root loads this module with import() only when OneDrive is first
 * needed, so the sign-in page never downloads it. Fragment PUTs never come here: they go
 * straight from the service worker to the upload URL with plain fetch.
 *
 * The middleware chain, in order:
 * - GraphEndpoint: un-glues absolute `http://` links (the client treats only `https://` strings
 *   as absolute, so a local emulator's nextLink would be appended to the base URL) and adds the
 *   bearer token from the MSAL-backed authentication provider to requests for the Graph origin
 *   only. The client's own AuthenticationHandler would do the latter for https Graph hosts but
 *   never for the emulator's plain-http origin, so one rule here serves both. After a 401 it
 *   asks MSAL for a fresh token (refresh token, never the cache) and sends once more.
 * - RetryHandler (the client's own): 429, 503 and 504 are sent again, twice at most, after the
 *   Retry-After the service asked for, or its back-off when the header is hidden by CORS. A wait
 *   over MAX_RETRY_AFTER_SECONDS is not waited: the person is told to try again instead.
 * - FetchHandler: the injected `fetch`, so pages, tests and the emulator use the same code.
 *
 * Every failure leaves as an AppError with the codes the rest of the app already speaks.
 */
import {
	Client,
	GraphClientError,
	GraphError,
	PageIterator,
	RetryHandler,
	RetryHandlerOptions,
	type AuthenticationProvider,
	type Context,
	type Middleware,
	type PageCollection
} from '@microsoft/microsoft-graph-client';
import { AppError } from '$lib/errors';
import type { ItemCursor } from './onedrive-api';

export interface TokenSource {
	getAccessToken(options?: { forceRefresh?: boolean }): Promise<string>;
}

export interface GraphClientOptions {
	/** Graph's base URL with its version, e.g. `https://graph.microsoft.com/v1.0`. */
	baseUrl: string;
	tokens: TokenSource;
	fetch?: typeof fetch;
}

/** Retries after 429/503/504, and the longest Retry-After worth waiting for with a person watching. */
export const MAX_RETRIES = 2;
export const MAX_RETRY_AFTER_SECONDS = 30;
/** Back-off base (seconds) when the service gives no Retry-After (Graph's CORS hides it). */
const RETRY_DELAY_SECONDS = 1;

/** The Graph client's authentication provider, backed by Reeldrive's MSAL wrapper. */
export class MsalAuthenticationProvider implements AuthenticationProvider {
	readonly #tokens: TokenSource;

	constructor(tokens: TokenSource) {
		this.#tokens = tokens;
	}

	getAccessToken(): Promise<string> {
		return this.#tokens.getAccessToken();
	}

	/** A new token from the refresh token, after Graph refused the cached one. */
	refreshAccessToken(): Promise<string> {
		return this.#tokens.getAccessToken({ forceRefresh: true });
	}
}

/**
 * An AppError raised inside the chain (no token, no network) must reach the caller unchanged:
 * the client rethrows GraphClientErrors as they are, and wraps anything else in a GraphError.
 */
function carry(error: AppError): GraphClientError {
	const wrapper = new GraphClientError(error.message);
	wrapper.customError = error;
	return wrapper;
}

function requestUrl(request: RequestInfo): string {
	return typeof request === 'string' ? request : request.url;
}

/** `http://base/v1.0/http://host/v1.0/x?y` → `http://host/v1.0/x?y` (see the module comment). */
export function unglue(url: string): string {
	const path = url.split('?', 1)[0]!;
	const inner = path.slice(1).search(/\/https?:\/\//);
	return inner >= 0 ? url.slice(inner + 2) : url;
}

class GraphEndpoint implements Middleware {
	readonly #origin: string;
	readonly #auth: MsalAuthenticationProvider;
	#next: Middleware | undefined;

	constructor(graphOrigin: string, auth: MsalAuthenticationProvider) {
		this.#origin = graphOrigin;
		this.#auth = auth;
	}

	async execute(context: Context): Promise<void> {
		const url = unglue(requestUrl(context.request));
		context.request = url;
		if (new URL(url).origin !== this.#origin) {
			// Never a token for anything but Graph itself (download or upload URLs carry their own).
			await this.#send(context, null);
			return;
		}
		await this.#send(context, await this.#token(() => this.#auth.getAccessToken()));
		if (context.response?.status === 401) {
			await context.response.body?.cancel();
			await this.#send(context, await this.#token(() => this.#auth.refreshAccessToken()));
		}
	}

	async #token(get: () => Promise<string>): Promise<string> {
		try {
			return await get();
		} catch (error) {
			throw carry(error instanceof AppError ? error : new AppError('microsoft-sign-in-failed', {}, error));
		}
	}

	async #send(context: Context, token: string | null): Promise<void> {
		const options = (context.options ??= {});
		const headers = new Headers(options.headers);
		if (token) headers.set('Authorization', `Bearer ${token}`);
		else headers.delete('Authorization');
		options.headers = Object.fromEntries(headers);
		await this.#next!.execute(context);
	}

	setNext(next: Middleware): void {
		this.#next = next;
	}
}

class FetchHandler implements Middleware {
	readonly #fetch: typeof fetch;

	constructor(fetchImpl: typeof fetch) {
		this.#fetch = fetchImpl;
	}

	async execute(context: Context): Promise<void> {
		try {
			context.response = await this.#fetch(context.request, context.options);
		} catch (error) {
			throw carry(new AppError('network-unreachable', { service: 'OneDrive' }, error));
		}
	}
}

function retryAfterSeconds(response: Response): number | null {
	const header = response.headers.get('Retry-After');
	if (header === null) return null;
	const seconds = Number(header);
	if (Number.isFinite(seconds)) return seconds;
	const date = Date.parse(header);
	return Number.isFinite(date) ? (date - Date.now()) / 1000 : null;
}

/** The official client with Reeldrive's middleware chain (see the module comment). */
export function createGraphClient(options: GraphClientOptions): Client {
	const base = new URL(options.baseUrl.replace(/\/+$/, ''));
	const segments = base.pathname.split('/');
	const version = segments.pop() ?? '';
	const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
	const retries = new RetryHandlerOptions(RETRY_DELAY_SECONDS, MAX_RETRIES, (_delay, _attempt, _request, _options, response) => {
		const wait = retryAfterSeconds(response);
		return wait === null || wait <= MAX_RETRY_AFTER_SECONDS;
	});
	return Client.initWithMiddleware({
		baseUrl: `${base.origin}${segments.join('/')}`,
		defaultVersion: version,
		middleware: [
			new GraphEndpoint(base.origin, new MsalAuthenticationProvider(options.tokens)),
			new RetryHandler(retries),
			new FetchHandler(fetchImpl)
		]
	});
}

/** Turns anything the Graph client throws into Reeldrive's error codes. */
export function toAppError(error: unknown, what?: string): AppError {
	if (error instanceof AppError) return error;
	if (error instanceof GraphClientError) {
		if (error.customError instanceof AppError) return error.customError;
		return new AppError('graph-failed', { what, detail: error.message }, error);
	}
	if (!(error instanceof GraphError) || error.statusCode <= 0) {
		return new AppError('graph-failed', { what }, error);
	}
	const code = error.code ?? '';
	const context = { status: error.statusCode, graphCode: code, what };
	switch (error.statusCode) {
		case 401:
			return new AppError('graph-unauthorized', context, error);
		case 403:
			return new AppError('graph-forbidden', context, error);
		case 404:
			return new AppError('graph-not-found', context, error);
		case 409:
			return new AppError('graph-name-conflict', context, error);
		case 410:
			return new AppError('graph-resync-required', context, error);
		case 429:
			return new AppError('graph-throttled', context, error);
		case 502:
		case 503:
		case 504:
			return new AppError('graph-unavailable', context, error);
		case 400:
			if (/invalid.*name|nameContainsInvalidCharacters/i.test(`${code} ${error.message}`)) {
				return new AppError('graph-invalid-name', context, error);
			}
	}
	return new AppError('graph-failed', { ...context, detail: error.message || `HTTP ${error.statusCode}` }, error);
}

/**
 * The items of a Graph collection, a batch at a time, over as many pages as it takes: the
 * client's PageIterator follows `@odata.nextLink`, and pausing it (the callback answering
 * false) keeps its place, so "load more" carries on exactly where the last batch ended.
 */
export class GraphCursor<T> implements ItemCursor<T> {
	readonly #iterator: PageIterator;
	readonly #what: string | undefined;
	#batch: T[] = [];
	#wanted = 0;

	constructor(client: Client, first: PageCollection, toItem: (raw: unknown) => T, what?: string) {
		this.#what = what;
		this.#iterator = new PageIterator(client, first, (raw: unknown) => {
			this.#batch.push(toItem(raw));
			return this.#batch.length < this.#wanted;
		});
	}

	/** Up to `count` more items; fewer only at the end of the collection. */
	async next(count: number): Promise<T[]> {
		this.#wanted = count;
		try {
			await this.#iterator.resume();
		} catch (error) {
			// What this batch already took stays in #batch, so the next call returns it too.
			throw toAppError(error, this.#what);
		}
		const batch = this.#batch;
		this.#batch = [];
		return batch;
	}

	/** Every item has been handed out. */
	get done(): boolean {
		return this.#iterator.isComplete();
	}

	/** For a delta feed read to its end: the link that asks for the changes after it. */
	get deltaLink(): string | null {
		return this.#iterator.getDeltaLink() ?? null;
	}
}
