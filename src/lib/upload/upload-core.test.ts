import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MIN_FRAGMENT_SIZE, START_FRAGMENT_SIZE } from './fragment-plan';
import type { NewUploadJob } from './job';
import { BytesNotHereError, StorageFullError } from './errors';
import { describeFailure, describePause, describeUploadError } from './messages';
import { quickXorHash } from './quickxorhash';
import {
	GRAPH,
	T0,
	UPLOAD_URL,
	BlobBytes,
	MemoryStore,
	accepted,
	expectCreateSession,
	expectDelete,
	expectGraphGet,
	expectPut,
	expectStatusGet,
	graphError,
	hangUntilAborted,
	harness,
	itemFor,
	json,
	networkFailure,
	pseudoRandomBytes,
	restartedHarness,
	sessionCreated,
	sessionStatus,
	type Harness,
	transportFailures
} from './test-fakes';
import { UploadCore } from './upload-core';

const MiB = 1024 * 1024;
const F = START_FRAGMENT_SIZE; // 10 MiB
/** A fragment after one failure: half of F. */
const HALF = F / 2;
const TINY = new Uint8Array(readFileSync(join(process.cwd(), 'tests/fixtures/videos/tiny-64x64-1s.mp4')));
const BIG = pseudoRandomBytes(2 * F + MiB + 1234, 99); // fragments: 10 MiB, 10 MiB, 1 MiB + 1234
const LAST = BIG.length - 1;

function start(h: Harness, job: Partial<NewUploadJob> = {}) {
	return UploadCore.start(h.ports, {
		id: 'job-1',
		name: 'clip.mp4',
		size: h.bytes.size,
		target: { kind: 'folder', parentId: 'FOLDER-1' },
		graphBaseUrl: GRAPH,
		...job
	});
}

// A failed request assertion reaches the core as a thrown send(); make sure no test shrugs it off.
afterEach(() => {
	const failures = transportFailures.splice(0);
	if (failures.length > 0) throw failures[0];
});

const created = (data: Uint8Array, overrides: Record<string, unknown> = {}) => json(201, itemFor(data, overrides));

/** The three PUTs of BIG with 202s in both range forms and a final 201. */
function bigUploadSteps(h: Harness) {
	h.transport.then(
		expectPut('fragment 1', BIG, 0, F - 1, accepted([`${F}-`])),
		expectPut('fragment 2', BIG, F, 2 * F - 1, accepted([`${2 * F}-${LAST}`])),
		expectPut('fragment 3', BIG, 2 * F, LAST, created(BIG))
	);
}

describe('happy paths', () => {
	it('uploads a small video in one fragment and verifies its hash', async () => {
		const h = harness(TINY);
		h.transport.then(
			expectCreateSession('create', sessionCreated(), {
				body: { item: { '@microsoft.graph.conflictBehavior': 'rename', name: 'clip.mp4', fileSize: 1565 } }
			}),
			expectPut('only fragment', TINY, 0, 1564, created(TINY))
		);
		const core = await start(h);
		const result = await core.runSlice();
		h.transport.expectFinished();
		expect(result.outcome).toBe('done');
		expect(result.state).toMatchObject({ status: 'done', verified: true, acknowledged: 1565, session: null });
		expect(result.state.item).toMatchObject({ id: 'ITEM-1', driveId: 'drive-1', quickXorHash: 'O7EmWZJYPdg+F4ZYFwQOiOD10y4=' });
		expect(h.events.states()).toEqual(['uploading', 'verifying', 'done']);
		expect(h.events.ofType('verified')).toEqual([
			{ type: 'verified', jobId: 'job-1', quickXorHash: 'O7EmWZJYPdg+F4ZYFwQOiOD10y4=', verified: true }
		]);
		expect(h.store.state?.status).toBe('done');
		expect(h.clock.sleeps).toEqual([]);
	});

	it('uploads a multi-fragment file in 320 KiB-aligned fragments, reading both nextExpectedRanges forms', async () => {
		const h = harness(BIG);
		h.transport.then(expectCreateSession('create', sessionCreated()));
		bigUploadSteps(h);
		const core = await start(h);
		expect((await core.runSlice()).outcome).toBe('done');
		h.transport.expectFinished();
		expect(h.events.ofType('progress').map((e) => e.acknowledged)).toEqual([F, 2 * F, BIG.length]);
		// persisted after every acknowledged fragment, with the hash of exactly the acknowledged prefix
		const acked = h.store.saves.filter((s) => s.status === 'uploading').map((s) => [s.acknowledged, s.hash.length]);
		expect(acked).toContainEqual([F, F]);
		expect(acked).toContainEqual([2 * F, 2 * F]);
	});

	it('accepts 200 (replaced item) as completion like 201', async () => {
		const h = harness(TINY);
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('put', TINY, 0, 1564, json(200, itemFor(TINY))));
		expect((await (await start(h)).runSlice()).outcome).toBe('done');
	});

	it('addresses the folder by path, percent-encoding each segment, and by drive id', async () => {
		const h = harness(TINY);
		h.transport.then(
			expectCreateSession('create by path', sessionCreated(), {
				url: `${GRAPH}/drives/b!drive%2F1/root:/Videos/Spring%20launch%20%232/clip%20%25.mp4:/createUploadSession`,
				body: { item: { '@microsoft.graph.conflictBehavior': 'fail', name: 'clip %.mp4', fileSize: 1565 } }
			}),
			expectPut('put', TINY, 0, 1564, created(TINY))
		);
		const core = await start(h, {
			name: 'clip %.mp4',
			conflictBehavior: 'fail',
			target: { kind: 'path', folderPath: '/Videos/Spring launch #2/', driveId: 'b!drive/1' }
		});
		expect((await core.runSlice()).outcome).toBe('done');
	});

	it('reads the next fragment while the current one is sending, holding at most two fragments', async () => {
		const h = harness(BIG, { blobs: false });
		const readsDuringPut: Array<Array<[number, number]>> = [];
		h.transport.onSend = (req) => {
			if (req.method === 'PUT') readsDuringPut.push([...h.bytes.reads]);
		};
		h.transport.then(expectCreateSession('create', sessionCreated()));
		bigUploadSteps(h);
		await (await start(h)).runSlice();
		expect(readsDuringPut[0]).toEqual([
			[0, F],
			[F, 2 * F]
		]);
		expect(readsDuringPut[1]).toContainEqual([2 * F, BIG.length]);
		// every byte read exactly once
		expect(h.bytes.reads.reduce((n, [a, b]) => n + b - a, 0)).toBe(BIG.length);
	});
});

