import { describe, expect, it } from 'vitest';
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobLedger, STAGE_CHUNK_BYTES } from '$lib/db/job-ledger';
import { ReeldriveDb } from '$lib/db/reeldrive-db';
import { InboxManager } from '$lib/state/inbox.svelte';
import { queueFiles } from '$lib/state/upload-intake';
import { pseudoRandomBytes } from '$lib/upload/test-fakes';
import { handleShareTarget, judgeShareRequest, type ShareRequestFacts } from './share-target';

const APP = 'https://reeldrive.example';

/** What the worker sees of the share sheet's POST: started by the browser, no page behind it. */
const fromShareSheet: ShareRequestFacts = {
	secFetchSite: null,
	origin: 'null',
	referrer: '',
	mode: 'navigate',
	destination: 'document',
	clientId: '',
	ownClient: false
};

/** A form that a page of `origin` submits to the share target. */
function formFrom(origin: string, changes: Partial<ShareRequestFacts> = {}): ShareRequestFacts {
	const own = origin === APP;
	return { secFetchSite: null, origin, referrer: `${origin}/page`, mode: 'navigate', destination: 'document', clientId: 'client-1', ownClient: own, ...changes };
}

describe('judging a POST to the share target', () => {
	it('keeps the share sheet and Reeldrive itself, when Sec-Fetch-Site is visible', () => {
		expect(judgeShareRequest({ ...fromShareSheet, secFetchSite: 'none' }, APP)).toEqual({ accept: true });
		expect(judgeShareRequest({ ...formFrom(APP), secFetchSite: 'same-origin' }, APP)).toEqual({ accept: true });
	});

	it('refuses cross-site and same-site senders by Sec-Fetch-Site, whatever else they claim', () => {
		expect(judgeShareRequest({ ...fromShareSheet, secFetchSite: 'cross-site' }, APP)).toMatchObject({ accept: false });
		expect(judgeShareRequest({ ...formFrom(APP), secFetchSite: 'same-site' }, APP)).toMatchObject({ accept: false });
	});

	it('keeps the share sheet as Chromium shows it to the worker (no Sec-Fetch-Site, Origin null, no page)', () => {
		expect(judgeShareRequest(fromShareSheet, APP)).toEqual({ accept: true });
		expect(judgeShareRequest({ ...fromShareSheet, origin: null }, APP)).toEqual({ accept: true });
	});

	it("keeps Reeldrive's own pages: a form or a fetch from its origin, even under its no-referrer policy", () => {
		expect(judgeShareRequest(formFrom(APP), APP)).toEqual({ accept: true });
		expect(judgeShareRequest(formFrom(APP, { mode: 'cors', destination: '' }), APP)).toEqual({ accept: true });
		// Reeldrive sends Referrer-Policy: no-referrer, so its own forms arrive with Origin null,
		// and Chromium adds a fetch()'s Origin only after the worker: the client tells.
		expect(judgeShareRequest(formFrom(APP, { origin: 'null', referrer: '' }), APP)).toEqual({ accept: true });
		expect(judgeShareRequest(formFrom(APP, { origin: null, mode: 'cors', destination: '' }), APP)).toEqual({ accept: true });
	});

	it('refuses a form from another site, or from another origin of the same site', () => {
		expect(judgeShareRequest(formFrom('https://evil.example'), APP)).toEqual({ accept: false, reason: 'sent by https://evil.example' });
		expect(judgeShareRequest(formFrom('https://cdn.reeldrive.example'), APP)).toMatchObject({ accept: false });
		expect(judgeShareRequest(formFrom('http://localhost:5174'), 'http://localhost:5173')).toMatchObject({ accept: false });
	});

	it('refuses a page that withholds its origin, a framed form and a sandboxed page that gives its address', () => {
		// <meta name="referrer" content="no-referrer">: Origin null and no referrer, but the page is the client.
		expect(judgeShareRequest(formFrom('null', { referrer: '' }), APP)).toEqual({ accept: false, reason: 'started by a page that withheld its origin' });
		expect(judgeShareRequest({ ...fromShareSheet, destination: 'iframe' }, APP)).toMatchObject({ accept: false });
		expect(judgeShareRequest({ ...fromShareSheet, mode: 'cors', destination: '' }, APP)).toMatchObject({ accept: false });
		expect(judgeShareRequest(formFrom('https://evil.example', { origin: null, mode: 'cors', destination: '' }), APP)).toMatchObject({ accept: false });
		expect(judgeShareRequest({ ...fromShareSheet, referrer: 'https://evil.example/sandboxed' }, APP)).toEqual({
			accept: false,
			reason: 'referred by https://evil.example'
		});
	});
});

