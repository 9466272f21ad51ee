/**
 * ByteRangeReader over a pre-authenticated OneDrive download URL: each read is one `Range`
 * request (no Authorization header; the URL carries its own credential). A server that ignores
 * the range and answers 200 is read only as far as needed, and only for reads from the start;
 * anything else would download the whole file, so it fails instead.
 */
import type { ByteRangeReader } from '$lib/import/mp4-header';

export class HttpRangeReader implements ByteRangeReader {
	readonly #url: string;
	readonly #fetch: typeof fetch;
	readonly #signal: AbortSignal | undefined;

	constructor(url: string, options: { fetch?: typeof fetch; signal?: AbortSignal } = {}) {
		this.#url = url;
		this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
		this.#signal = options.signal;
	}

	async read(start: number, length: number): Promise<Uint8Array> {
		if (length <= 0) return new Uint8Array(0);
		const response = await this.#fetch(this.#url, {
			headers: { Range: `bytes=${start}-${start + length - 1}` },
			signal: this.#signal
		});
		if (response.status === 416) {
			await response.body?.cancel();
			return new Uint8Array(0);
		}
		if (response.status === 206) return new Uint8Array(await response.arrayBuffer()).subarray(0, length);
		if (response.status === 200 && start === 0 && response.body) return readPrefix(response.body, length);
		await response.body?.cancel();
		throw new Error(`range request answered ${response.status}`);
	}
}

async function readPrefix(body: ReadableStream<Uint8Array>, length: number): Promise<Uint8Array> {
	const out = new Uint8Array(length);
	let filled = 0;
	const reader = body.getReader();
	try {
		while (filled < length) {
			const { done, value } = await reader.read();
			if (done) break;
			const take = Math.min(value.length, length - filled);
			out.set(value.subarray(0, take), filled);
			filled += take;
		}
	} finally {
		await reader.cancel().catch(() => undefined);
	}
	return out.subarray(0, filled);
}