describe('fragments sent as Blobs (a picked file, kept pieces)', () => {
	it('sends each fragment as a Blob of its range and hashes it from reads of at most 4 MiB: no fragment held in memory', async () => {
		const h = harness(BIG, { blobs: true });
		const held: number[] = [];
		h.transport.then(expectCreateSession('create', sessionCreated()));
		bigUploadSteps(h);
		const core = await start(h);
		h.transport.onSend = (req) => {
			if (req.method === 'PUT') held.push(core.heldBytes());
		};
		expect((await core.runSlice()).state).toMatchObject({ status: 'done', verified: true });
		h.transport.expectFinished();
		expect(h.transport.bodyKinds).toEqual(['text', 'blob', 'blob', 'blob']);
		expect((h.bytes as BlobBytes).blobs).toEqual([
			[0, F],
			[F, 2 * F],
			[2 * F, BIG.length]
		]);
		expect(held).toEqual([0, 0, 0]);
		expect(Math.max(...h.bytes.reads.map(([a, b]) => b - a))).toBeLessThanOrEqual(4 * MiB);
		// every byte read exactly once, in order
		expect(h.bytes.reads.reduce((n, [a, b]) => n + b - a, 0)).toBe(BIG.length);
		expect(h.bytes.reads.every(([a], i) => i === 0 || a === h.bytes.reads[i - 1]![1])).toBe(true);
		// Every read went into one buffer, handed back in each time: no new buffer per step.
		const into = h.bytes as BlobBytes;
		expect(into.handed).toHaveLength(h.bytes.reads.length);
		expect(into.handed.slice(1).every((buffer, i) => buffer === into.returned[i])).toBe(true);
		expect(into.handedSizes).toEqual(into.handed.map(() => 4 * MiB));
	});

	it('a file that turns unreadable while its fragment travels: the acknowledgement does not count without the hash, and a retry catches up', async () => {
		const h = harness(BIG, { blobs: true });
		const bytes = h.bytes as BlobBytes;
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('fragment 1', BIG, 0, F - 1, accepted([`${F}-`])),
			expectPut('fragment 2, sent while its bytes could not be read back', BIG, F, 2 * F - 1, accepted([`${2 * F}-`]))
		);
		const core = await start(h);
		expect((await core.runSlice({ maxFragments: 1 })).state.acknowledged).toBe(F);
		bytes.readFailsFrom = { at: F + 1, error: () => new Error('NotReadableError') };
		const failed = await core.runSlice();
		expect(failed.state).toMatchObject({ status: 'error', acknowledged: F });
		expect(failed.state.error).toMatchObject({ code: 'file-unreadable', retryable: true });
		expect(failed.state.hash.length).toBe(F);
		expect(h.store.state).toMatchObject({ status: 'error', acknowledged: F });

		bytes.readFailsFrom = null;
		h.transport.then(expectStatusGet('where are we', sessionStatus([`${2 * F}-`])), expectPut('fragment 3', BIG, 2 * F, LAST, created(BIG)));
		await core.retry();
		expect((await core.runSlice()).state).toMatchObject({ status: 'done', verified: true });
		h.transport.expectFinished();
		// Fragment 2 went once: OneDrive had kept it, and only its hash was caught up.
		expect(h.transport.bytesSent()).toBe(BIG.length);
	});

	it('bytes gone while hashing (no file, no kept piece): waits for the file, then catches up without sending again', async () => {
		const h = harness(BIG, { blobs: true });
		const bytes = h.bytes as BlobBytes;
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('fragment 1', BIG, 0, F - 1, accepted([`${F}-`])));
		const core = await start(h);
		bytes.readFailsFrom = { at: 1, error: () => new BytesNotHereError(0) };
		const waiting = await core.runSlice();
		expect(waiting.state).toMatchObject({ status: 'paused', pause: 'needs-file', acknowledged: 0 });
		expect(describePause('needs-file')).toMatch(/same file/i);

		bytes.readFailsFrom = null;
		h.transport.then(
			expectStatusGet('where are we', sessionStatus([`${F}-`])),
			expectPut('fragment 2', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])),
			expectPut('fragment 3', BIG, 2 * F, LAST, created(BIG))
		);
		expect((await core.runSlice()).state).toMatchObject({ status: 'done', verified: true });
		h.transport.expectFinished();
		expect(h.transport.bytesSent()).toBe(BIG.length);
	});
});

describe('writing the state while the next fragment travels', () => {
	it('the next fragment leaves before the last acknowledgement is written; writes keep their order and the slice ends with all stored', async () => {
		const h = harness(BIG);
		let release: () => void = () => {};
		const slowWrite = new Promise<void>((resolve) => (release = resolve));
		const save = h.store.save.bind(h.store);
		h.store.save = async (state) => {
			if (state.acknowledged === F && state.status === 'uploading') await slowWrite;
			await save(state);
		};
		const storedWhenSent: number[] = [];
		h.transport.onSend = (req) => {
			if (req.method !== 'PUT') return;
			storedWhenSent.push(h.store.state!.acknowledged);
			// The write of fragment 1's acknowledgement ends while fragment 2 travels.
			if (req.headers['Content-Range']!.startsWith(`bytes ${F}-`)) queueMicrotask(release);
		};
		h.transport.then(expectCreateSession('create', sessionCreated()));
		bigUploadSteps(h);
		const result = await (await start(h)).runSlice();
		expect(result.state).toMatchObject({ status: 'done', verified: true });
		// Fragment 2 left while the store still said 0: it did not wait for the write.
		expect(storedWhenSent).toEqual([0, 0, 2 * F]);
		const acks = h.store.saves.map((s) => s.acknowledged);
		expect(acks).toEqual([...acks].sort((a, b) => a - b));
		expect(h.store.saves.filter((s) => s.status === 'uploading').map((s) => [s.acknowledged, s.hash.length])).toContainEqual([F, F]);
		expect(h.store.state).toMatchObject({ status: 'done', acknowledged: BIG.length });
	});

	it('a kill while the write of an acknowledgement is pending: the next engine resumes from the state before it, sending nothing twice', async () => {
		const h1 = harness(BIG);
		const save = h1.store.save.bind(h1.store);
		// The process dies before the write of fragment 1's acknowledgement lands.
		h1.store.save = async (state) => {
			if (state.acknowledged === F) return new Promise<void>(() => {});
			await save(state);
		};
		h1.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('1', BIG, 0, F - 1, accepted([`${F}-`])),
			expectPut('2, never answered: the process is gone', BIG, F, 2 * F - 1, hangUntilAborted)
		);
		const core = await start(h1);
		void core.runSlice();
		await vi.waitFor(() => expect(h1.transport.sent.filter((r) => r.method === 'PUT')).toHaveLength(2));
		expect(h1.store.state).toMatchObject({ acknowledged: 0, session: expect.objectContaining({ uploadUrl: UPLOAD_URL }) });

		// What the disk holds is all the next process has (the dead one's pending write is gone).
		const disk = new MemoryStore();
		disk.state = JSON.parse(JSON.stringify(h1.store.state));
		const h2 = restartedHarness({ ...h1, store: disk });
		h2.transport.then(
			expectStatusGet('OneDrive has fragment 1', sessionStatus([`${F}-`])),
			expectPut('2', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])),
			expectPut('3', BIG, 2 * F, LAST, created(BIG))
		);
		const result = await new UploadCore(h2.ports).runSlice();
		h2.transport.expectFinished();
		expect(result.state).toMatchObject({ status: 'done', verified: true, acknowledged: BIG.length });
		expect(h2.transport.bytesSent()).toBe(BIG.length - F);
	});

	it('a write that fails (not for room) ends the slice with that error, and nothing after it is written', async () => {
		const h = harness(BIG);
		const save = h.store.save.bind(h.store);
		h.store.save = async (state) => {
			if (state.acknowledged === F && state.status === 'uploading') throw new Error('the job was removed meanwhile');
			await save(state);
		};
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('1', BIG, 0, F - 1, accepted([`${F}-`])),
			expectPut('2', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])),
			expectPut('3', BIG, 2 * F, LAST, created(BIG))
		);
		const core = await start(h);
		const savesBefore = h.store.saves.length;
		await expect(core.runSlice()).rejects.toThrow('the job was removed meanwhile');
		expect(h.store.saves.slice(savesBefore).every((s) => s.acknowledged < F)).toBe(true);
	});
});

