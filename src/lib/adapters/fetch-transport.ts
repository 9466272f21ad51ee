import type { HttpRequest, HttpResponse, NetworkFailure, Transport } from '$lib/upload';

/**
 * The upload core's Transport over fetch. It sends exactly the headers it is given (fetch
 * derives Content-Length from the body and refuses it as a header), and turns every failure
 * without an HTTP status into a NetworkFailure.
 */
export class FetchTransport implements Transport {
	constructor(
		private readonly options: {
			fetch?: typeof fetch;
			isOnline?: () => boolean;
			/** A request that takes longer than this is abandoned as a timeout. */
			timeoutMs?: number;
		} = {}
	) {}

	async send(request: HttpRequest, signal?: AbortSignal): Promise<HttpResponse | NetworkFailure> {
		const headers = { ...request.headers };
		for (const name of Object.keys(headers)) if (name.toLowerCase() === 'content-length') delete headers[name];
		const doFetch = this.options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
		const timeoutMs = request.timeoutMs ?? this.options.timeoutMs ?? 300_000;
		if (signal?.aborted) return { kind: 'network-failure', reason: 'aborted' };
		// One controller for both ends: the caller's abort (Pause, Cancel, sign-out) and the timeout.
		const controller = new AbortController();
		let timedOut = false;
		const timer = setTimeout(() => {
			timedOut = true;
			controller.abort();
		}, timeoutMs);
		const onAbort = () => controller.abort();
		signal?.addEventListener('abort', onAbort);
		try {
			const response = await doFetch(request.url, {
				method: request.method,
				headers,
				body: request.body as BodyInit | undefined,
				// Upload URLs carry their own credential: never send cookies or cached credentials.
				credentials: 'omit',
				// Reads are never answered from a cache. Writes are never cached anyway, and 'no-store'
				// on them would also bypass Chromium's CORS preflight cache: one OPTIONS round trip
				// more before every fragment (103 → 64 ms between fragments at 40 ms RTT).
				cache: request.method === 'GET' ? 'no-store' : 'default',
				signal: controller.signal
			});
			const responseHeaders: Record<string, string> = {};
			response.headers.forEach((value, name) => {
				responseHeaders[name.toLowerCase()] = value;
			});
			return { status: response.status, headers: responseHeaders, text: await response.text() };
		} catch (error) {
			if (timedOut) return { kind: 'network-failure', reason: 'timeout' };
			if (signal?.aborted) return { kind: 'network-failure', reason: 'aborted' };
			const online = this.options.isOnline?.() ?? true;
			return {
				kind: 'network-failure',
				reason: online ? 'connection' : 'offline',
				detail: error instanceof Error ? error.message : String(error)
			};
		} finally {
			clearTimeout(timer);
			signal?.removeEventListener('abort', onAbort);
		}
	}
}
