/**
 * The chaos run's videos: a real sample MP4 followed by an MP4 `free` box of pseudo-random
 * filler drawn from the video's own seed, so every byte follows from the run's seed and nothing
 * can be compressed or deduplicated away. The QuickXorHash is computed while writing.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { QuickXorHash } from '../../src/lib/upload/quickxorhash';

export const SAMPLE = 'tests/fixtures/videos/clip-h264-aac-640x360-5s.mp4';

/** Writes `size` bytes to `path` and returns their QuickXorHash (base64). */
export function writeVideo(path: string, size: number, seed: number, sample: Uint8Array = readFileSync(SAMPLE)): string {
	const filler = size - sample.length;
	if (filler < 8 || filler > 0xffffffff) throw new Error(`size ${size} out of range for a 32-bit free box`);
	const hash = new QuickXorHash();
	const fd = openSync(path, 'w');
	try {
		const header = new Uint8Array(8);
		new DataView(header.buffer).setUint32(0, filler);
		header.set([0x66, 0x72, 0x65, 0x65], 4); // "free"
		for (const part of [sample, header]) {
			writeSync(fd, part);
			hash.update(part);
		}
		let state = seed >>> 0 || 1;
		const words = new Uint32Array(256 * 1024);
		const bytes = new Uint8Array(words.buffer);
		for (let left = filler - 8; left > 0; ) {
			for (let i = 0; i < words.length; i++) {
				// xorshift32
				state ^= state << 13;
				state ^= state >>> 17;
				state ^= state << 5;
				words[i] = state >>> 0;
			}
			const n = Math.min(left, bytes.length);
			const chunk = bytes.subarray(0, n);
			writeSync(fd, chunk);
			hash.update(chunk);
			left -= n;
		}
	} finally {
		closeSync(fd);
	}
	return hash.digest();
}