describe('session creation faults', () => {
	it('507 stops with onedrive-full before any byte moves', async () => {
		const h = harness(BIG);
		h.transport.then(expectCreateSession('create', graphError(507, 'quotaLimitReached')));
		const result = await (await start(h)).runSlice();
		h.transport.expectFinished();
		expect(result.outcome).toBe('stopped');
		expect(result.state.status).toBe('error');
		expect(result.state.error).toMatchObject({ code: 'onedrive-full', retryable: true, context: { status: 507 } });
		expect(h.transport.bytesSent()).toBe(0);
		expect(describeUploadError(result.state.error!)).toBe('Your OneDrive is full. Free up space or add storage, then retry.');
	});

	it('401 refreshes the token once and retries', async () => {
		const h = harness(TINY);
		h.tokens.queue.push({ kind: 'token', accessToken: 'stale' }, { kind: 'token', accessToken: 'token-1' });
		h.transport.then(
			expectCreateSession('create with stale token', graphError(401, 'InvalidAuthenticationToken'), { token: 'stale' }),
			expectCreateSession('create with fresh token', sessionCreated()),
			expectPut('put', TINY, 0, 1564, created(TINY))
		);
		expect((await (await start(h)).runSlice()).outcome).toBe('done');
		expect(h.tokens.calls).toEqual([false, true]);
	});

	it('a second 401 pauses for sign-in instead of failing, and resume() carries on', async () => {
		const h = harness(TINY);
		h.transport.then(
			expectCreateSession('create', graphError(401, 'InvalidAuthenticationToken')),
			expectCreateSession('create after refresh', graphError(401, 'InvalidAuthenticationToken'))
		);
		const core = await start(h);
		const result = await core.runSlice();
		expect(result).toMatchObject({ outcome: 'stopped', state: { status: 'paused', pause: 'needs-sign-in' } });
		// Run again while Microsoft still wants the person: it asks for a token, gets none, sends nothing.
		h.tokens.queue.push({ kind: 'sign-in-required' });
		expect((await core.runSlice()).outcome).toBe('stopped');
		expect(h.transport.sent).toHaveLength(2);
		h.transport.then(expectCreateSession('create after sign-in', sessionCreated()), expectPut('put', TINY, 0, 1564, created(TINY)));
		await core.resume();
		expect((await core.runSlice()).outcome).toBe('done');
		h.transport.expectFinished();
	});

	it('with no page open to give a token, waits with "Open Reeldrive to continue" and continues later', async () => {
		const h = harness(TINY);
		h.tokens.queue.push({ kind: 'no-page' });
		const core = await start(h);
		const result = await core.runSlice();
		expect(result).toMatchObject({ outcome: 'stopped', state: { status: 'paused', pause: 'needs-page', error: null } });
		expect(describePause('needs-page')).toBe('Open Reeldrive to continue.');
		expect(h.transport.sent).toEqual([]);
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('put', TINY, 0, 1564, created(TINY)));
		expect((await core.runSlice()).outcome).toBe('done'); // a page opened: no command needed
	});

	it('sign-in-required from the token source pauses for sign-in', async () => {
		const h = harness(TINY);
		h.tokens.queue.push({ kind: 'sign-in-required' });
		const result = await (await start(h)).runSlice();
		expect(result.state).toMatchObject({ status: 'paused', pause: 'needs-sign-in' });
	});

	it('a token source that throws is retried after a backoff', async () => {
		const h = harness(TINY);
		h.tokens.queue.push(new Error('port closed'));
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('put', TINY, 0, 1564, created(TINY)));
		expect((await (await start(h)).runSlice()).outcome).toBe('done');
		expect(h.clock.sleeps).toEqual([500]);
	});

	it('409 nameAlreadyExists with conflictBehavior fail → conflict; "keep both" starts again with rename', async () => {
		const h = harness(TINY);
		h.transport.then(expectCreateSession('create', graphError(409, 'nameAlreadyExists')));
		const core = await start(h, { conflictBehavior: 'fail' });
		const result = await core.runSlice();
		expect(result.state).toMatchObject({ status: 'conflict', error: { code: 'name-conflict', context: { conflictBehavior: 'fail' } } });
		h.transport.then(
			expectCreateSession('create with rename', sessionCreated(), {
				body: { item: { '@microsoft.graph.conflictBehavior': 'rename', name: 'clip.mp4', fileSize: 1565 } }
			}),
			expectPut('put', TINY, 0, 1564, created(TINY, { name: 'clip 1.mp4' }))
		);
		await core.resolveConflict('rename');
		const done = await core.runSlice();
		expect(done.state.item?.name).toBe('clip 1.mp4');
		h.transport.expectFinished();
	});

	it.each([
		[403, 'accessDenied', 'access-denied'],
		[404, 'itemNotFound', 'folder-not-found'],
		[400, 'invalidRequest', 'request-rejected']
	])('%i %s at creation → %s', async (status, graphCode, code) => {
		const h = harness(TINY);
		h.transport.then(expectCreateSession('create', graphError(status, graphCode)));
		const result = await (await start(h)).runSlice();
		expect(result.state.error).toMatchObject({ code, context: { status, graphCode } });
	});

	it('a network failure or 5xx at creation backs off and retries', async () => {
		const h = harness(TINY);
		h.transport.then(
			expectCreateSession('create: network', networkFailure),
			expectCreateSession('create: 502', graphError(502, 'generalException')),
			expectCreateSession('create', sessionCreated()),
			expectPut('put', TINY, 0, 1564, created(TINY))
		);
		expect((await (await start(h)).runSlice()).outcome).toBe('done');
		expect(h.clock.sleeps).toEqual([500, 1000]); // full jitter (random 0.5) of 1 s, 2 s
	});
});

