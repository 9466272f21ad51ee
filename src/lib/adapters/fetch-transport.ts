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

	async send(request: HttpRequest): Promise<HttpResponse | NetworkFailure> {
		const headers = { ...request.headers };
		for (const name of Object.keys(headers)) if (name.toLowerCase() === 'content-length') delete headers[name];
		const doFetch = this.options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
		const timeoutMs = this.options.timeoutMs ?? 300_000;
		try {
			const response = await doFetch(request.url, {
				method: request.method,
				headers,
				body: request.body as BodyInit | undefined,
				// Upload URLs carry their own credential: never send cookies or cached credentials.
				credentials: 'omit',
				cache: 'no-store',
				signal: AbortSignal.timeout(timeoutMs)
			});
			const responseHeaders: Record<string, string> = {};
			response.headers.forEach((value, name) => {
				responseHeaders[name.toLowerCase()] = value;
			});
			return { status: response.status, headers: responseHeaders, text: await response.text() };
		} catch (error) {
			const name = (error as { name?: string } | null)?.name;
			if (name === 'TimeoutError') return { kind: 'network-failure', reason: 'timeout' };
			const online = this.options.isOnline?.() ?? true;
			return {
				kind: 'network-failure',
				reason: online ? 'connection' : 'offline',
				detail: error instanceof Error ? error.message : String(error)
			};
		}
	}
}
