import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { StorageFullError, createUploadJob } from '$lib/upload';
import { pseudoRandomBytes } from '$lib/upload/test-fakes';
import { describeKept, NO_ROOM_TO_KEEP } from '$lib/state/upload-view';
import { FileStager } from './file-stager';
import { isQuotaError, JobLedger, STAGE_CHUNK_BYTES } from './job-ledger';
import { ReeldriveDb, type StagingState, type UploadRecord } from './reeldrive-db';

const C = STAGE_CHUNK_BYTES;

async function setup(size: number) {
	const ledger = new JobLedger(new ReeldriveDb(`stager-${Math.random()}`));
	const record: UploadRecord = {
		id: 'v1',
		appUserId: 'u1',
		microsoftAccountId: 'm1',
		productId: null,
		driveId: 'd1',
		folderPath: '/Reeldrive',
		originalName: 'v1.mp4',
		nameFixes: [],
		mimeType: 'video/mp4',
		meta: null,
		poster: null,
		state: createUploadJob({ id: 'v1', name: 'v1.mp4', size, target: { kind: 'path', folderPath: '/Reeldrive' } }, 1),
		createdAt: 1
	};
	await ledger.add(record);
	return { ledger, record };
}

/** OneDrive acknowledged [0, acknowledged): what the uploader saves after a fragment. */
async function acknowledge(ledger: JobLedger, acknowledged: number): Promise<void> {
	const state = (await ledger.get('v1'))!.state;
	await ledger.save('v1', { ...state, status: 'uploading', acknowledged, hash: { ...state.hash, length: acknowledged } });
	await ledger.freed();
}

function quotaError(): Error {
	const error = new Error('The quota has been exceeded.');
	error.name = 'QuotaExceededError';
	return error;
}

