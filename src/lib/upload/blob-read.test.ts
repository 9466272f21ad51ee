import { describe, expect, it } from 'vitest';
import { readBlobInto } from './blob-read';

const KiB = 1024;

function pattern(length: number, seed: number): Uint8Array<ArrayBuffer> {
	const bytes = new Uint8Array(length);
	for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
	return bytes;
}

/** Byte-for-byte equality, reported in one line (vitest's deep equality is slow on big arrays). */
function same(a: Uint8Array, b: Uint8Array): boolean {
	return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** A Blob whose stream is what the test says (a platform without byte streams, a failing disk). */
class StreamedBlob extends Blob {
	constructor(
		size: number,
		private readonly make: () => ReadableStream<Uint8Array>
	) {
		super([new Uint8Array(size)]);
	}
	override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
		return this.make() as ReadableStream<Uint8Array<ArrayBuffer>>;
	}
}

describe('readBlobInto', () => {
	it('fills the buffer it is given and hands it back for the next read: one buffer for many reads', async () => {
		let buffer = new ArrayBuffer(256 * KiB);
		for (const [length, seed] of [
			[256 * KiB, 1],
			[100 * KiB + 7, 2],
			[1, 3]
		] as const) {
			const data = pattern(length, seed);
			const handed = buffer;
			const view = await readBlobInto(new Blob([data]), handed);
			expect(view.byteLength).toBe(length);
			expect(same(view, data)).toBe(true);
			expect(view.byteOffset).toBe(0);
			// The same 256 KiB came back (transferred, so the one handed in is detached now).
			expect(view.buffer.byteLength).toBe(256 * KiB);
			expect(handed.byteLength).toBe(0);
			buffer = view.buffer as ArrayBuffer;
		}
	});

	it('a Blob larger than the buffer, or empty, comes in a buffer of its own and leaves the given one alone', async () => {
		const buffer = new ArrayBuffer(64 * KiB);
		const data = pattern(64 * KiB + 1, 4);
		expect(same(await readBlobInto(new Blob([data]), buffer), data)).toBe(true);
		expect(buffer.byteLength).toBe(64 * KiB);
		expect((await readBlobInto(new Blob([]), buffer)).byteLength).toBe(0);
		expect(buffer.byteLength).toBe(64 * KiB);
	});

	it('where the Blob stream is not a byte stream, reads it as arrayBuffer() does', async () => {
		const data = pattern(1000, 5);
		class PlainStreamBlob extends Blob {
			override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
				return new ReadableStream({ start: (c) => (c.enqueue(data.slice()), c.close()) });
			}
		}
		const buffer = new ArrayBuffer(4096);
		expect(same(await readBlobInto(new PlainStreamBlob([data]), buffer), data)).toBe(true);
		expect(buffer.byteLength).toBe(4096);
	});

	it('a Blob whose bytes cannot be read rejects, as reading it would', async () => {
		const broken = new StreamedBlob(10, () => new ReadableStream({ type: 'bytes', pull: (c) => c.error(new Error('The file changed')) }));
		await expect(readBlobInto(broken, new ArrayBuffer(64))).rejects.toThrow('The file changed');
	});

	it('a stream that ends early is a short read, not bytes left from an earlier read', async () => {
		const short = new StreamedBlob(
			10,
			() =>
				new ReadableStream({
					type: 'bytes',
					pull: (c) => {
						const request = c.byobRequest!;
						new Uint8Array(request.view!.buffer, request.view!.byteOffset, 3).set([1, 2, 3]);
						request.respond(3);
						c.close();
					}
				})
		);
		await expect(readBlobInto(short, new ArrayBuffer(64))).rejects.toThrow('short read: 3 of 10 bytes');
	});
});