describe('fragment faults', () => {
	async function midUpload(h: Harness) {
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('fragment 1', BIG, 0, F - 1, accepted([`${F}-`])));
		const core = await start(h);
		expect((await core.runSlice({ maxFragments: 1 })).outcome).toBe('yield');
		return core;
	}

	it.each([
		['429 with Retry-After seconds', 429, { 'retry-after': '7' }, 7000],
		['503 with Retry-After seconds', 503, { 'retry-after': '31' }, 31000],
		// the 429 arrives 8 s in (two 4-second fragments), so the date is 52 s away
		['429 with Retry-After as an HTTP date', 429, { 'retry-after': new Date(T0 + 60_000).toUTCString() }, 52_000],
		['429 with Retry-After hidden by CORS', 429, {}, 500]
	])('%s waits, then resends the same fragment', async (_label, status, headers, expectedSleep) => {
		const h = harness(BIG);
		const core = await midUpload(h);
		const sizeBefore = (await core.state()).plan.size;
		h.transport.then(
			expectPut('throttled', BIG, F, 2 * F - 1, graphError(status, 'activityLimitReached', 'throttledRequest', headers)),
			...(status === 503 ? [expectStatusGet('where are we', sessionStatus([`${F}-`]))] : []),
			expectPut('again', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])),
			expectPut('last', BIG, 2 * F, LAST, created(BIG))
		);
		expect((await core.runSlice()).outcome).toBe('done');
		h.transport.expectFinished();
		expect(h.clock.sleeps).toEqual([expectedSleep]);
		expect(h.events.ofType('retry-scheduled')[0]).toMatchObject({ attempt: 1, cause: `http-${status}` });
		expect(sizeBefore).toBe(F); // throttling does not shrink fragments
	});

	it('500 backs off with jitter, shrinks the fragment size, asks the session where it is, and resends', async () => {
		const h = harness(BIG);
		const core = await midUpload(h);
		h.transport.then(
			expectPut('500', BIG, F, 2 * F - 1, graphError(500, 'generalException')),
			expectStatusGet('status', sessionStatus([`${F}-`])),
			expectPut('smaller fragment', BIG, F, F + HALF - 1, accepted([`${F + HALF}-`]))
		);
		expect((await core.runSlice({ maxFragments: 2 })).outcome).toBe('yield');
		h.transport.expectFinished();
		expect(h.clock.sleeps).toEqual([500]);
	});

	it('a network failure while online backs off and resumes from what the session holds', async () => {
		const h = harness(BIG);
		const core = await midUpload(h);
		h.transport.then(
			expectPut('dropped', BIG, F, 2 * F - 1, networkFailure),
			// the server kept part of it before the connection died
			expectStatusGet('status', sessionStatus(['11000000-'])),
			expectPut('rest', BIG, 11_000_000, 11_000_000 + HALF - 1, accepted([`${11_000_000 + HALF}-`]))
		);
		await core.runSlice({ maxFragments: 2 });
		h.transport.expectFinished();
		expect(h.events.ofType('realigned')).toEqual([{ type: 'realigned', jobId: 'job-1', from: F, to: 11_000_000 }]);
		expect((await core.state()).hash.length).toBe(11_000_000 + HALF);
	});

	it('a transport that throws counts as a network failure', async () => {
		const h = harness(BIG);
		const core = await midUpload(h);
		h.transport.then(
			expectPut('throws', BIG, F, 2 * F - 1, () => {
				throw new TypeError('Failed to fetch');
			})
		);
		const result = await core.runSlice({ maxFragments: 1 });
		expect(result).toMatchObject({ outcome: 'wait', until: T0 + 8000 + 500 });
		expect(h.events.ofType('retry-scheduled')[0]).toMatchObject({ cause: 'network' });
	});

	it('a network failure while offline pauses (not fails) and continues by itself once online', async () => {
		const h = harness(BIG);
		const core = await midUpload(h);
		h.transport.then(
			expectPut('dropped', BIG, F, 2 * F - 1, () => {
				h.connectivity.online = false;
				return networkFailure;
			})
		);
		const paused = await core.runSlice();
		expect(paused).toMatchObject({ outcome: 'stopped', state: { status: 'paused', pause: 'offline', error: null, acknowledged: F } });
		expect(h.events.ofType('retry-scheduled')).toEqual([]);
		expect((await core.runSlice()).outcome).toBe('stopped'); // still offline: nothing sent
		expect(h.transport.script).toEqual([]);
		h.connectivity.online = true;
		h.transport.then(
			expectStatusGet('status', sessionStatus([`${F}-`])),
			expectPut('fragment 2', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])),
			expectPut('fragment 3', BIG, 2 * F, LAST, created(BIG))
		);
		expect((await core.runSlice()).outcome).toBe('done');
		h.transport.expectFinished();
	});

	it('does not even try while the platform says offline', async () => {
		const h = harness(TINY);
		h.connectivity.online = false;
		const result = await (await start(h)).runSlice();
		expect(result.state).toMatchObject({ status: 'paused', pause: 'offline' });
		expect(h.transport.sent).toEqual([]);
	});

	it('bounded attempts per fragment, then a retryable error; retry() continues from the acknowledged offset', async () => {
		const h = harness(BIG);
		const core = await midUpload(h);
		for (let i = 0; i < 9; i++) {
			h.transport.then(
				expectPut(`500 #${i + 1}`, BIG, F, F + Math.max(MIN_FRAGMENT_SIZE, F / 2 ** i) - 1, graphError(500, 'generalException')),
				...(i < 8 ? [expectStatusGet(`status #${i + 1}`, sessionStatus([`${F}-`]))] : [])
			);
		}
		const result = await core.runSlice();
		h.transport.expectFinished();
		expect(result.state).toMatchObject({
			status: 'error',
			acknowledged: F,
			error: { code: 'retries-exhausted', retryable: true, context: { cause: 'http-500', attempts: 8 } },
			// it heals by itself: a first automatic retry in a minute (less a fifth at most)
			autoRetryAt: h.clock.t + 54_000,
			autoRetries: 1
		});
		// exponential with full jitter at 0.5, capped at 120 s
		expect(h.clock.sleeps).toEqual([500, 1000, 2000, 4000, 8000, 16000, 32000, 60000]);
		h.transport.then(
			expectStatusGet('status', sessionStatus([`${F}-`])),
			expectPut('fragment 2 at last', BIG, F, F + MIN_FRAGMENT_SIZE - 1, accepted([`${F + MIN_FRAGMENT_SIZE}-`]))
		);
		await core.retry();
		expect((await core.runSlice({ maxFragments: 1 })).state.acknowledged).toBe(F + MIN_FRAGMENT_SIZE);
		expect((await core.state()).autoRetries).toBe(0);
	});

	it('416: asks the session where it stands and sends only what is missing', async () => {
		const h = harness(BIG);
		const core = await midUpload(h);
		h.transport.then(
			expectPut('overlap', BIG, F, 2 * F - 1, graphError(416, 'invalidRange', 'fragmentOverlap')),
			expectStatusGet('status', json(200, { expirationDateTime: new Date(T0 + 3600_000).toISOString(), nextExpectedRanges: [`${F + 3 * 327_680}-${LAST}`] })),
			expectPut('missing part', BIG, F + 3 * 327_680, 2 * F + 3 * 327_680 - 1, accepted([`${2 * F + 3 * 327_680}-`])),
			expectPut('last', BIG, 2 * F + 3 * 327_680, LAST, created(BIG))
		);
		expect((await core.runSlice()).state).toMatchObject({ status: 'done', verified: true });
		h.transport.expectFinished();
	});

	it('404 on a fragment: the session is gone, so a new one starts from byte 0', async () => {
		const h = harness(BIG);
		const core = await midUpload(h);
		const URL2 = 'https://upload.test/up/session-2';
		h.transport.then(
			expectPut('gone', BIG, F, 2 * F - 1, graphError(404, 'itemNotFound')),
			expectCreateSession('new session', sessionCreated(URL2)),
			expectPut('from zero', BIG, 0, F - 1, accepted([`${F}-`]), URL2),
			expectPut('2', BIG, F, 2 * F - 1, accepted([`${2 * F}-`]), URL2),
			expectPut('3', BIG, 2 * F, LAST, created(BIG), URL2)
		);
		expect((await core.runSlice()).state).toMatchObject({ status: 'done', verified: true });
		h.transport.expectFinished();
		expect(h.events.ofType('session-restarted')).toEqual([
			{ type: 'session-restarted', jobId: 'job-1', reason: 'session-not-found', discardedBytes: F }
		]);
	});

	it('401 on a fragment (the upload URL token expired) also starts a new session', async () => {
		const h = harness(BIG);
		const core = await midUpload(h);
		h.transport.then(
			expectPut('expired', BIG, F, 2 * F - 1, graphError(401, 'unauthenticated', 'expiredToken')),
			expectCreateSession('new session', sessionCreated()),
			expectPut('from zero', BIG, 0, F - 1, accepted([`${F}-`]))
		);
		const result = await core.runSlice({ maxFragments: 2 });
		expect(result.state.acknowledged).toBe(F);
		expect(h.events.ofType('session-restarted')[0]?.reason).toBe('upload-url-expired');
	});

	it('a session lost again and again ends in session-lost-repeatedly', async () => {
		const h = harness(TINY);
		h.transport.then(expectCreateSession('create', sessionCreated()));
		for (let i = 0; i < 4; i++) {
			h.transport.then(expectPut(`put ${i}`, TINY, 0, 1564, graphError(404, 'itemNotFound')));
			if (i < 3) h.transport.then(expectCreateSession(`recreate ${i}`, sessionCreated()));
		}
		const result = await (await start(h)).runSlice();
		h.transport.expectFinished();
		expect(result.state.error).toMatchObject({ code: 'session-lost-repeatedly', retryable: true });
	});

	it('a 202 that kept only a prefix: resends from where OneDrive stopped, keeping fragments aligned', async () => {
		const h = harness(BIG);
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('fragment 1', BIG, 0, F - 1, accepted(['5000000-'])),
			expectPut('resend tail', BIG, 5_000_000, 5_000_000 + HALF - 1, accepted([`${5_000_000 + HALF}-`]))
		);
		const result = await (await start(h)).runSlice({ maxFragments: 2 });
		h.transport.expectFinished();
		expect(result.state.acknowledged).toBe(5_000_000 + HALF);
		expect(result.state.hash.length).toBe(result.state.acknowledged);
	});

	it('a 202 saying OneDrive lost bytes it had acknowledged: rewinds (hash included) and resends', async () => {
		const h = harness(BIG);
		const core = await midUpload(h);
		h.transport.then(
			expectPut('fragment 2', BIG, F, 2 * F - 1, accepted(['4000000-'])),
			expectPut('from 4000000', BIG, 4_000_000, 4_000_000 + F - 1, accepted([`${4_000_000 + F}-`])),
			expectPut('last', BIG, 4_000_000 + F, LAST, created(BIG))
		);
		const result = await core.runSlice();
		h.transport.expectFinished();
		expect(result.state).toMatchObject({ status: 'done', verified: true });
	});

	it('a server that keeps accepting nothing cannot hold the job in a loop', async () => {
		const h = harness(TINY);
		h.transport.then(expectCreateSession('create', sessionCreated()));
		for (let i = 0; i <= 8; i++) h.transport.then(expectPut(`put ${i}`, TINY, 0, 1564, accepted(['0-'])));
		const result = await (await start(h)).runSlice();
		h.transport.expectFinished();
		expect(result.state.error).toMatchObject({ code: 'retries-exhausted', context: { cause: 'no-progress', attempts: 8 } });
	});

	it('409 on the final fragment → conflict', async () => {
		const h = harness(TINY);
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('final', TINY, 0, 1564, graphError(409, 'nameAlreadyExists')));
		const result = await (await start(h, { conflictBehavior: 'fail' })).runSlice();
		expect(result.state).toMatchObject({ status: 'conflict', error: { code: 'name-conflict' } });
	});

	it('507 on a fragment → onedrive-full', async () => {
		const h = harness(BIG);
		const core = await midUpload(h);
		h.transport.then(expectPut('full', BIG, F, 2 * F - 1, graphError(507, 'insufficientStorage')));
		expect((await core.runSlice()).state.error?.code).toBe('onedrive-full');
	});

	it('another 4xx on a fragment → fragment-rejected with the Graph code', async () => {
		const h = harness(BIG);
		const core = await midUpload(h);
		h.transport.then(expectPut('bad', BIG, F, 2 * F - 1, graphError(400, 'invalidRequest', 'fragmentLengthMismatch')));
		expect((await core.runSlice()).state.error).toMatchObject({
			code: 'fragment-rejected',
			context: { status: 400, graphCode: 'invalidRequest', start: F, end: 2 * F }
		});
	});

	it('a stored file that can no longer be read → file-unreadable', async () => {
		const h = harness(BIG);
		h.bytes.failFrom = F + 1;
		const core = await midUpload(h);
		const result = await core.runSlice();
		expect(result.state.error).toMatchObject({ code: 'file-unreadable', retryable: true });
	});
});

