/**
 * The engine's side of "one owner per upload": commands never overlap a slice, Pause and Cancel
 * abandon the request in flight, a lost final answer is recovered rather than re-uploaded, and
 * failures heal by themselves. Numbers refer to the findings of the ownership issue.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_FRAGMENT_SIZE, START_FRAGMENT_SIZE, UNKNOWN_RATE_TIMEOUT_MS } from './fragment-plan';
import { isUploadJobState, type NewUploadJob } from './job';
import { describeFailure } from './messages';
import { QuickXorHash, quickXorHash } from './quickxorhash';
import {
	GRAPH,
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
	transportFailures,
	type Harness
} from './test-fakes';
import { UploadCore, type UploadCoreOptions } from './upload-core';

const F = START_FRAGMENT_SIZE;
const BIG = pseudoRandomBytes(2 * F + 4321, 7);
const LAST = BIG.length - 1;
const LISTING = `${GRAPH}/me/drive/items/FOLDER-1/children?$select=id,name,size,file,webUrl,parentReference,video&$top=1000`;

afterEach(() => {
	const failures = transportFailures.splice(0);
	if (failures.length > 0) throw failures[0];
});

function start(h: Harness, job: Partial<NewUploadJob> = {}, options: UploadCoreOptions = {}) {
	return UploadCore.start(
		h.ports,
		{
			id: 'job-1',
			name: 'clip.mp4',
			size: h.bytes.size,
			target: { kind: 'folder', parentId: 'FOLDER-1' },
			graphBaseUrl: GRAPH,
			...job
		},
		options
	);
}

const created = (data: Uint8Array, overrides: Record<string, unknown> = {}) => json(201, itemFor(data, overrides));

/** Runs slices the way a host does: again at once after every 'yield'. */
async function drive(core: UploadCore) {
	let result = await core.runSlice();
	for (let i = 0; result.outcome === 'yield' && i < 20; i++) result = await core.runSlice();
	return result;
}

describe('finding 1: a command never runs beside a slice', () => {
	it('Pause during a fragment, with the host starting the next slice at once, saves a consistent state that resumes after a restart', async () => {
		const h = harness(BIG);
		const core = await start(h);
		let pausing: Promise<unknown> | null = null;
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('1', BIG, 0, F - 1, () => {
				pausing = core.pause();
				return accepted([`${F}-`]);
			})
		);
		const result = await drive(core);
		await pausing;
		expect(result.outcome).toBe('stopped');
		// At every instant the saved state is an acknowledged offset with the hash of exactly those bytes.
		expect(isUploadJobState(h.store.state)).toBe(true);
		expect(h.store.saves.every((state) => state.hash.length === state.acknowledged)).toBe(true);
		expect(h.store.state).toMatchObject({ status: 'paused', pause: 'user' });
		// Nothing was sent after Pause.
		expect(h.transport.sent.filter((r) => r.method === 'PUT')).toHaveLength(1);

		// A worker restart: Resume works, and the finished copy verifies.
		const h2 = restartedHarness(h);
		const again = new UploadCore(h2.ports);
		h2.transport.then(
			expectStatusGet('status', sessionStatus([`${F}-`])),
			expectPut('2', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])),
			expectPut('3', BIG, 2 * F, LAST, created(BIG))
		);
		await again.resume();
		expect((await drive(again)).state).toMatchObject({ status: 'done', verified: true });
		h2.transport.expectFinished();
	});

	it('Cancel during a hanging fragment abandons it at once and deletes the session', async () => {
		const h = harness(BIG);
		const core = await start(h);
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('1 hangs', BIG, 0, F - 1, hangUntilAborted));
		const slice = core.runSlice();
		await waitFor(() => h.transport.sent.length === 2);
		h.transport.then(expectDelete('delete the session'));
		const state = await core.cancel();
		expect(state).toMatchObject({ status: 'cancelled', session: null });
		expect((await slice).outcome).toBe('yield');
		h.transport.expectFinished();
	});

	it('halt (sign-out, a lost lock) abandons the fragment in flight, starts nothing more and leaves the last acknowledged state', async () => {
		const h = harness(BIG);
		const core = await start(h);
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('1', BIG, 0, F - 1, accepted([`${F}-`])),
			expectPut('2 hangs', BIG, F, 2 * F - 1, hangUntilAborted)
		);
		const slice = core.runSlice();
		await waitFor(() => h.transport.sent.length === 3);
		await core.halt();
		expect((await slice).outcome).toBe('yield');
		expect((await core.runSlice()).outcome).toBe('yield');
		expect(h.transport.sent).toHaveLength(3);
		expect(h.store.state).toMatchObject({ status: 'uploading', acknowledged: F });
		expect(h.store.state!.hash).toEqual(hashStateOf(BIG.subarray(0, F)));
		expect(core.heldBytes()).toBe(0);
	});
});

