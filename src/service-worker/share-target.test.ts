import { describe, expect, it } from 'vitest';
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

describe('answering a POST to the share target', () => {
	function share(): Request {
		const form = new FormData();
		form.append('title', 'from the gallery');
		form.append('videos', new File([new Uint8Array([1, 2, 3])], 'clip.mp4', { type: 'video/mp4' }));
		form.append('videos', new File([], 'empty.mp4', { type: 'video/mp4' }));
		return new Request(`${APP}/share-target`, { method: 'POST', body: form });
	}

	function inbox() {
		const kept: { name: string; type: string }[] = [];
		return { kept, db: { inbox: { put: async (entry: { name: string; type: string }) => void kept.push(entry) } } as never };
	}

	it('keeps the videos of an accepted share and tells the inbox how many arrived', async () => {
		const { kept, db } = inbox();
		const response = await handleShareTarget(share(), { accept: true }, db);
		expect(response.status).toBe(303);
		expect(response.headers.get('Location')).toBe(`${APP}/uploads/inbox?shared=1`);
		expect(kept.map((entry) => [entry.name, entry.type])).toEqual([['clip.mp4', 'video/mp4']]);
	});

	it('keeps nothing of a refused one, without reading its body, and says so in the inbox', async () => {
		const { kept, db } = inbox();
		const request = share();
		const response = await handleShareTarget(request, { accept: false, reason: 'sent by https://evil.example' }, db);
		expect(response.status).toBe(303);
		expect(response.headers.get('Location')).toBe(`${APP}/uploads/inbox?shared=0&refused=1`);
		expect(kept).toEqual([]);
		expect(request.bodyUsed).toBe(false);
	});
});
