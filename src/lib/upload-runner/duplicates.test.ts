/**
 * Never the same video twice, at the seam where it can go wrong: the scheduler, the job ledger on
 * IndexedDB (with its outbox) and the upload core, against the in-memory OneDrive. A video whose
 * size and QuickXorHash match one in the person's library or in the target folder stops before
 * any upload session is made, and only the person's choice continues it.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { keepWhole } from '$lib/db/test-staging';
import { JobLedger } from '$lib/db/job-ledger';
import { ReeldriveDb, type UploadRecord } from '$lib/db/reeldrive-db';
import { createUploadJob, quickXorHash, UploadCore, type ByteSource, type ExistingCopy, type UploadEvent } from '$lib/upload';
import { FakeClock, pseudoRandomBytes } from '$lib/upload/test-fakes';
import { JobBytes, LiveFiles } from './job-bytes';
import { MemoryLocks } from './job-locks';
import { UploadScheduler } from './scheduler';
import { FakeOneDrive, GRAPH, gate } from './test-onedrive';

const ALICE = { appUserId: 'alice', microsoftAccountId: 'ms-alice' };
const BUDGET = 60 * 60_000;
const MiB = 1024 * 1024;

let dbs: ReeldriveDb[] = [];
afterEach(async () => {
	for (const db of dbs) db.close();
	dbs = [];
});

interface World {
	name: string;
	clock: FakeClock;
	drive: FakeOneDrive;
	locks: MemoryLocks;
	events: UploadEvent[];
	/** Reads of the file's bytes, as [start, end). */
	reads: [number, number][];
	/** When set, the read starting at this offset waits for the gate. */
	holdRead: { at: number; hold: Promise<void>; reached: () => void } | null;
}

function world(): World {
	const clock = new FakeClock();
	return { name: `dup-${Math.random()}`, clock, drive: new FakeOneDrive(clock), locks: new MemoryLocks(), events: [], reads: [], holdRead: null };
}

/** One context (the service worker, or a page after a reload) over the shared browser storage. */
async function context(w: World) {
	const db = new ReeldriveDb(w.name);
	dbs.push(db);
	const ledger = new JobLedger(db, () => w.clock.now());
	const scheduler = new UploadScheduler({
		clock: w.clock,
		ledger,
		locks: w.locks.context(),
		isOnline: () => true,
		pagePresent: async () => true,
		engineFor: async (record) => {
			const inner = new JobBytes(record.state.name, record.state.size, record.id, ledger, new LiveFiles(), undefined);
			const bytes: ByteSource = {
				name: inner.name,
				size: inner.size,
				read: async (start, end) => {
					w.reads.push([start, end]);
					const held = w.holdRead;
					if (held && held.at === start) {
						w.holdRead = null;
						held.reached();
						await held.hold;
					}
					return inner.read(start, end);
				}
			};
			return new UploadCore({
				transport: w.drive,
				clock: w.clock,
				random: { next: () => 0.5 },
				tokens: { getToken: async () => ({ kind: 'token', accessToken: 't' }) },
				bytes,
				store: ledger.storeFor(record.id),
				connectivity: { isOnline: () => true },
				events: { emit: (event) => w.events.push(event) }
			});
		}
	});
	await scheduler.setActiveUser(ALICE);
	return { ledger, scheduler };
}

/** Queues a video as the page does: with the look for the same video, given these library copies. */
async function queue(ledger: JobLedger, id: string, data: Uint8Array, known: ExistingCopy[] = []): Promise<UploadRecord> {
	const record: UploadRecord = {
		id,
		...ALICE,
		productId: 'p-new',
		driveId: 'drive-1',
		folderPath: '/Reeldrive',
		originalName: 'clip.mp4',
		nameFixes: [],
		mimeType: 'video/mp4',
		meta: null,
		poster: null,
		state: createUploadJob({ id, name: 'clip.mp4', size: data.length, target: { kind: 'folder', parentId: 'FOLDER-1' }, graphBaseUrl: GRAPH, checkDuplicates: { known } }, 0),
		createdAt: 0
	};
	await ledger.add(record);
	await keepWhole(ledger, id, new Blob([data as BlobPart]));
	return record;
}

/** A file already in the target folder. */
function inFolder(w: World, id: string, data: Uint8Array, name = 'clip.mp4'): void {
	w.drive.items.set(id, { id, parentId: 'FOLDER-1', name, bytes: data });
}

/** A video of the person's library (a videos row) whose file is elsewhere in their OneDrive. */
function inLibrary(data: Uint8Array, overrides: Partial<ExistingCopy> = {}): ExistingCopy {
	return {
		source: 'library',
		videoId: 'video-old',
		productId: 'p-old',
		productTitle: 'Espresso grinder',
		itemId: 'item-lib',
		driveId: 'drive-1',
		name: 'grinder.mp4',
		folderPath: '/Videos',
		size: data.length,
		quickXorHash: quickXorHash(data),
		webUrl: 'https://onedrive.fake/item-lib',
		...overrides
	};
}