describe('session lifetime', () => {
	it('replaces a session nearing its 24-hour limit before it dies', async () => {
		const h = harness(BIG);
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('1', BIG, 0, F - 1, accepted([`${F}-`], T0 + 24 * 3600_000)));
		const core = await start(h);
		await core.runSlice({ maxFragments: 1 });
		h.clock.t = T0 + 23 * 3600_000 + 50 * 60_000; // 23 h 50 min in
		const URL2 = 'https://upload.test/up/session-2';
		h.transport.then(
			expectDelete('free the old session'),
			expectCreateSession('new session', sessionCreated(URL2, h.clock.t + 15 * 60_000)),
			expectPut('from zero', BIG, 0, F - 1, accepted([`${F}-`]), URL2)
		);
		await core.runSlice({ maxFragments: 1 });
		h.transport.expectFinished();
		expect(h.events.ofType('session-restarted')[0]).toMatchObject({ reason: 'session-age', discardedBytes: F });
	});

	it('checks a session whose expirationDateTime has passed before sending into it', async () => {
		const h = harness(BIG);
		h.transport.then(expectCreateSession('create', sessionCreated(UPLOAD_URL, T0 + 15 * 60_000)), expectPut('1', BIG, 0, F - 1, accepted([`${F}-`])));
		const core = await start(h);
		await core.runSlice({ maxFragments: 1 });
		h.clock.t = T0 + 3600_000; // paused for an hour: past the 15-minute expiry
		h.transport.then(
			expectStatusGet('status', graphError(404, 'itemNotFound')),
			expectCreateSession('new session', sessionCreated(UPLOAD_URL, T0 + 3600_000 + 15 * 60_000)),
			expectPut('from zero', BIG, 0, F - 1, accepted([`${F}-`]))
		);
		await core.runSlice({ maxFragments: 1 });
		h.transport.expectFinished();
	});

	it('a session still alive after its stated expiry is kept', async () => {
		const h = harness(BIG);
		h.transport.then(expectCreateSession('create', sessionCreated(UPLOAD_URL, T0 + 15 * 60_000)), expectPut('1', BIG, 0, F - 1, accepted([`${F}-`])));
		const core = await start(h);
		await core.runSlice({ maxFragments: 1 });
		h.clock.t = T0 + 3600_000;
		h.transport.then(
			expectStatusGet('status', sessionStatus([`${F}-`], T0 + 1800_000)),
			expectPut('2', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])),
			expectPut('3', BIG, 2 * F, LAST, created(BIG))
		);
		expect((await core.runSlice()).outcome).toBe('done');
		h.transport.expectFinished();
	});
});

