// Prints how fast the share target's streaming multipart reader gets through a 1 GiB file part
// arriving in 64 KiB chunks: random bytes (a video), a crafted body of near-delimiters (its
// worst case: the delimiter with one byte changed halfway, over and over), and random bytes
// regrouped into 10 MiB pieces with chunked().
// Run: npx tsx bench/multipart-stream.ts   (--smoke: 64 MiB)
import { chunked, readMultipart } from '../src/service-worker/multipart-stream';
import { figure, SMOKE } from './lib/results';

const MiB = 1024 * 1024;
const TOTAL = (SMOKE ? 64 : 1024) * MiB;
const CHUNK = 64 * 1024;
const BOUNDARY = '----formdata-undici-012345678901';
const encoder = new TextEncoder();

function randomChunks(): Uint8Array[] {
	// A pool reused round robin: the reader keeps no chunk, and generating 1 GiB would dominate.
	return Array.from({ length: 16 }, () => crypto.getRandomValues(new Uint8Array(CHUNK)));
}

function nearMissChunks(): Uint8Array[] {
	const chunk = new Uint8Array(CHUNK);
	const half = BOUNDARY.length / 2;
	const pattern = encoder.encode(`\r\n--${BOUNDARY.slice(0, half)}#${BOUNDARY.slice(half + 1)}`);
	for (let i = 0; i < CHUNK; i++) chunk[i] = pattern[i % pattern.length]!;
	return [chunk];
}

function body(pool: Uint8Array[]): ReadableStream<Uint8Array> {
	let sent = -1;
	return new ReadableStream<Uint8Array>({
		pull(controller) {
			if (sent === -1) controller.enqueue(encoder.encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="videos"; filename="v.mp4"\r\n\r\n`));
			else if (sent < TOTAL) controller.enqueue(pool[(sent / CHUNK) % pool.length]!);
			else if (sent === TOTAL) controller.enqueue(encoder.encode(`\r\n--${BOUNDARY}--\r\n`));
			else return controller.close();
			sent = sent === -1 ? 0 : sent + (sent < TOTAL ? CHUNK : 1);
		}
	});
}

async function run(label: string, pool: Uint8Array[], regroup: boolean): Promise<number> {
	const started = performance.now();
	let bytes = 0;
	let pieces = 0;
	for await (const part of readMultipart(body(pool), BOUNDARY)) {
		for await (const piece of regroup ? chunked(part.body, 10 * MiB) : part.body) {
			bytes += piece.length;
			pieces++;
		}
	}
	const seconds = (performance.now() - started) / 1000;
	if (bytes !== TOTAL) throw new Error(`read ${bytes} bytes, expected ${TOTAL}`);
	console.log(`${label}: ${(TOTAL / MiB / seconds).toFixed(0)} MiB/s (${TOTAL / MiB} MiB in 64 KiB chunks, ${seconds.toFixed(2)} s, ${pieces} pieces)`);
	return TOTAL / MiB / seconds;
}

const random = randomChunks();
await run('warm-up', random, false);
figure({ name: 'multipart.random', unit: 'MiB/s', runs: [await run('random bytes', random, false)], note: 'share target multipart reader, a video part in 64 KiB chunks' });
figure({ name: 'multipart.near-delimiters', unit: 'MiB/s', runs: [await run(`near-delimiters every ${BOUNDARY.length + 4} bytes`, nearMissChunks(), false)], note: 'its worst case: near-delimiters all through' });
figure({ name: 'multipart.regrouped', unit: 'MiB/s', runs: [await run('random bytes, regrouped into 10 MiB', random, true)], note: 'random bytes regrouped into 10 MiB pieces' });
