/**
 * Content for seeded files that were described, not uploaded: a 160-byte pattern derived from a
 * seed, repeated. Any byte range can be produced on demand, and because QuickXorHash positions
 * repeat every 160 bytes, two consecutive repetitions cancel in the hash: the hash of N bytes
 * needs only the first N mod 320 of them, so a seeded 50 GB file costs nothing to hash.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { QuickXorHash } from './quick-xor-hash';

const PERIOD = 160;

export function syntheticPattern(seed: string): Buffer {
	const pattern = Buffer.alloc(PERIOD);
	for (let block = 0; block * 32 < PERIOD; block++) {
		createHash('sha256').update(`${seed}:${block}`).digest().copy(pattern, block * 32);
	}
	return pattern;
}

export function syntheticQuickXorHash(seed: string, size: number): string {
	const pattern = syntheticPattern(seed);
	const prefix = size % (2 * PERIOD);
	const bytes = Buffer.alloc(prefix);
	for (let i = 0; i < prefix; i++) bytes[i] = pattern[i % PERIOD]!;
	return new QuickXorHash().update(bytes).assumeLength(size).digestBase64();
}

/** Streams bytes [start, end] (inclusive) of the synthetic content. */
export function syntheticStream(seed: string, start: number, end: number): Readable {
	const pattern = syntheticPattern(seed);
	const block = Buffer.alloc(64 * 1024);
	let position = start;
	return new Readable({
		read() {
			if (position > end) {
				this.push(null);
				return;
			}
			const length = Math.min(block.length, end - position + 1);
			for (let i = 0; i < length; i++) block[i] = pattern[(position + i) % PERIOD]!;
			position += length;
			this.push(Buffer.from(block.subarray(0, length)));
		}
	});
}