describe('verification', () => {
	it('a hash mismatch is an error that keeps the bytes, never a silent success; retry replaces the bad copy', async () => {
		const h = harness(TINY);
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('put', TINY, 0, 1564, created(TINY, { id: 'BAD', file: { hashes: { quickXorHash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' } } }))
		);
		const core = await start(h);
		const result = await core.runSlice();
		expect(result.state).toMatchObject({
			status: 'error',
			replaceItemId: 'BAD',
			acknowledged: 0,
			error: { code: 'hash-mismatch', retryable: true, context: { expected: quickXorHash(TINY), reported: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' } }
		});
		expect(result.state.autoRetryAt).toBe(h.clock.t + 54_000);
		expect(describeFailure(result.state.error!, result.state.autoRetryAt, h.clock.t)).toBe(
			"OneDrive's copy did not match your video. Trying again by itself in about a minute."
		);
		h.transport.then(
			expectCreateSession('replace the bad item', sessionCreated(), {
				url: `${GRAPH}/me/drive/items/BAD/createUploadSession`,
				body: { item: { '@microsoft.graph.conflictBehavior': 'replace', name: 'clip.mp4', fileSize: 1565 } }
			}),
			expectPut('put again', TINY, 0, 1564, json(200, itemFor(TINY, { id: 'BAD' })))
		);
		await core.retry();
		expect((await core.runSlice()).state).toMatchObject({ status: 'done', verified: true });
		h.transport.expectFinished();
	});

	it('a size mismatch is an error too', async () => {
		const h = harness(TINY);
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('put', TINY, 0, 1564, created(TINY, { size: 1000 })));
		expect((await (await start(h)).runSlice()).state.error?.code).toBe('size-mismatch');
	});

	it('when the item has no hash yet, asks again later and verifies', async () => {
		const h = harness(TINY);
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('put', TINY, 0, 1564, created(TINY, { file: { mimeType: 'video/mp4', hashes: {} } })),
			expectGraphGet('look again', `${GRAPH}/drives/drive-1/items/ITEM-1?$select=id,name,size,file,webUrl,parentReference,video`, json(200, { ...itemFor(TINY), file: {} })),
			expectGraphGet('and again', `${GRAPH}/drives/drive-1/items/ITEM-1?$select=id,name,size,file,webUrl,parentReference,video`, json(200, itemFor(TINY)))
		);
		const result = await (await start(h)).runSlice();
		expect(result.state).toMatchObject({ status: 'done', verified: true, verifyLookups: 2 });
		expect(h.clock.sleeps).toEqual([2000, 10000]);
	});

	it('when OneDrive never reports a hash, finishes marked unverified (and says so)', async () => {
		const h = harness(TINY);
		const noHash = json(200, { ...itemFor(TINY), file: {} });
		const url = `${GRAPH}/drives/drive-1/items/ITEM-1?$select=id,name,size,file,webUrl,parentReference,video`;
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('put', TINY, 0, 1564, noHash),
			expectGraphGet('1', url, noHash),
			expectGraphGet('2', url, noHash),
			expectGraphGet('3', url, noHash)
		);
		const result = await (await start(h)).runSlice();
		expect(result.state).toMatchObject({ status: 'done', verified: false });
		expect(h.events.ofType('verified')[0]).toMatchObject({ verified: false });
	});

	it('a lost answer to the final fragment: finds the finished item instead of uploading again', async () => {
		const h = harness(TINY);
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('final, answer lost', TINY, 0, 1564, networkFailure),
			expectStatusGet('status', graphError(404, 'itemNotFound')),
			expectGraphGet('is it there?', `${GRAPH}/me/drive/items/FOLDER-1/children?$select=id,name,size,file,webUrl,parentReference,video&$top=1000`, json(200, { value: [itemFor(TINY)] }))
		);
		const result = await (await start(h)).runSlice();
		h.transport.expectFinished();
		expect(result.state).toMatchObject({ status: 'done', verified: true });
		expect(h.transport.bytesSent()).toBe(1565);
	});
});

describe('resume from persisted state in a fresh process', () => {
	async function firstProcess() {
		const h = harness(BIG);
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('1', BIG, 0, F - 1, accepted([`${F}-`])));
		const core = await start(h);
		await core.runSlice({ maxFragments: 1 });
		return h;
	}

	it('continues with the next fragment, the hash carried over (no byte re-read from 0)', async () => {
		const h2 = restartedHarness(await firstProcess());
		h2.transport.then(
			expectStatusGet('where are we', sessionStatus([`${F}-`])),
			expectPut('2', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])),
			expectPut('3', BIG, 2 * F, LAST, created(BIG))
		);
		const result = await new UploadCore(h2.ports).runSlice();
		h2.transport.expectFinished();
		expect(result.state).toMatchObject({ status: 'done', verified: true });
		expect(h2.bytes.reads.every(([a]) => a >= F)).toBe(true);
		expect(h2.transport.bytesSent()).toBe(BIG.length - F);
	});

	it('killed mid-fragment after OneDrive took it: catches the hash up from the file, re-sends nothing', async () => {
		const h2 = restartedHarness(await firstProcess());
		h2.transport.then(
			expectStatusGet('server already has fragment 2', sessionStatus([`${2 * F}-`])),
			expectPut('3', BIG, 2 * F, LAST, created(BIG))
		);
		const result = await new UploadCore(h2.ports).runSlice();
		expect(result.state).toMatchObject({ status: 'done', verified: true });
		expect(h2.transport.bytesSent()).toBe(BIG.length - 2 * F);
	});

	it('killed mid-fragment before OneDrive kept it: re-sends at most that one fragment', async () => {
		const h1 = await firstProcess();
		h1.transport.then(expectPut('2, process dies', BIG, F, 2 * F - 1, () => { throw new Error('killed'); }));
		// simulate the kill: the persisted state is what it was before fragment 2
		const saved = JSON.parse(JSON.stringify(h1.store.state));
		const h2 = restartedHarness(h1);
		h2.store.state = saved;
		h2.transport.then(
			expectStatusGet('status', sessionStatus([`${F}-`])),
			expectPut('2 again', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])),
			expectPut('3', BIG, 2 * F, LAST, created(BIG))
		);
		await new UploadCore(h2.ports).runSlice();
		expect(h2.transport.bytesSent() - (BIG.length - F)).toBeLessThanOrEqual(F);
	});

	it('refuses a corrupt or missing stored state with invalid-job', async () => {
		const h = harness(TINY);
		await expect(new UploadCore(h.ports).runSlice()).rejects.toMatchObject({ code: 'invalid-job' });
		h.store.state = { version: 1 } as never;
		await expect(new UploadCore(h.ports).state()).rejects.toMatchObject({ code: 'invalid-job' });
	});
});