/** The start of a real MP4 (its ftyp box), so the sniffing check takes the rest as a video. */
const VIDEO_HEAD = readFileSync(join(process.cwd(), 'tests/fixtures/videos/tiny-64x64-1s.mp4')).subarray(0, 64);

describe('answering a POST to the share target', () => {
	function share(): Request {
		const form = new FormData();
		form.append('title', 'from the gallery');
		form.append('videos', new File([new Uint8Array([1, 2, 3])], 'clip.mp4', { type: 'video/mp4' }));
		form.append('videos', new File([], 'empty.mp4', { type: 'video/mp4' }));
		return new Request(`${APP}/share-target`, { method: 'POST', body: form });
	}

	function inbox() {
		const db = new ReeldriveDb(`share-${Math.random()}`);
		return { db, kept: () => db.inbox.toArray() };
	}

	it('keeps the videos of an accepted share and tells the inbox how many arrived', async () => {
		const { kept, db } = inbox();
		const response = await handleShareTarget(share(), { accept: true }, db);
		expect(response.status).toBe(303);
		expect(response.headers.get('Location')).toBe(`${APP}/uploads/inbox?shared=1`);
		expect((await kept()).map((entry) => [entry.name, entry.type, entry.kept])).toEqual([['clip.mp4', 'video/mp4', { size: 3 }]]);
	});

	it('streams a shared video into the pieces its upload reads, byte for byte; queued, they become the upload’s without a copy', async () => {
		const { kept, db } = inbox();
		const video = pseudoRandomBytes(2 * STAGE_CHUNK_BYTES + 99, 4);
		video.set(VIDEO_HEAD, 0);
		const form = new FormData();
		form.append('videos', new File([video as BlobPart], 'long take.mp4', { type: 'video/mp4' }));
		await handleShareTarget(new Request(`${APP}/share-target`, { method: 'POST', body: form }), { accept: true }, db);
		const [entry] = await kept();
		expect(entry).toMatchObject({ name: 'long take.mp4', kept: { size: video.length } });
		expect(entry!.blob).toBeUndefined();
		expect(await db.chunks.where('jobId').equals(entry!.id).count()).toBe(3);

		const ledger = new JobLedger(db);
		const manager = new InboxManager(async (files, productId, keptAs) => {
			const { results } = await queueFiles(files, productId, { ledger, appUserId: 'u1', microsoftAccountId: 'm1', driveId: 'd1', folderPath: '/Reeldrive', graphBaseUrl: 'https://graph.test/v1.0' }, keptAs);
			return results;
		}, () => db);
		const [result] = await manager.assign([entry!.id], 'p1');
		expect(result).toMatchObject({ accepted: true, jobId: entry!.id });
		expect(await db.inbox.count()).toBe(0);
		expect((await ledger.get(entry!.id))!.staging).toEqual({ stagedTo: video.length, problem: null });
		expect(await db.chunks.where('jobId').equals(entry!.id).count(), 'the same pieces, not a second copy').toBe(3);
		expect(Buffer.from((await ledger.readStaged(entry!.id, 0, video.length))!).equals(Buffer.from(video))).toBe(true);
	});

	it('keeps nothing of a refused one, without reading its body, and says so in the inbox', async () => {
		const { kept, db } = inbox();
		const request = share();
		const response = await handleShareTarget(request, { accept: false, reason: 'sent by https://evil.example' }, db);
		expect(response.status).toBe(303);
		expect(response.headers.get('Location')).toBe(`${APP}/uploads/inbox?shared=0&refused=1`);
		expect(await kept()).toEqual([]);
		expect(request.bodyUsed).toBe(false);
	});
});