describe('finding 3: a lost answer to the final fragment is recovered, never re-uploaded', () => {
	it('finds the file under the name OneDrive gave it ("clip 1.mp4") by size and QuickXorHash', async () => {
		const h = harness(BIG);
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('1', BIG, 0, F - 1, accepted([`${F}-`])),
			expectPut('2', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])),
			expectPut('final, answer lost', BIG, 2 * F, LAST, networkFailure),
			expectStatusGet('status', graphError(404, 'itemNotFound')),
			expectGraphGet(
				'list the folder',
				LISTING,
				json(200, {
					value: [
						itemFor(BIG, { id: 'OTHER', name: 'clip.mp4', file: { hashes: { quickXorHash: quickXorHash(BIG.subarray(1)) } } }),
						itemFor(BIG.subarray(5), { id: 'SMALLER', name: 'clip 2.mp4' })
					],
					'@odata.nextLink': `${LISTING}&$skiptoken=2`
				})
			),
			expectGraphGet('next page', `${LISTING}&$skiptoken=2`, json(200, { value: [itemFor(BIG, { id: 'MINE', name: 'clip 1.mp4' })] }))
		);
		const result = await drive(await start(h));
		h.transport.expectFinished();
		expect(result.state).toMatchObject({ status: 'done', verified: true, item: { id: 'MINE', name: 'clip 1.mp4' } });
		expect(h.transport.bytesSent()).toBe(BIG.length);
	});

	it('an item of the right size and name whose hash is not filled in yet goes to verification', async () => {
		const h = harness(BIG);
		const noHash = itemFor(BIG, { id: 'MINE', name: 'clip 1.mp4', file: { hashes: {} } });
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('1', BIG, 0, F - 1, accepted([`${F}-`])),
			expectPut('2', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])),
			expectPut('final, answer lost', BIG, 2 * F, LAST, networkFailure),
			expectStatusGet('status', graphError(404, 'itemNotFound')),
			expectGraphGet('list the folder', LISTING, json(200, { value: [noHash] })),
			expectGraphGet(
				'hash now there',
				`${GRAPH}/drives/drive-1/items/MINE?$select=id,name,size,file,webUrl,parentReference,video`,
				json(200, itemFor(BIG, { id: 'MINE', name: 'clip 1.mp4' }))
			)
		);
		const result = await drive(await start(h));
		h.transport.expectFinished();
		expect(result.state).toMatchObject({ status: 'done', verified: true });
		expect(h.transport.bytesSent()).toBe(BIG.length);
	});

	it('with no such item in the folder, starts a new session (the file really is not there)', async () => {
		const h = harness(BIG);
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('1', BIG, 0, F - 1, accepted([`${F}-`])),
			expectPut('2', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])),
			expectPut('final, answer lost', BIG, 2 * F, LAST, networkFailure),
			expectStatusGet('status', graphError(404, 'itemNotFound')),
			expectGraphGet('list the folder', LISTING, json(200, { value: [] })),
			expectCreateSession('again', sessionCreated()),
			// the dropped connection halved the fragment size
			expectPut('1 again', BIG, 0, F / 2 - 1, accepted([`${F / 2}-`]))
		);
		const core = await start(h);
		await core.runSlice({ maxFragments: 4 });
		h.transport.expectFinished();
		expect(h.events.ofType('session-restarted')[0]).toMatchObject({ reason: 'session-not-found' });
	});

	it('Cancel racing the final fragment: OneDrive already has the file, so it is kept and recorded, not orphaned', async () => {
		const { h, core, slice } = await finalFragmentInFlight();
		h.transport.then(
			expectStatusGet('session gone: it completed', graphError(404, 'itemNotFound')),
			expectGraphGet('list the folder', LISTING, json(200, { value: [itemFor(BIG)] }))
		);
		const afterCancel = await core.cancel();
		expect(afterCancel.status).toBe('verifying');
		await slice;
		expect((await core.runSlice()).state).toMatchObject({ status: 'done', verified: true, item: { id: 'ITEM-1' } });
		h.transport.expectFinished();
	});

	it('Cancel racing the final fragment while the session still stands cancels and deletes it', async () => {
		const { h, core, slice } = await finalFragmentInFlight();
		h.transport.then(expectStatusGet('still open', sessionStatus([`${2 * F}-`])), expectDelete('delete'));
		expect((await core.cancel()).status).toBe('cancelled');
		await slice;
		h.transport.expectFinished();
	});
});