describe('storage full: saves refused for want of room', () => {
	/** Makes the harness's store refuse every save while `full` is set, as a quota error does. */
	function fillable(h: Harness) {
		const room = { full: false, refused: 0 };
		const save = h.store.save.bind(h.store);
		h.store.save = async (state) => {
			if (room.full) {
				room.refused++;
				throw new StorageFullError();
			}
			await save(state);
		};
		return room;
	}

	it('goes on to the end with every save refused; killed then, the next engine finds the finished file instead of uploading it again', async () => {
		const h = harness(BIG);
		const room = fillable(h);
		h.transport.then(expectCreateSession('create', sessionCreated()));
		const core = await start(h);
		await core.runSlice({ maxFragments: 0 });
		expect(h.store.state?.session).not.toBeNull();
		room.full = true;
		bigUploadSteps(h);
		const result = await core.runSlice();
		h.transport.expectFinished();
		expect(result).toMatchObject({ outcome: 'done', state: { status: 'done', acknowledged: BIG.length } });
		// Nothing of it was stored: the stored state is the one from before the first fragment.
		expect(h.store.state).toMatchObject({ status: 'uploading', acknowledged: 0, finalSentAt: null });
		expect(core.hasUnsavedState).toBe(true);
		expect(room.refused).toBeGreaterThanOrEqual(4);

		// Killed now. Room comes back; the next engine starts from the stored state.
		room.full = false;
		const h2 = restartedHarness(h);
		h2.transport.then(
			expectStatusGet('where are we', graphError(404, 'itemNotFound')),
			expectGraphGet('is it there?', `${GRAPH}/me/drive/items/FOLDER-1/children?$select=id,name,size,file,webUrl,parentReference,video&$top=1000`, json(200, { value: [itemFor(BIG)] }))
		);
		const again = await new UploadCore(h2.ports).runSlice();
		h2.transport.expectFinished();
		expect(again).toMatchObject({ outcome: 'done', state: { status: 'done', verified: true } });
		expect(h2.transport.bytesSent(), 'not one byte sent again, no second copy').toBe(0);
		expect(h2.store.state).toMatchObject({ status: 'done', acknowledged: BIG.length });
	});

	it('a later engine whose stored state lags and whose file is not here waits for the file rather than upload again; with the file back it finds the finished one', async () => {
		const h = harness(BIG);
		const room = fillable(h);
		h.transport.then(expectCreateSession('create', sessionCreated()));
		const core = await start(h);
		await core.runSlice({ maxFragments: 0 });
		room.full = true;
		bigUploadSteps(h);
		expect((await core.runSlice()).outcome).toBe('done');
		room.full = false;
		// The page was reloaded: its file is gone, nothing of it is kept.
		const h2 = restartedHarness(h);
		const read = h2.bytes.read.bind(h2.bytes);
		let fileHere = false;
		h2.bytes.read = async (start, end) => {
			if (!fileHere) throw new BytesNotHereError(start);
			return read(start, end);
		};
		h2.transport.then(expectStatusGet('where are we', graphError(404, 'itemNotFound')));
		const engine = new UploadCore(h2.ports);
		const waiting = await engine.runSlice();
		h2.transport.expectFinished();
		expect(waiting).toMatchObject({ outcome: 'stopped', state: { status: 'paused', pause: 'needs-file' } });
		fileHere = true;
		h2.transport.then(
			expectStatusGet('where are we, again', graphError(404, 'itemNotFound')),
			expectGraphGet('is it there?', `${GRAPH}/me/drive/items/FOLDER-1/children?$select=id,name,size,file,webUrl,parentReference,video&$top=1000`, json(200, { value: [itemFor(BIG)] }))
		);
		expect(await engine.runSlice()).toMatchObject({ outcome: 'done', state: { status: 'done', verified: true } });
		h2.transport.expectFinished();
		expect(h2.transport.bytesSent()).toBe(0);
	});

	it('a state it finished with while full is written by flush() once there is room', async () => {
		const h = harness(TINY);
		const room = fillable(h);
		h.transport.then(expectCreateSession('create', sessionCreated()));
		const core = await start(h);
		await core.runSlice({ maxFragments: 0 });
		expect(h.store.state?.session).not.toBeNull();
		h.transport.then(expectPut('only fragment', TINY, 0, 1564, created(TINY)));
		// Room for the fact "last fragment sent", then none for the outcome.
		const save = h.store.save.bind(h.store);
		h.store.save = async (state) => {
			await save(state);
			if (state.finalSentAt !== null) room.full = true;
		};
		expect((await core.runSlice()).outcome).toBe('done');
		expect(h.store.state).toMatchObject({ status: 'uploading' });
		expect(core.hasUnsavedState).toBe(true);
		expect(await core.flush()).toBe(false);
		room.full = false;
		expect(await core.flush()).toBe(true);
		expect(h.store.state).toMatchObject({ status: 'done', acknowledged: TINY.length });
	});

	it('killed while its saves were refused: the next engine resumes from OneDrive’s word, byte-identical, sending nothing twice', async () => {
		const h1 = harness(BIG);
		const room = fillable(h1);
		h1.transport.then(expectCreateSession('create', sessionCreated()), expectPut('1', BIG, 0, F - 1, accepted([`${F}-`])));
		const core = await start(h1);
		await core.runSlice({ maxFragments: 1 });
		expect(h1.store.state).toMatchObject({ acknowledged: F });
		room.full = true;
		h1.transport.then(expectPut('2, not stored', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])));
		await core.runSlice({ maxFragments: 1 });
		expect(h1.store.state).toMatchObject({ acknowledged: F });
		// The process dies here; the stored state lags one fragment behind OneDrive. Room comes back.
		room.full = false;
		const h2 = restartedHarness(h1);
		h2.transport.then(
			expectStatusGet('where are we', sessionStatus([`${2 * F}-`])),
			expectPut('3', BIG, 2 * F, LAST, created(BIG))
		);
		const result = await new UploadCore(h2.ports).runSlice();
		h2.transport.expectFinished();
		expect(result.outcome).toBe('done');
		expect(h2.transport.bytesSent()).toBe(BIG.length - 2 * F);
		expect(h2.store.state?.item?.quickXorHash).toBe(quickXorHash(BIG));
	});
});

