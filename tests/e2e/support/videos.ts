/**
 * Big test videos made on the fly: a real sample MP4 followed by an MP4 `free` box of filler
 * bytes, so the file is still a valid video (same duration and size as the sample) of any size.
 * The filler is pseudo-random so that nothing can compress or deduplicate it away.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SAMPLE = 'tests/fixtures/videos/clip-h264-aac-640x360-5s.mp4';

export function makeLargeMp4(bytes: number, name = `reeldrive-${bytes}.mp4`): string {
	const path = join(tmpdir(), name);
	if (existsSync(path) && statSync(path).size === bytes) return path;
	const sample = readFileSync(SAMPLE);
	const fillerSize = bytes - sample.length;
	if (fillerSize < 8 || fillerSize > 0xffffffff) throw new Error('size out of range for a 32-bit free box');
	const fd = openSync(path, 'w');
	try {
		writeSync(fd, sample);
		const header = Buffer.alloc(8);
		header.writeUInt32BE(fillerSize, 0);
		header.write('free', 4, 'ascii');
		writeSync(fd, header);
		let state = createHash('sha256').update(name).digest().readUInt32BE(0) || 1;
		const words = new Uint32Array(1024 * 1024);
		const chunk = Buffer.from(words.buffer);
		let left = fillerSize - 8;
		while (left > 0) {
			for (let i = 0; i < words.length; i++) {
				// xorshift32: fast, and different in every chunk.
				state ^= state << 13;
				state ^= state >>> 17;
				state ^= state << 5;
				words[i] = state >>> 0;
			}
			const n = Math.min(left, chunk.length);
			writeSync(fd, chunk, 0, n);
			left -= n;
		}
	} finally {
		closeSync(fd);
	}
	return path;
}
