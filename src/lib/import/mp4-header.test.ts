import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readMp4Header, type ByteRangeReader } from './mp4-header';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../../tests/fixtures/videos/${name}`, import.meta.url)));

/** Serves a file's bytes by range and remembers what was asked. */
function readerOf(bytes: Uint8Array): ByteRangeReader & { reads: Array<[number, number]>; bytesRead: number } {
	const reader = {
		reads: [] as Array<[number, number]>,
		bytesRead: 0,
		async read(start: number, length: number) {
			reader.reads.push([start, length]);
			const slice = bytes.slice(start, start + length);
			reader.bytesRead += slice.length;
			return slice;
		}
	};
	return reader;
}

describe('readMp4Header', () => {
	it.each([
		['clip-h264-aac-640x360-5s.mp4', 5000, 640, 360],
		['clip-quicktime-1280x720-3s.mov', 3000, 1280, 720],
		['portrait-1080x1920-2s.mp4', 2000, 1080, 1920],
		['tiny-64x64-1s.mp4', 1000, 64, 64]
	])('reads %s', async (name, durationMs, width, height) => {
		const bytes = fixture(name);
		expect(await readMp4Header(readerOf(bytes), bytes.length)).toEqual({ durationMs, width, height });
	});

	it('finds a moov after the media data, reading only box headers and the moov', async () => {
		const bytes = fixture('clip-h264-1280x720-3s-moov-at-end.mp4');
		// Pretend the file is big: 100 MB of media data before the moov must never be read.
		const mdatSize = 100_000_000;
		const ftyp = bytes.slice(0, new DataView(bytes.buffer).getUint32(0));
		let offset = ftyp.length;
		let moov: Uint8Array | null = null;
		while (offset < bytes.length) {
			const size = new DataView(bytes.buffer, bytes.byteOffset + offset).getUint32(0);
			const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
			if (type === 'moov') moov = bytes.slice(offset, offset + size);
			offset += size;
		}
		const mdatHeader = new Uint8Array(8);
		new DataView(mdatHeader.buffer).setUint32(0, mdatSize);
		mdatHeader.set([0x6d, 0x64, 0x61, 0x74], 4);
		const size = ftyp.length + mdatSize + moov!.length;
		const reader: ByteRangeReader & { asked: number } = {
			asked: 0,
			async read(start, length) {
				reader.asked += length;
				const out = new Uint8Array(Math.max(0, Math.min(length, size - start)));
				for (let i = 0; i < out.length; i++) {
					const at = start + i;
					if (at < ftyp.length) out[i] = ftyp[at]!;
					else if (at < ftyp.length + 8) out[i] = mdatHeader[at - ftyp.length]!;
					else if (at >= ftyp.length + mdatSize) out[i] = moov![at - ftyp.length - mdatSize]!;
				}
				return out;
			}
		};
		expect(await readMp4Header(reader, size)).toEqual({ durationMs: 3000, width: 1280, height: 720 });
		expect(reader.asked).toBeLessThan(80 * 1024);
	});

	it('says nothing for files that are not MP4', async () => {
		for (const name of ['not-a-video.mp4', 'clip-vp9-320x240-4s.webm']) {
			const bytes = fixture(name);
			expect(await readMp4Header(readerOf(bytes), bytes.length)).toBeNull();
		}
		expect(await readMp4Header(readerOf(new Uint8Array(0)), 0)).toBeNull();
	});

	it('says nothing for a file cut off before its moov', async () => {
		const bytes = fixture('clip-h264-aac-640x360-5s.mp4');
		const cut = bytes.slice(0, 100);
		expect(await readMp4Header(readerOf(cut), bytes.length)).toBeNull();
	});
});