describe('slicing', () => {
	it('a slice stops after maxFragments and the next slice continues', async () => {
		const h = harness(BIG);
		h.transport.then(expectCreateSession('create', sessionCreated()));
		bigUploadSteps(h);
		const core = await start(h);
		const first = await core.runSlice({ maxFragments: 2 });
		expect(first).toMatchObject({ outcome: 'yield', state: { status: 'uploading', acknowledged: 2 * F } });
		expect(h.transport.script).toHaveLength(1);
		expect((await core.runSlice({ maxFragments: 2 })).outcome).toBe('done');
	});

	it('a slice with a deadline starts no fragment it does not expect to finish in time', async () => {
		const h = harness(BIG);
		h.transport.then(expectCreateSession('create', sessionCreated()));
		bigUploadSteps(h);
		const core = await start(h);
		// each 10 MiB fragment takes 4 s on the fake link; 6 s allow one, not two
		const first = await core.runSlice({ deadline: h.clock.t + 6000 });
		expect(first).toMatchObject({ outcome: 'yield', state: { acknowledged: F } });
		// a slice always gets one fragment (or it could never progress), even if it overruns a little
		const second = await core.runSlice({ deadline: h.clock.t + 3000 });
		expect(second).toMatchObject({ outcome: 'yield', state: { acknowledged: 2 * F } });
		// enough time for the short last fragment
		expect((await core.runSlice({ deadline: h.clock.t + 9000 })).outcome).toBe('done');
	});

	it('a Retry-After beyond the deadline returns "wait" with the time to come back', async () => {
		const h = harness(BIG);
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('1', BIG, 0, F - 1, graphError(429, 'activityLimitReached', undefined, { 'retry-after': '120' }))
		);
		const core = await start(h);
		const result = await core.runSlice({ deadline: T0 + 30_000 });
		expect(result).toMatchObject({ outcome: 'wait', until: T0 + 4000 + 120_000 });
		expect(h.clock.sleeps).toEqual([]);
		expect(h.store.state?.notBefore).toBe(T0 + 4000 + 120_000);
		// a later slice (even in a new process) sleeps out only what remains, then continues
		h.clock.t = T0 + 100_000;
		const h2 = restartedHarness(h);
		h2.transport.then(expectStatusGet('status', sessionStatus(['0-'])), expectPut('1 again', BIG, 0, F - 1, accepted([`${F}-`])));
		const next = await new UploadCore(h2.ports).runSlice({ maxFragments: 1 });
		expect(h2.clock.sleeps).toEqual([24_000]);
		expect(next.state.acknowledged).toBe(F);
	});

	it('a pending backoff and an exhausted fragment budget returns "wait"', async () => {
		const h = harness(BIG);
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('1', BIG, 0, F - 1, graphError(502, 'generalException')));
		const result = await (await start(h)).runSlice({ maxFragments: 1 });
		expect(result).toMatchObject({ outcome: 'wait', until: T0 + 4000 + 500 });
	});
});

describe('commands and the state machine', () => {
	it('pause abandons the fragment in flight at once; resume asks the session and carries on', async () => {
		const h = harness(BIG);
		const core = await start(h);
		let pausing: Promise<unknown> | null = null;
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('1', BIG, 0, F - 1, () => {
				pausing = core.pause();
				// OneDrive did take these bytes, but the answer arrives after Pause abandoned the request
				return accepted([`${F}-`]);
			})
		);
		const slice = await core.runSlice();
		await pausing;
		expect(slice.outcome).toBe('yield');
		// the saved state is the last acknowledged offset with its matching hash
		expect(await core.state()).toMatchObject({ status: 'paused', pause: 'user', acknowledged: 0 });
		expect(h.store.state!.hash.length).toBe(0);
		expect((await core.runSlice()).outcome).toBe('stopped');
		expect(core.heldBytes()).toBe(0);
		h.transport.then(
			expectStatusGet('status', sessionStatus([`${F}-`])),
			expectPut('2', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])),
			expectPut('3', BIG, 2 * F, LAST, created(BIG))
		);
		await core.resume();
		expect((await core.runSlice()).state).toMatchObject({ status: 'done', verified: true });
		expect(h.transport.bytesSent()).toBe(BIG.length);
		expect(h.events.states()).toEqual(['uploading', 'paused', 'queued', 'uploading', 'verifying', 'done']);
	});

	it('cancel deletes the upload session without an Authorization header', async () => {
		const h = harness(BIG);
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('1', BIG, 0, F - 1, accepted([`${F}-`])));
		const core = await start(h);
		await core.runSlice({ maxFragments: 1 });
		h.transport.then(expectDelete('delete session'));
		expect(await core.cancel()).toMatchObject({ status: 'cancelled', session: null, acknowledged: 0 });
		h.transport.expectFinished();
		expect((await core.runSlice()).outcome).toBe('stopped');
		await expect(core.cancel()).rejects.toMatchObject({ code: 'invalid-transition' });
	});

	it('refuses commands that make no sense in the current state', async () => {
		const h = harness(TINY);
		const core = await start(h);
		await expect(core.resume()).rejects.toMatchObject({ code: 'invalid-transition' });
		await expect(core.retry()).rejects.toMatchObject({ code: 'invalid-transition' });
		await expect(core.resolveConflict('replace')).rejects.toMatchObject({ code: 'invalid-transition' });
	});

	it('refuses a ByteSource whose size differs from the job', async () => {
		const h = harness(TINY);
		await expect(UploadCore.start(h.ports, { id: 'j', name: 'x.mp4', size: 5, target: { kind: 'folder', parentId: 'F' } })).rejects.toMatchObject({
			code: 'invalid-job'
		});
	});
});
