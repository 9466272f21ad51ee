// Malformed percent-encoding (`%zz`, a cut-off UTF-8 sequence) in paths, body paths and cookies:
// a 400 in the shape each endpoint uses for bad requests, never a 500.
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON checked by assertions, not by static types */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authorizeUrl, control, graph, passwordToken, startHarness, type Harness } from './support';

const BAD = ['%zz', '%E0%A4%A', '%'];

let h: Harness;
let token: string;
beforeAll(async () => {
	h = await startHarness();
});
afterAll(() => h.stop());
beforeEach(async () => {
	await control(h.em, 'POST', '/reset');
	token = await passwordToken(h.em);
});

async function call(url: string, init: RequestInit = {}) {
	const response = await fetch(url, { redirect: 'manual', ...init });
	const text = await response.text();
	let body: any;
	try {
		body = JSON.parse(text);
	} catch {
		body = undefined;
	}
	return { status: response.status, type: response.headers.get('content-type') ?? '', body, text };
}

describe('Graph', () => {
	for (const bad of BAD) {
		it(`answers 400 invalidRequest with Graph's error shape for ${bad} in an item path, an item id and a drive id`, async () => {
			for (const path of [`/me/drive/root:/${bad}:/children`, `/me/drive/root:/Videos/${bad}`, `/me/drive/items/${bad}`, `/drives/${bad}/root`]) {
				const r = await graph(h.em, token, path);
				expect({ path, status: r.status, code: r.body?.error?.code }).toEqual({ path, status: 400, code: 'invalidRequest' });
				expect(r.body.error.innerError['request-id']).toBeTruthy();
			}
		});

		it(`answers 400 invalidRequest for ${bad} in a body's parentReference.path and sourceUrl`, async () => {
			const moved = await graph(h.em, token, '/me/drive/root:/Videos/clip-vp9-320x240-4s.webm', { method: 'PATCH', json: { parentReference: { path: `/drive/root:/${bad}` } } });
			expect(moved.status).toBe(400);
			expect(moved.body.error.code).toBe('invalidRequest');
			const committed = await graph(h.em, token, '/me/drive/root:/x.bin', { method: 'PUT', json: { '@microsoft.graph.sourceUrl': `${h.em.contentUrl}/up/${bad}/abc?tempauth=x` } });
			expect(committed.status).toBe(400);
			expect(committed.body.error.code).toBe('invalidRequest');
		});

		it(`answers 400 invalidRequest for ${bad} in an item's web link`, async () => {
			const r = await call(`${h.em.url}/_web/${bad}`);
			expect(r.status).toBe(400);
			expect(r.body.error.code).toBe('invalidRequest');
		});
	}
});

describe('content origin', () => {
	for (const bad of BAD) {
		it(`answers 400 invalidRequest in the upload hosts' bare shape for ${bad} in upload, download and thumbnail URLs`, async () => {
			for (const path of [`/up/${bad}/abc?tempauth=x`, `/dl/${bad}/x?v=1&exp=1&sig=x`, `/dl/x/${bad}?v=1&exp=1&sig=x`, `/thumb/${bad}/x/96x96.png?v=1&exp=1&sig=x`, `/thumb/x/${bad}/96x96.png`]) {
				const r = await call(`${h.em.contentUrl}${path}`);
				expect({ path, status: r.status, code: r.body?.error?.code }).toEqual({ path, status: 400, code: 'invalidRequest' });
				expect(r.body.error.innerError).toBeUndefined();
			}
		});
	}
});

describe('control API', () => {
	it('answers 400 with its JSON error for a malformed path segment', async () => {
		const r = await call(`${h.em.url}/_emulator/drives/%zz/files`);
		expect(r.status).toBe(400);
		expect(typeof r.body.error).toBe('string');
		expect(r.body.error).toContain('%zz');
	});
});

describe('identity', () => {
	for (const bad of BAD) {
		it(`answers discovery, keys and token for tenant ${bad} with a 400 AADSTS JSON error`, async () => {
			const requests: Array<[string, RequestInit]> = [
				[`/${bad}/v2.0/.well-known/openid-configuration`, {}],
				[`/${bad}/discovery/v2.0/keys`, {}],
				[`/${bad}/oauth2/v2.0/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password' }]
			];
			for (const [path, init] of requests) {
				const r = await call(`${h.em.url}${path}`, init);
				expect({ path, status: r.status, error: r.body?.error, codes: r.body?.error_codes }).toEqual({ path, status: 400, error: 'invalid_request', codes: [900023] });
				expect(r.body.error_description).toMatch(/^AADSTS900023: /);
			}
		});

		it(`answers authorize and logout for tenant ${bad} with a 400 error page`, async () => {
			for (const path of [`/${bad}/oauth2/v2.0/authorize?client_id=x`, `/${bad}/oauth2/v2.0/logout`]) {
				const r = await call(`${h.em.url}${path}`);
				expect({ path, status: r.status }).toEqual({ path, status: 400 });
				expect(r.type).toMatch(/^text\/html/);
				expect(r.text).toContain('AADSTS900023');
			}
		});
	}

	it("answers a malformed value in the emulator's own session cookie with a 400 error page", async () => {
		const cookie = `msemu_session_${new URL(h.em.url).port}=%zz`;
		for (const url of [authorizeUrl(h.em, { state: 's' }), `${h.em.url}/common/oauth2/v2.0/logout`]) {
			const r = await call(url, { headers: { Cookie: cookie } });
			expect({ url, status: r.status }).toEqual({ url, status: 400 });
			expect(r.type).toMatch(/^text\/html/);
			expect(r.text).toContain('AADSTS90100');
		}
	});

	it("ignores other sites' cookies on localhost, even malformed ones (cookies are shared across ports)", async () => {
		const r = await call(authorizeUrl(h.em, { state: 's' }), { headers: { Cookie: 'other-app=%zz; theme=50%' } });
		expect(r.status).toBe(200);
		expect(r.text).toContain('name="password"');
	});
});
