import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UploadError } from './errors';
import { MAX_FILE_SIZE, SNIFF_BYTES, checkUploadable, sniffVideoContainer } from './file-checks';

const FIXTURES = join(process.cwd(), 'tests/fixtures/videos');
const head = (file: string) => new Uint8Array(readFileSync(join(FIXTURES, file))).subarray(0, SNIFF_BYTES);
const bytes = (...parts: Array<string | number[]>) => {
	const out: number[] = [];
	for (const p of parts) out.push(...(typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p));
	while (out.length < 64) out.push(0);
	return Uint8Array.from(out);
};

describe('sniffVideoContainer on the fixture files', () => {
	it.each([
		['clip-h264-1280x720-3s-moov-at-end.mp4', 'mp4'],
		['clip-h264-aac-640x360-5s.mp4', 'mp4'],
		['clip-quicktime-1280x720-3s.mov', 'quicktime'],
		['clip-vp9-320x240-4s.webm', 'webm'],
		['portrait-1080x1920-2s.mp4', 'mp4'],
		['tiny-64x64-1s.mp4', 'mp4']
	])('recognises %s as %s', (file, container) => {
		expect(sniffVideoContainer(head(file))).toBe(container);
	});

	it('refuses not-a-video.mp4 (random bytes with a video name)', () => {
		expect(sniffVideoContainer(head('not-a-video.mp4'))).toBeNull();
	});
});

describe('sniffVideoContainer signatures', () => {
	const ts = new Uint8Array(188 * 4);
	for (let p = 0; p < 4; p++) ts[p * 188] = 0x47;
	const m2ts = new Uint8Array(192 * 4);
	for (let p = 0; p < 4; p++) m2ts[4 + p * 192] = 0x47;

	it.each([
		['3GP', bytes([0, 0, 0, 0x18], 'ftyp3gp5'), '3gp'],
		['M4V', bytes([0, 0, 0, 0x18], 'ftypM4V '), 'mp4'],
		['QuickTime without ftyp', bytes([0, 0, 0, 8], 'wide'), 'quicktime'],
		['Matroska', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x88], 'matroska'), 'matroska'],
		['AVI', bytes('RIFF', [1, 2, 3, 4], 'AVI LIST'), 'avi'],
		['MPEG-TS', ts, 'mpeg-ts'],
		['M2TS (192-byte packets)', m2ts, 'mpeg-ts'],
		['MPEG-PS', bytes([0, 0, 1, 0xba, 0x44]), 'mpeg-ps'],
		['FLV', bytes('FLV', [1, 5]), 'flv'],
		['ASF/WMV', bytes([0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c]), 'asf'],
		['Ogg Theora', bytes('OggS', [0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x2a, 0x80], 'theora'), 'ogg']
	] as const)('recognises %s', (_label, input, container) => {
		expect(sniffVideoContainer(input)).toBe(container);
	});

	it.each([
		['HEIC photo', bytes([0, 0, 0, 0x18], 'ftypheic')],
		['AVIF image', bytes([0, 0, 0, 0x18], 'ftypavif')],
		['M4A audio', bytes([0, 0, 0, 0x18], 'ftypM4A ')],
		['WAV audio', bytes('RIFF', [1, 2, 3, 4], 'WAVEfmt ')],
		['Ogg Vorbis audio', bytes('OggS', [0, 2], '\x01vorbis')],
		['EBML without a video doctype', bytes([0x1a, 0x45, 0xdf, 0xa3], 'other')],
		['PNG', bytes([0x89], 'PNG\r\n\x1a\n')],
		['PDF', bytes('%PDF-1.7')],
		['a lone 0x47', bytes([0x47])],
		['too short', Uint8Array.of(0, 0, 0, 8, 0x66)]
	] as const)('refuses %s', (_label, input) => {
		expect(sniffVideoContainer(input)).toBeNull();
	});
});

describe('checkUploadable', () => {
	const mp4 = head('tiny-64x64-1s.mp4');
	const codeOf = (fn: () => unknown) => {
		try {
			fn();
		} catch (e) {
			return e instanceof UploadError ? e.code : 'other';
		}
		return 'none';
	};

	it('accepts a real video', () => {
		expect(checkUploadable({ size: 1565, head: mp4 })).toEqual({ size: 1565, container: 'mp4' });
	});
	it('refuses zero bytes', () => {
		expect(codeOf(() => checkUploadable({ size: 0, head: mp4 }))).toBe('file-empty');
	});
	it('accepts exactly 250 GB and refuses one byte more', () => {
		expect(checkUploadable({ size: MAX_FILE_SIZE, head: mp4 }).size).toBe(250_000_000_000);
		expect(codeOf(() => checkUploadable({ size: MAX_FILE_SIZE + 1, head: mp4 }))).toBe('file-too-large');
	});
	it('refuses a non-video by its content', () => {
		expect(codeOf(() => checkUploadable({ size: 200_000, head: head('not-a-video.mp4') }))).toBe('not-a-video');
	});
});
