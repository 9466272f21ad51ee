// Prints QuickXorHash throughput over 256 MiB fed in 10 MiB chunks (the default fragment size).
// Run: npx tsx bench/quickxorhash.ts   (--smoke: 32 MiB)
import { QuickXorHash } from '../src/lib/upload/quickxorhash';
import { figure, SMOKE } from './lib/results';

const MiB = 1024 * 1024;
const TOTAL = (SMOKE ? 32 : 256) * MiB;
const CHUNK = 10 * MiB;

const chunk = new Uint8Array(CHUNK);
for (let i = 0; i < CHUNK; i++) chunk[i] = (i * 2654435761) >>> 24;

function run(label: string, offset: number): number {
	// An offset shifts the chunk within its buffer, so odd-aligned input takes the byte path.
	const backing = new Uint8Array(CHUNK + 4);
	backing.set(chunk, offset);
	const view = backing.subarray(offset, offset + CHUNK);
	const hash = new QuickXorHash();
	const started = performance.now();
	for (let done = 0; done < TOTAL; done += CHUNK) hash.update(view.subarray(0, Math.min(CHUNK, TOTAL - done)));
	const digest = hash.digest();
	const seconds = (performance.now() - started) / 1000;
	console.log(`${label}: ${(TOTAL / 1e6 / seconds).toFixed(0)} MB/s = ${(TOTAL / MiB / seconds).toFixed(0)} MiB/s (${TOTAL / MiB} MiB in 10 MiB chunks, ${seconds.toFixed(3)} s, ${digest})`);
	return TOTAL / 1e6 / seconds;
}

run('warm-up', 0);
const runs = SMOKE ? 1 : 3;
const aligned = Array.from({ length: runs }, () => run('aligned chunks', 0));
const unaligned = Array.from({ length: runs }, () => run('unaligned chunks', 1));
figure({ name: 'quickxorhash.aligned', unit: 'MB/s', runs: aligned, note: 'QuickXorHash in Node, 10 MiB chunks' });
figure({ name: 'quickxorhash.unaligned', unit: 'MB/s', runs: unaligned, note: 'QuickXorHash in Node, 10 MiB chunks at an odd offset' });