describe('keeping a video in pieces', () => {
	it('reads back any range byte for byte, across pieces, and says null for what is not kept', async () => {
		const data = pseudoRandomBytes(2 * C + 1234, 5);
		const { ledger } = await setup(data.length);
		const stager = new FileStager({ ledger, persist: async () => true });
		await stager.stage('v1', new Blob([data as BlobPart]));
		expect((await ledger.get('v1'))!.staging).toEqual({ stagedTo: data.length, problem: null });
		for (const [a, b] of [
			[0, 1],
			[C - 3, C + 3],
			[5, 2 * C + 1234],
			[2 * C, 2 * C + 1234]
		] as const) {
			expect(Buffer.from((await ledger.readStaged('v1', a, b))!).equals(Buffer.from(data.subarray(a, b))), `[${a}, ${b})`).toBe(true);
		}
		await acknowledge(ledger, C + 10);
		expect(await ledger.stagedBytes('v1'), 'what OneDrive acknowledged stays kept, in case it starts over').toBe(data.length);
		expect(Buffer.from((await ledger.readStaged('v1', 0, 10))!).equals(Buffer.from(data.subarray(0, 10)))).toBe(true);
		// Short of room, the wholly acknowledged first piece is what goes.
		expect(await ledger.releaseAcknowledged()).toBe(1);
		expect(await ledger.stagedBytes('v1')).toBe(C + 1234);
		expect(await ledger.readStaged('v1', 0, 10)).toBeNull();
		expect(await ledger.readStaged('v1', C + 10, C + 20)).not.toBeNull();
		expect(await ledger.releaseAcknowledged(), 'nothing more to give back').toBe(0);
	});

	it('does not keep what OneDrive already has, nor anything once the upload is over', async () => {
		const data = pseudoRandomBytes(2 * C, 6);
		const { ledger } = await setup(data.length);
		await acknowledge(ledger, C);
		expect(await ledger.stageChunk('v1', 0, new Blob([data.subarray(0, C) as BlobPart]))).toBe('not-needed');
		expect(await ledger.stageChunk('v1', C, new Blob([data.subarray(C) as BlobPart]))).toBe('kept');
		const state = (await ledger.get('v1'))!.state;
		await ledger.save('v1', { ...state, status: 'cancelled' });
		await ledger.freed();
		expect(await ledger.stagedBytes('v1')).toBe(0);
		expect(await ledger.stageChunk('v1', C, new Blob([data.subarray(C) as BlobPart]))).toBe('finished');
	});

	it('with no room left, says so in words and goes on keeping once OneDrive’s acknowledgements free room; nothing is lost', async () => {
		const data = pseudoRandomBytes(4 * C + 7, 7);
		const { ledger } = await setup(data.length);
		// Room for two pieces at a time, as a browser's quota would allow.
		const stageChunk = ledger.stageChunk.bind(ledger);
		let refusals = 0;
		ledger.stageChunk = async (jobId, start, blob) => {
			if ((await ledger.stagedBytes()) + blob.size > 2 * C) {
				refusals++;
				throw quotaError();
			}
			return stageChunk(jobId, start, blob);
		};
		const seen: StagingState[] = [];
		const stager = new FileStager({ ledger, persist: async () => true, onProgress: (_, staging) => seen.push(staging) });
		const done = stager.stage('v1', new Blob([data as BlobPart]));
		await until(() => seen.some((s) => s.problem === 'quota'));
		expect(refusals).toBe(1);
		// The newest piece was given back, so the uploader's own writes still fit.
		expect(await ledger.stagedBytes('v1')).toBe(C);
		expect((await ledger.get('v1'))!.staging).toEqual({ stagedTo: C, problem: 'quota' });
		expect(describeKept((await ledger.get('v1'))!.staging, data.length, 'uploading')).toBe(NO_ROOM_TO_KEEP);
		expect(NO_ROOM_TO_KEEP).toMatch(/keep this page open/);
		// The upload goes on from the picked file; as OneDrive acknowledges, room comes back.
		for (const acknowledged of [C, 2 * C, 3 * C]) {
			await acknowledge(ledger, acknowledged);
			stager.acknowledged('v1', acknowledged);
		}
		await done;
		const staging = (await ledger.get('v1'))!.staging!;
		expect(staging).toEqual({ stagedTo: data.length, problem: null });
		// Every byte OneDrive still lacks is kept, byte for byte.
		expect(Buffer.from((await ledger.readStaged('v1', 3 * C, data.length))!).equals(Buffer.from(data.subarray(3 * C)))).toBe(true);
	});

	it('stops keeping short of the wall, leaving a piece’s worth of room for the uploader’s own writes, and goes on as room comes back', async () => {
		const data = pseudoRandomBytes(4 * C + 7, 10);
		const { ledger } = await setup(data.length);
		const app = 1024 * 1024;
		// The browser's estimate: the app's own files, plus the pieces kept; a quota of four pieces in all.
		const estimate = async () => ({ quota: app + 4 * C, usage: app + (await ledger.stagedBytes()) });
		const stageChunk = ledger.stageChunk.bind(ledger);
		let refusals = 0;
		ledger.stageChunk = async (jobId, start, blob) => {
			if ((await ledger.stagedBytes()) + blob.size > 4 * C) refusals++;
			return stageChunk(jobId, start, blob);
		};
		const seen: StagingState[] = [];
		const stager = new FileStager({ ledger, persist: async () => true, estimate, onProgress: (_, staging) => seen.push(staging) });
		const done = stager.stage('v1', new Blob([data as BlobPart]));
		await until(() => seen.some((s) => s.problem === 'quota'));
		// Three pieces fit with a piece's worth to spare; the fourth would have left none.
		expect(await ledger.stagedBytes('v1')).toBe(3 * C);
		expect((await ledger.get('v1'))!.staging).toEqual({ stagedTo: 3 * C, problem: 'quota' });
		for (const acknowledged of [C, 2 * C, 3 * C, 4 * C]) {
			await acknowledge(ledger, acknowledged);
			stager.acknowledged('v1', acknowledged);
		}
		await done;
		expect(refusals, 'the browser never had to refuse a piece').toBe(0);
		expect((await ledger.get('v1'))!.staging).toEqual({ stagedTo: data.length, problem: null });
		expect(Buffer.from((await ledger.readStaged('v1', 4 * C, data.length))!).equals(Buffer.from(data.subarray(4 * C)))).toBe(true);
	});

	it('a progress save refused for want of room still frees the pieces OneDrive acknowledged, and says StorageFullError', async () => {
		const data = pseudoRandomBytes(3 * C, 9);
		const { ledger } = await setup(data.length);
		const stager = new FileStager({ ledger, persist: async () => true });
		await stager.stage('v1', new Blob([data as BlobPart]));
		expect(await ledger.stagedBytes('v1')).toBe(3 * C);
		const saved: number[] = [];
		const store = ledger.storeFor('v1', ({ record }) => {
			saved.push(record.state.acknowledged);
		});
		const put = ledger.db.uploads.put.bind(ledger.db.uploads);
		ledger.db.uploads.put = (() => Promise.reject(quotaError())) as unknown as typeof put;
		const state = (await ledger.get('v1'))!.state;
		await expect(store.save({ ...state, status: 'uploading', acknowledged: 2 * C + 5, hash: { ...state.hash, length: 2 * C + 5 } })).rejects.toBeInstanceOf(StorageFullError);
		await ledger.freed();
		// Nothing was written, but the two wholly acknowledged pieces are given back: that is the room the next save needs.
		expect(saved).toEqual([]);
		expect((await ledger.get('v1'))!.state.acknowledged).toBe(0);
		expect(await ledger.stagedBytes('v1')).toBe(C);
		expect(Buffer.from((await ledger.readStaged('v1', 2 * C, 3 * C))!).equals(Buffer.from(data.subarray(2 * C)))).toBe(true);
		ledger.db.uploads.put = put;
		await store.save({ ...state, status: 'uploading', acknowledged: 2 * C + 5, hash: { ...state.hash, length: 2 * C + 5 } });
		expect(saved).toEqual([2 * C + 5]);
	});

	it('sweeping removes what a kill left behind (pieces of ended uploads), never a shared video’s nor a running upload’s', async () => {
		const data = pseudoRandomBytes(2 * C, 8);
		const { ledger } = await setup(data.length);
		const db = ledger.db;
		await db.chunks.bulkPut([
			{ jobId: 'v1', start: 0, end: C, blob: new Blob([data.subarray(0, C) as BlobPart]) },
			{ jobId: 'v1', start: C, end: 2 * C, blob: new Blob([data.subarray(C) as BlobPart]) },
			{ jobId: 'gone', start: 0, end: 3, blob: new Blob(['abc']) },
			{ jobId: 'shared', start: 0, end: 3, blob: new Blob(['abc']) }
		]);
		await db.inbox.put({ id: 'shared', name: 'a.mp4', type: 'video/mp4', receivedAt: 1, kept: { size: 3 } });
		const state = (await ledger.get('v1'))!.state;
		// OneDrive acknowledged C bytes of the running upload: its pieces stay (it may start over).
		await db.uploads.update('v1', { state: { ...state, status: 'uploading', acknowledged: C, hash: { ...state.hash, length: C } } });
		expect(await ledger.sweep()).toBe(1);
		expect((await db.chunks.toArray()).map((chunk) => [chunk.jobId, chunk.start]).sort()).toEqual([
			['shared', 0],
			['v1', 0],
			['v1', C]
		]);
		// Once it is over, the next sweep takes them (a kill before the freeing after its last save).
		await db.uploads.update('v1', { state: { ...state, status: 'done', acknowledged: 2 * C, hash: { ...state.hash, length: 2 * C } } });
		expect(await ledger.sweep()).toBe(2);
		expect((await db.chunks.toArray()).map((chunk) => [chunk.jobId, chunk.start])).toEqual([['shared', 0]]);
	});

	it('recognises the browser’s quota errors, Dexie’s wrapped ones too', () => {
		expect(isQuotaError(quotaError())).toBe(true);
		expect(isQuotaError({ name: 'AbortError', inner: { name: 'QuotaExceededError' } })).toBe(true);
		expect(isQuotaError(new TypeError('boom'))).toBe(false);
	});
});

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
	for (let i = 0; i < 5000; i++) {
		if (await condition()) return;
		await new Promise((resolve) => setImmediate(resolve));
	}
	throw new Error('condition never held');
}