describe('finding 8: a bad copy deleted in OneDrive does not block Retry', () => {
	it('after a hash mismatch whose item is gone, Retry uploads anew instead of "folder no longer exists"', async () => {
		const h = harness(BIG.subarray(0, 4000));
		const data = h.bytes.data;
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('put', data, 0, 3999, created(data, { id: 'BAD', file: { hashes: { quickXorHash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' } } }))
		);
		const core = await start(h);
		expect((await core.runSlice()).state).toMatchObject({ status: 'error', replaceItemId: 'BAD' });
		h.transport.then(
			expectCreateSession('replace the bad copy: it was deleted', graphError(404, 'itemNotFound'), {
				url: `${GRAPH}/me/drive/items/BAD/createUploadSession`
			}),
			expectCreateSession('a new item instead', sessionCreated(), {
				body: { item: { '@microsoft.graph.conflictBehavior': 'rename', name: 'clip.mp4', fileSize: 4000 } }
			}),
			expectPut('put again', data, 0, 3999, created(data))
		);
		await core.retry();
		expect((await drive(core)).state).toMatchObject({ status: 'done', verified: true, replaceItemId: null });
		h.transport.expectFinished();
	});
});

describe('finding 9: a stopped job keeps no fragment in memory', () => {
	it.each([
		['error', graphError(403, 'accessDenied'), 'error'],
		['conflict', graphError(409, 'nameAlreadyExists'), 'conflict']
	])('%s frees the fragment and the one read ahead', async (_label, reply, status) => {
		const h = harness(BIG);
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('1', BIG, 0, F - 1, accepted([`${F}-`])), expectPut('2', BIG, F, 2 * F - 1, reply));
		const core = await start(h);
		const result = await core.runSlice();
		expect(result.state.status).toBe(status);
		expect(core.heldBytes()).toBe(0);
	});

	it('pause frees them too', async () => {
		const h = harness(BIG);
		const core = await start(h);
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('1', BIG, 0, F - 1, () => {
				void core.pause();
				return accepted([`${F}-`]);
			})
		);
		await drive(core);
		expect(core.heldBytes()).toBe(0);
	});
});

describe('finding 10: failures that heal by themselves', () => {
	it('a first hash mismatch retries by itself; a second one waits for the person, in words', async () => {
		const h = harness(BIG.subarray(0, 4000));
		const data = h.bytes.data;
		const bad = (id: string) => created(data, { id, file: { hashes: { quickXorHash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' } } });
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('put', data, 0, 3999, bad('BAD')));
		const core = await start(h);
		const first = (await core.runSlice()).state;
		expect(first.autoRetryAt).not.toBeNull();
		expect(describeFailure(first.error!, first.autoRetryAt, h.clock.t)).toMatch(/Trying again by itself in about a minute\.$/);
		h.transport.then(
			expectCreateSession('replace', sessionCreated(), { url: `${GRAPH}/me/drive/items/BAD/createUploadSession` }),
			expectPut('put again', data, 0, 3999, bad('BAD'))
		);
		await core.retry('automatic');
		const second = (await core.runSlice()).state;
		expect(second).toMatchObject({ status: 'error', autoRetryAt: null, error: { code: 'hash-mismatch' } });
		expect(describeFailure(second.error!, second.autoRetryAt, h.clock.t)).toBe("OneDrive's copy did not match your video. Retry to upload it again.");
	});

	it('retries exhausted on a flaky link come back by themselves, waiting longer each time up to an hour', async () => {
		const h = harness(BIG);
		h.random.value = 0;
		const core = await start(h, {});
		const waits: number[] = [];
		h.transport.then(expectCreateSession('create', sessionCreated()));
		for (let round = 0; round < 8; round++) {
			for (let i = 0; i < 9; i++) {
				h.transport.then(
					expectPut(`r${round} 500 #${i}`, BIG, 0, Math.max(MIN_FRAGMENT_SIZE, F / 2 ** (round === 0 ? i : 8)) - 1, graphError(500, 'generalException')),
					...(i < 8 ? [expectStatusGet(`r${round} status #${i}`, sessionStatus(['0-']))] : [])
				);
			}
			const state = (await core.runSlice()).state;
			expect(state).toMatchObject({ status: 'error', error: { code: 'retries-exhausted' } });
			waits.push(state.autoRetryAt! - h.clock.t);
			h.clock.t = state.autoRetryAt!;
			h.transport.then(expectStatusGet(`r${round + 1} where are we`, sessionStatus(['0-'])));
			await core.retry('automatic');
		}
		expect(waits).toEqual([60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000]);
		// progress resets the count, so a later failure starts again at a minute
		h.transport.then(expectPut('finally', BIG, 0, MIN_FRAGMENT_SIZE - 1, accepted([`${MIN_FRAGMENT_SIZE}-`])));
		await core.runSlice({ maxFragments: 1 });
		expect((await core.state()).autoRetries).toBe(0);
	});

	it('a person pressing Retry starts the count afresh', async () => {
		const h = harness(BIG.subarray(0, 4000));
		const data = h.bytes.data;
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('put', data, 0, 3999, created(data, { file: { hashes: { quickXorHash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' } } })));
		const core = await start(h);
		await core.runSlice();
		h.transport.then(expectCreateSession('replace', sessionCreated(), { url: `${GRAPH}/me/drive/items/ITEM-1/createUploadSession` }));
		expect(await core.retry()).toMatchObject({ status: 'queued', autoRetries: 0, mismatches: 0, autoRetryAt: null });
	});
});

describe('finding 11: slow links', () => {
	it('a fragment that times out sizes the next one for the speed the link proved, down to 320 KiB', async () => {
		const h = harness(BIG);
		h.transport.bytesPerMs = 17.5; // about 140 kbit/s
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('10 MiB: too big for this link', BIG, 0, F - 1, (req) => {
				expect(req.timeoutMs).toBe(UNKNOWN_RATE_TIMEOUT_MS);
				h.clock.t += UNKNOWN_RATE_TIMEOUT_MS - Math.ceil(F / 17.5);
				return { kind: 'network-failure', reason: 'timeout' };
			}),
			expectStatusGet('status', sessionStatus(['0-'])),
			expectPut('320 KiB', BIG, 0, MIN_FRAGMENT_SIZE - 1, (req) => {
				// the timeout follows the measured speed: about four times the expected 19 s
				expect(req.timeoutMs).toBeGreaterThanOrEqual(30_000);
				expect(req.timeoutMs).toBeLessThan(4 * 60_000);
				return accepted([`${MIN_FRAGMENT_SIZE}-`]);
			})
		);
		const core = await start(h);
		await core.runSlice({ maxFragments: 2 });
		h.transport.expectFinished();
		expect((await core.state()).acknowledged).toBe(MIN_FRAGMENT_SIZE);
	});

	it('a video that cannot finish within one session at the measured speed is told in words, not restarted forever', async () => {
		const h = harness(BIG);
		h.transport.bytesPerMs = 0.2; // 200 bytes a second: 21 MB would need about 30 hours
		h.transport.then(expectCreateSession('create', sessionCreated()), expectPut('fragment 1', BIG, 0, F - 1, accepted([`${F}-`])));
		// one measured fragment is enough to judge in this test (the default waits for four)
		const state = (await drive(await start(h, {}, { minSamplesForTooSlow: 1 }))).state;
		h.transport.expectFinished();
		expect(state).toMatchObject({ status: 'error', autoRetryAt: null, error: { code: 'connection-too-slow', retryable: true } });
		expect(describeFailure(state.error!, null, h.clock.t)).toBe(
			"At this connection's speed (200 bytes/s) the video would need about 30 hours, longer than the day OneDrive keeps an upload open. Retry on a faster connection (Wi-Fi)."
		);
	});

	it('a link that is merely slow is left alone', async () => {
		const h = harness(BIG);
		h.transport.bytesPerMs = 1; // 1 kB/s: 21 MB take under 6 hours
		h.transport.then(
			expectCreateSession('create', sessionCreated()),
			expectPut('fragment 1', BIG, 0, F - 1, accepted([`${F}-`])),
			// three hours in, the session's stated expiry has passed: it is asked where it stands
			expectStatusGet('status', sessionStatus([`${F}-`]))
		);
		const result = await (await start(h, {}, { minSamplesForTooSlow: 1 })).runSlice({ maxFragments: 1 });
		expect(result.state.status).toBe('uploading');
	});
});

/** An upload whose final fragment is on its way, its answer not yet back. */
async function finalFragmentInFlight() {
	const h = harness(BIG);
	const core = await start(h);
	h.transport.then(
		expectCreateSession('create', sessionCreated()),
		expectPut('1', BIG, 0, F - 1, accepted([`${F}-`])),
		expectPut('2', BIG, F, 2 * F - 1, accepted([`${2 * F}-`])),
		expectPut('final, in flight', BIG, 2 * F, LAST, hangUntilAborted)
	);
	const slice = core.runSlice();
	await waitFor(() => h.transport.sent.length === 4);
	return { h, core, slice };
}

/** The hash state of exactly these bytes, as the engine saves it. */
function hashStateOf(bytes: Uint8Array) {
	return new QuickXorHash().update(bytes).toState();
}

async function waitFor(condition: () => boolean): Promise<void> {
	for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
	if (!condition()) throw new Error('condition never held');
}

describe('a job queued by path makes its folders', () => {
	it('createUploadSession by path answers 404: the folders are created from the root down (an existing one answers 409), then the session', async () => {
		const h = harness(BIG.subarray(0, 5000));
		const data = h.bytes.data;
		const byPath = `${GRAPH}/me/drive/root:/Reeldrive/Spring%20launch/clip.mp4:/createUploadSession`;
		const folder = (label: string, url: string, name: string, reply: ReturnType<typeof json>) => ({
			label,
			reply,
			check: (req: { method: string; url: string; body?: unknown; headers: Record<string, string> }) => {
				expect(req.method).toBe('POST');
				expect(req.url).toBe(url);
				expect(req.headers.Authorization).toBe('Bearer token-1');
				expect(JSON.parse(req.body as string)).toEqual({ name, folder: {}, '@microsoft.graph.conflictBehavior': 'fail' });
			}
		});
		h.transport.then(
			expectCreateSession('parent missing', graphError(404, 'itemNotFound'), { url: byPath }),
			folder('Reeldrive exists', `${GRAPH}/me/drive/root/children`, 'Reeldrive', graphError(409, 'nameAlreadyExists')),
			folder('Spring launch is made', `${GRAPH}/me/drive/root:/Reeldrive:/children`, 'Spring launch', json(201, { id: 'NEW', name: 'Spring launch', folder: {} })),
			expectCreateSession('now it works', sessionCreated(), { url: byPath }),
			expectPut('put', data, 0, 4999, created(data))
		);
		const core = await start(h, { target: { kind: 'path', folderPath: '/Reeldrive/Spring launch' } });
		expect((await drive(core)).state).toMatchObject({ status: 'done', verified: true });
		h.transport.expectFinished();
	});

	it('a second 404 after making the folders is "folder not found", in words', async () => {
		const h = harness(BIG.subarray(0, 5000));
		const byPath = `${GRAPH}/me/drive/root:/Videos/clip.mp4:/createUploadSession`;
		h.transport.then(
			expectCreateSession('missing', graphError(404, 'itemNotFound'), { url: byPath }),
			{ label: 'make Videos', reply: json(201, { id: 'V' }), check: () => {} },
			expectCreateSession('still missing', graphError(404, 'itemNotFound'), { url: byPath })
		);
		const result = await drive(await start(h, { target: { kind: 'path', folderPath: 'Videos' } }));
		expect(result.state).toMatchObject({ status: 'error', error: { code: 'folder-not-found' } });
	});
});
