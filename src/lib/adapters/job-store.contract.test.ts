import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { ReeldriveDb, type UploadRecord } from '$lib/db/reeldrive-db';
import { createUploadJob, type JobStore, type UploadJobState } from '$lib/upload';
import { MemoryStore } from '$lib/upload/test-fakes';
import { JobLedger } from '$lib/db/job-ledger';

/** The JobStore contract: every implementation (and the tests' fake) must pass it. */
function contract(name: string, make: () => Promise<{ store: JobStore; reopen: () => Promise<JobStore> }>) {
	describe(`JobStore contract: ${name}`, () => {
		const job = (acknowledged: number): UploadJobState => ({
			...createUploadJob({ id: 'job-1', name: 'clip.mp4', size: 1000, target: { kind: 'path', folderPath: 'Videos' } }, 1),
			acknowledged
		});

		it('returns what was saved last, as plain data that survives a reopen', async () => {
			const { store, reopen } = await make();
			await store.save(job(0));
			await store.save(job(655_360));
			const again = await reopen();
			expect(await again.load()).toEqual(job(655_360));
		});

		it('keeps no reference to the caller’s object', async () => {
			const { store } = await make();
			const state = job(10);
			await store.save(state);
			state.acknowledged = 999;
			expect((await store.load())?.acknowledged).toBe(10);
		});
	});
}

contract('MemoryStore (the fake used by tests)', async () => {
	const store = new MemoryStore();
	return { store, reopen: async () => store };
});

contract('DexieJobStore (IndexedDB)', async () => {
	const name = `contract-${Math.random()}`;
	const db = new ReeldriveDb(name);
	const record: UploadRecord = {
		id: 'job-1',
		appUserId: 'user-1',
		microsoftAccountId: 'ms-1',
		productId: null,
		driveId: 'drive-1',
		folderPath: '/Reeldrive',
		originalName: 'clip.mp4',
		nameFixes: [],
		mimeType: 'video/mp4',
		meta: null,
		poster: null,
		state: createUploadJob({ id: 'job-1', name: 'clip.mp4', size: 1000, target: { kind: 'path', folderPath: 'Videos' } }, 1),
		createdAt: 1
	};
	await new JobLedger(db).add(record);
	return {
		store: new JobLedger(db).storeFor('job-1'),
		reopen: async () => {
			db.close();
			return new JobLedger(new ReeldriveDb(name)).storeFor('job-1');
		}
	};
});

describe('JobLedger.storeFor', () => {
	it('refuses to save a job whose record was removed (a cancelled upload never comes back)', async () => {
		const db = new ReeldriveDb(`gone-${Math.random()}`);
		const store = new JobLedger(db).storeFor('missing');
		await expect(
			store.save(createUploadJob({ id: 'missing', name: 'a.mp4', size: 1, target: { kind: 'path', folderPath: '' } }, 1))
		).rejects.toThrow(/not stored/);
	});

	it('tells the host after each committed save, with the outbox snapshot when a person would see a change', async () => {
		const db = new ReeldriveDb(`notify-${Math.random()}`);
		const ledger = new JobLedger(db);
		const state = createUploadJob({ id: 'j', name: 'a.mp4', size: 5, target: { kind: 'path', folderPath: '' } }, 1);
		await ledger.add({ id: 'j', appUserId: 'u', microsoftAccountId: 'm', productId: null, driveId: 'd', folderPath: '/', originalName: 'a.mp4', nameFixes: [], mimeType: 'video/mp4', meta: null, poster: null, state, createdAt: 1 });
		const seen: [number, number | null][] = [];
		const store = ledger.storeFor('j', ({ record, outbox }) => {
			seen.push([record.state.acknowledged, outbox?.version ?? null]);
		});
		await store.save({ ...state, status: 'uploading', acknowledged: 0 });
		await store.save({ ...state, status: 'uploading', acknowledged: 3 });
		expect(seen).toEqual([
			[0, 2],
			[3, null]
		]);
	});
});
