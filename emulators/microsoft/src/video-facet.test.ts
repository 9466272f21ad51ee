import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readVideoFacet } from './video-facet';

const fixtures = fileURLToPath(new URL('../../../tests/fixtures/videos/', import.meta.url));

// Expected values from tests/fixtures/videos/README.md.
const expected: Array<[string, { width: number; height: number; duration: number } | undefined]> = [
	['clip-h264-1280x720-3s-moov-at-end.mp4', { width: 1280, height: 720, duration: 3000 }],
	['clip-h264-aac-640x360-5s.mp4', { width: 640, height: 360, duration: 5000 }],
	['clip-quicktime-1280x720-3s.mov', { width: 1280, height: 720, duration: 3000 }],
	['clip-vp9-320x240-4s.webm', { width: 320, height: 240, duration: 4000 }],
	['portrait-1080x1920-2s.mp4', { width: 1080, height: 1920, duration: 2000 }],
	['tiny-64x64-1s.mp4', { width: 64, height: 64, duration: 1000 }],
	['not-a-video.mp4', undefined]
];

const scratch = await mkdtemp(join(tmpdir(), 'ms-emulator-facet-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('readVideoFacet', () => {
	it.each(expected)('reads %s', async (name, want) => {
		const facet = await readVideoFacet(join(fixtures, name));
		if (want === undefined) {
			expect(facet).toBeUndefined();
		} else {
			expect(facet).toMatchObject(want);
		}
	});

	it('names codecs and audio the way Graph does', async () => {
		const facet = await readVideoFacet(join(fixtures, 'clip-h264-aac-640x360-5s.mp4'));
		expect(facet).toMatchObject({ fourCC: 'H264', audioFormat: 'AAC', audioChannels: 2 });
		expect((await readVideoFacet(join(fixtures, 'clip-vp9-320x240-4s.webm')))?.fourCC).toBe('VP90');
	});

	it('seeks past a large mdat to a moov at the end', async () => {
		// Rebuild the moov-at-end fixture with 200 MB of (sparse) media data in front of its moov.
		const source = await readFile(join(fixtures, 'clip-h264-1280x720-3s-moov-at-end.mp4'));
		let offset = 0;
		const boxes: Array<{ type: string; bytes: Buffer }> = [];
		while (offset < source.length) {
			const size = source.readUInt32BE(offset);
			boxes.push({ type: source.toString('latin1', offset + 4, offset + 8), bytes: source.subarray(offset, offset + size) });
			offset += size;
		}
		const ftyp = boxes.find((b) => b.type === 'ftyp')!.bytes;
		const moov = boxes.find((b) => b.type === 'moov')!.bytes;
		const mdatSize = 200 * 1024 * 1024;
		const path = join(scratch, 'big.mp4');
		const file = await open(path, 'w');
		await file.write(ftyp, 0, ftyp.length, 0);
		const header = Buffer.alloc(8);
		header.writeUInt32BE(mdatSize, 0);
		header.write('mdat', 4, 'latin1');
		await file.write(header, 0, 8, ftyp.length);
		await file.write(moov, 0, moov.length, ftyp.length + mdatSize);
		await file.close();
		const facet = await readVideoFacet(path);
		expect(facet).toMatchObject({ width: 1280, height: 720, duration: 3000 });
	});

	it('gives no facet for truncated or foreign files', async () => {
		const source = await readFile(join(fixtures, 'clip-h264-aac-640x360-5s.mp4'));
		const truncated = join(scratch, 'truncated.mp4');
		await writeFile(truncated, source.subarray(0, 4000));
		expect(await readVideoFacet(truncated)).toBeUndefined();
		const text = join(scratch, 'notes.txt');
		await writeFile(text, 'just some words, long enough to be read as a header');
		expect(await readVideoFacet(text)).toBeUndefined();
		const empty = join(scratch, 'empty.mp4');
		await writeFile(empty, '');
		expect(await readVideoFacet(empty)).toBeUndefined();
	});
});