const sessionsAsked = (w: World) => w.drive.log.filter((entry) => entry.url.includes('createUploadSession'));

async function settle(scheduler: UploadScheduler): Promise<void> {
	await scheduler.pump(BUDGET);
}

describe('never the same video twice', () => {
	it('a copy in the target folder with the same size and hash stops the job before any upload session is made', async () => {
		const w = world();
		const { ledger, scheduler } = await context(w);
		const data = pseudoRandomBytes(3 * MiB, 7);
		inFolder(w, 'item-old', data);
		await queue(ledger, 'j1', data);
		await settle(scheduler);
		const { state } = (await ledger.get('j1'))!;
		expect(state.status).toBe('paused');
		expect(state.pause).toBe('duplicate');
		expect(state.duplicates?.match).toMatchObject({ source: 'folder', itemId: 'item-old', name: 'clip.mp4', size: data.length });
		expect(sessionsAsked(w)).toEqual([]);
		expect(w.drive.puts()).toEqual([]);
		expect(w.drive.filesIn('FOLDER-1')).toHaveLength(1);
		// It waits for the person: another pump changes nothing.
		await settle(scheduler);
		expect((await ledger.get('j1'))!.state.pause).toBe('duplicate');
		expect(sessionsAsked(w)).toEqual([]);
	});

	it('a library copy is recognised from its row, and "link the existing video" leaves one row, pointing at that file, and no kept bytes', async () => {
		const w = world();
		const { ledger, scheduler } = await context(w);
		const data = pseudoRandomBytes(2 * MiB, 11);
		const copy = inLibrary(data);
		w.drive.items.set('item-lib', { id: 'item-lib', parentId: 'root', name: 'grinder.mp4', bytes: data });
		await queue(ledger, 'j1', data, [copy]);
		await settle(scheduler);
		expect((await ledger.get('j1'))!.state.duplicates?.match).toEqual(copy);
		await scheduler.command('j1', 'link-existing');
		const { state } = (await ledger.get('j1'))!;
		expect(state.status).toBe('done');
		expect(state.verified).toBe(true);
		expect(state.item).toMatchObject({ id: 'item-lib', quickXorHash: quickXorHash(data) });
		expect(state.duplicates?.phase).toBe('linked');
		expect(sessionsAsked(w)).toEqual([]);
		expect(w.drive.puts()).toEqual([]);
		await ledger.freed();
		expect(await ledger.stagedBytes('j1')).toBe(0);
		// The library keeps its one row: the upload's own row goes and the old one takes its product.
		const [entry] = await ledger.outboxFor(ALICE.appUserId);
		expect(entry).toMatchObject({ id: 'j1', row: null, linkTo: { videoId: 'video-old', productId: 'p-new' } });
	});

	it('linking a copy found only in the folder records that file in the upload\'s own row (one row, one file)', async () => {
		const w = world();
		const { ledger, scheduler } = await context(w);
		const data = pseudoRandomBytes(MiB + 5, 3);
		inFolder(w, 'item-old', data, 'clip (original).mp4');
		await queue(ledger, 'j1', data);
		await settle(scheduler);
		await scheduler.command('j1', 'link-existing');
		const [entry] = await ledger.outboxFor(ALICE.appUserId);
		expect(entry?.linkTo).toBeUndefined();
		expect(entry?.row).toMatchObject({ id: 'j1', item_id: 'item-old', name: 'clip (original).mp4', status: 'synced', product_id: 'p-new', quick_xor_hash: quickXorHash(data) });
		expect(w.drive.filesIn('FOLDER-1').map((item) => item.id)).toEqual(['item-old']);
	});

	it('"upload a second copy anyway" uploads it, and never asks again, even after a reload', async () => {
		const w = world();
		const data = pseudoRandomBytes(2 * MiB, 5);
		inFolder(w, 'item-old', data);
		const before = await context(w);
		await queue(before.ledger, 'j1', data);
		await settle(before.scheduler);
		await before.scheduler.command('j1', 'upload-anyway');
		expect((await before.ledger.get('j1'))!.state).toMatchObject({ status: 'queued', duplicates: { phase: 'ignored' } });
		// A reload: a new context over the same storage runs it.
		const after = await context(w);
		await settle(after.scheduler);
		const { state } = (await after.ledger.get('j1'))!;
		expect(state.status).toBe('done');
		expect(sessionsAsked(w)).toHaveLength(1);
		const files = w.drive.filesIn('FOLDER-1');
		expect(files.map((item) => item.name).sort()).toEqual(['clip 1.mp4', 'clip.mp4']);
		expect(files.every((item) => quickXorHash(item.bytes) === quickXorHash(data))).toBe(true);
		// A restarted session from byte 0 does not look again either.
		expect(w.events.filter((event) => event.type === 'state-changed' && event.pause === 'duplicate')).toHaveLength(1);
	});

	it('a library row whose file was deleted from OneDrive since is no duplicate: the video uploads', async () => {
		const w = world();
		const { ledger, scheduler } = await context(w);
		const data = pseudoRandomBytes(MiB, 61);
		await queue(ledger, 'j1', data, [inLibrary(data, { itemId: 'item-deleted' })]);
		await settle(scheduler);
		const { state } = (await ledger.get('j1'))!;
		expect(state).toMatchObject({ status: 'done', duplicates: { phase: 'clear' } });
		expect(w.drive.log.some((entry) => entry.method === 'GET' && entry.url.includes('/items/item-deleted'))).toBe(true);
		expect(quickXorHash(w.drive.items.get(state.item!.id)!.bytes)).toBe(quickXorHash(data));
	});

	it('a file of the same size but other bytes uploads normally', async () => {
		const w = world();
		const { ledger, scheduler } = await context(w);
		const data = pseudoRandomBytes(2 * MiB, 21);
		const other = pseudoRandomBytes(2 * MiB, 22);
		inFolder(w, 'item-old', other);
		await queue(ledger, 'j1', data, [inLibrary(other)]);
		await settle(scheduler);
		const { state } = (await ledger.get('j1'))!;
		expect(state.status).toBe('done');
		expect(state.duplicates?.phase).toBe('clear');
		expect(quickXorHash(w.drive.items.get(state.item!.id)!.bytes)).toBe(quickXorHash(data));
		// It was compared: the file was read once for the check before uploading.
		expect(w.events.some((event) => event.type === 'checking')).toBe(true);
	});

	it('with no copy of the same size the file is not hashed before uploading', async () => {
		const w = world();
		const { ledger, scheduler } = await context(w);
		const data = pseudoRandomBytes(2 * MiB, 31);
		inFolder(w, 'item-old', pseudoRandomBytes(2 * MiB + 1, 32));
		await queue(ledger, 'j1', data, [inLibrary(pseudoRandomBytes(3 * MiB, 33))]);
		await settle(scheduler);
		expect((await ledger.get('j1'))!.state).toMatchObject({ status: 'done', duplicates: { phase: 'clear' } });
		expect(w.events.filter((event) => event.type === 'checking')).toEqual([]);
		// Only the upload read the file, once through.
		expect(w.reads.reduce((sum, [start, end]) => sum + end - start, 0)).toBe(data.length);
	});

	it('a Cancel arriving while the folder is being listed stops the job, and no session is ever made', async () => {
		const w = world();
		const { ledger, scheduler } = await context(w);
		const data = pseudoRandomBytes(MiB, 41);
		inFolder(w, 'item-old', data);
		await queue(ledger, 'j1', data);
		const listing = gate();
		let listed: () => void = () => {};
		const reached = new Promise<void>((resolve) => (listed = resolve));
		w.drive.intercept = (req) => {
			if (req.method !== 'GET' || !req.url.includes('/children')) return undefined;
			listed();
			return { hold: listing.hold };
		};
		const pumping = scheduler.pump(BUDGET);
		await reached;
		await scheduler.command('j1', 'cancel');
		listing.release();
		await pumping;
		expect((await ledger.get('j1'))!.state.status).toBe('cancelled');
		expect(sessionsAsked(w)).toEqual([]);
		expect(w.drive.log.find((entry) => entry.url.includes('/children'))?.aborted).toBe(true);
	});

	it('a Pause arriving while the file is hashed keeps how far it got; Resume carries on from there and still finds the copy', async () => {
		const w = world();
		const { ledger, scheduler } = await context(w);
		const data = pseudoRandomBytes(17 * MiB, 51);
		inFolder(w, 'item-old', data);
		await queue(ledger, 'j1', data);
		const reading = gate();
		let reached: () => void = () => {};
		const atSecondChunk = new Promise<void>((resolve) => (reached = resolve));
		w.holdRead = { at: 8 * MiB, hold: reading.hold, reached };
		const pumping = scheduler.pump(BUDGET);
		await atSecondChunk;
		const pausing = scheduler.command('j1', 'pause');
		reading.release();
		await pausing;
		await pumping;
		const paused = (await ledger.get('j1'))!.state;
		expect(paused).toMatchObject({ status: 'paused', pause: 'user', duplicates: { phase: 'hashing' } });
		expect(paused.duplicates?.hash?.length).toBe(16 * MiB);
		expect(sessionsAsked(w)).toEqual([]);
		w.reads = [];
		await scheduler.command('j1', 'resume');
		await settle(scheduler);
		const found = (await ledger.get('j1'))!.state;
		expect(found).toMatchObject({ status: 'paused', pause: 'duplicate', duplicates: { phase: 'found', match: { itemId: 'item-old' } } });
		// Only the rest was read.
		expect(w.reads).toEqual([[16 * MiB, 17 * MiB]]);
		expect(sessionsAsked(w)).toEqual([]);
		// A plain Pause or Resume does not answer the question: it still waits for the person.
		await scheduler.command('j1', 'pause');
		await scheduler.command('j1', 'resume');
		await settle(scheduler);
		expect((await ledger.get('j1'))!.state.pause).toBe('duplicate');
		expect(sessionsAsked(w)).toEqual([]);
	});
});
