import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { keepWhole } from '$lib/db/test-staging';
import { JobLedger } from '$lib/db/job-ledger';
import { ReeldriveDb } from '$lib/db/reeldrive-db';
import { BytesNotHereError, createUploadJob } from '$lib/upload';
import { pseudoRandomBytes } from '$lib/upload/test-fakes';
import { JobBytes, LiveFiles } from './job-bytes';

async function ledgerWith(size: number): Promise<JobLedger> {
	const ledger = new JobLedger(new ReeldriveDb(`bytes-${Math.random()}`));
	const state = createUploadJob({ id: 'v1', name: 'v1.mp4', size, target: { kind: 'path', folderPath: '/' } }, 1);
	await ledger.add({ id: 'v1', appUserId: 'u', microsoftAccountId: 'm', productId: null, driveId: 'd', folderPath: '/', originalName: 'v1.mp4', nameFixes: [], mimeType: 'video/mp4', meta: null, poster: null, state, createdAt: 1 });
	return ledger;
}

/** A file that was changed or removed on disk after it was picked: reading it fails. */
class VanishedFile extends Blob {
	override slice(start = 0, end = this.size): Blob {
		const changed = () => new DOMException('The file changed', 'NotReadableError');
		return {
			size: end - start,
			arrayBuffer: () => Promise.reject(changed()),
			// A byte stream that fails once read, after taking the buffer it was handed.
			stream: () => new ReadableStream({ type: 'bytes', pull: (c) => c.error(changed()) })
		} as unknown as Blob;
	}
}

describe('where an upload’s bytes come from', () => {
	const data = pseudoRandomBytes(5000, 9);

	it('reads the picked file first, then the kept pieces, and says "not here" for what neither has', async () => {
		const ledger = await ledgerWith(data.length);
		const live = new LiveFiles();
		const bytes = new JobBytes('v1.mp4', data.length, 'v1', ledger, live, undefined);
		await expect(bytes.read(0, 10)).rejects.toBeInstanceOf(BytesNotHereError);
		live.attach('v1', new Blob([data as BlobPart]));
		expect(Buffer.from(await bytes.read(100, 4000)).equals(Buffer.from(data.subarray(100, 4000)))).toBe(true);
	});

	it('a picked file that can no longer be read is dropped, and the kept pieces answer byte for byte', async () => {
		const ledger = await ledgerWith(data.length);
		await keepWhole(ledger, 'v1', new Blob([data as BlobPart]));
		const live = new LiveFiles();
		live.attach('v1', new VanishedFile([data as BlobPart]));
		const bytes = new JobBytes('v1.mp4', data.length, 'v1', ledger, live, undefined);
		expect(Buffer.from(await bytes.read(7, 4999)).equals(Buffer.from(data.subarray(7, 4999)))).toBe(true);
		expect(live.has('v1')).toBe(false);
	});

	it('reading into a buffer takes the same places, reuses the buffer, and a failed read of the picked file still leaves the pieces a whole buffer', async () => {
		const ledger = await ledgerWith(data.length);
		const live = new LiveFiles();
		const bytes = new JobBytes('v1.mp4', data.length, 'v1', ledger, live, undefined);
		await expect(bytes.readInto(0, 10, new ArrayBuffer(4096))).rejects.toBeInstanceOf(BytesNotHereError);
		live.attach('v1', new Blob([data as BlobPart]));
		const handed = new ArrayBuffer(4096);
		const fromFile = await bytes.readInto(100, 4000, handed);
		expect(Buffer.from(fromFile).equals(Buffer.from(data.subarray(100, 4000)))).toBe(true);
		expect(fromFile.buffer.byteLength).toBe(4096);
		expect(handed.byteLength).toBe(0); // it went into the reader and came back as fromFile.buffer

		await keepWhole(ledger, 'v1', new Blob([data as BlobPart]));
		live.attach('v1', new VanishedFile([data as BlobPart]));
		const fromPieces = await bytes.readInto(7, 4007, fromFile.buffer as ArrayBuffer);
		expect(Buffer.from(fromPieces).equals(Buffer.from(data.subarray(7, 4007)))).toBe(true);
		expect(fromPieces.buffer.byteLength).toBe(4096);
		expect(live.has('v1')).toBe(false);
	});

	it('an upload stored whole before pieces existed reads from that copy', async () => {
		const ledger = await ledgerWith(data.length);
		const bytes = new JobBytes('v1.mp4', data.length, 'v1', ledger, new LiveFiles(), new Blob([data as BlobPart]));
		expect(Buffer.from(await bytes.read(0, 5000)).equals(Buffer.from(data))).toBe(true);
	});
});

describe('fragments as Blobs, read only when sent', () => {
	const MiB = 1024 * 1024;
	const big = pseudoRandomBytes(20 * MiB + 321, 5);
	const same = async (blob: Blob, a: number, b: number) => Buffer.from(await blob.arrayBuffer()).equals(Buffer.from(big.subarray(a, b)));

	it('a range across kept pieces is one Blob, byte for byte; a range with a piece missing is not here', async () => {
		const ledger = await ledgerWith(big.length);
		await keepWhole(ledger, 'v1', new Blob([big as BlobPart]));
		const bytes = new JobBytes('v1.mp4', big.length, 'v1', ledger, new LiveFiles(), undefined);
		const across = await bytes.blob(7, 17 * MiB + 3);
		expect(across.size).toBe(17 * MiB - 4);
		expect(await same(across, 7, 17 * MiB + 3)).toBe(true);
		expect(await same(await bytes.blob(16 * MiB, big.length), 16 * MiB, big.length)).toBe(true);

		await ledger.save('v1', { ...(await ledger.get('v1'))!.state, acknowledged: 12 * MiB });
		// Short of room, the wholly acknowledged first piece is given back.
		expect(await ledger.releaseAcknowledged()).toBe(1);
		expect(await ledger.stagedBytes('v1')).toBe(big.length - 8 * MiB);
		await expect(bytes.blob(0, 10 * MiB)).rejects.toBeInstanceOf(BytesNotHereError);
		expect(await same(await bytes.blob(8 * MiB, 18 * MiB), 8 * MiB, 18 * MiB)).toBe(true);
	});

	it('takes the kept pieces where they hold the range (they outlive the page), else the picked file, and a file of another size not at all', async () => {
		const ledger = await ledgerWith(big.length);
		const live = new LiveFiles();
		const bytes = new JobBytes('v1.mp4', big.length, 'v1', ledger, live, undefined);
		live.attach('v1', new Blob([big.subarray(1) as BlobPart]));
		await expect(bytes.blob(0, MiB)).rejects.toBeInstanceOf(BytesNotHereError);
		live.attach('v1', new Blob([big as BlobPart]));
		expect(await same(await bytes.blob(3 * MiB, 13 * MiB), 3 * MiB, 13 * MiB)).toBe(true);
		// Kept now: the pieces answer, even with the page's file gone unreadable.
		await keepWhole(ledger, 'v1', new Blob([big as BlobPart]));
		live.attach('v1', new VanishedFile([big as BlobPart]));
		expect(await same(await bytes.blob(3 * MiB, 13 * MiB), 3 * MiB, 13 * MiB)).toBe(true);
	});
});
