// The control API and scheduled faults, over HTTP; and persistence of drives across restarts.
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON checked by assertions, not by static types */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { quickXorHashBase64 } from '../src/quick-xor-hash';
import { CLIENT_ID, control, graph, passwordToken, startHarness, tokenRequest, type Harness } from './support';

const UNIT = 327_680;
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

async function uploadSession(name = 'f.bin') {
	const r = await graph(h.em, token, `/me/drive/root:/${name}:/createUploadSession`, { method: 'POST', json: {} });
	return r.body.uploadUrl as string;
}

function put(url: string, data: Buffer, first: number, total: number) {
	return fetch(url, { method: 'PUT', headers: { 'Content-Range': `bytes ${first}-${first + data.length - 1}/${total}` }, body: new Uint8Array(data) });
}

const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 13 + 5) & 0xff));

describe('control API', () => {
	it('seeds a folder tree without bytes; listed hashes match the served synthetic content', async () => {
		const seeded = await control(h.em, 'POST', '/drives/alice@contoso.test/seed', {
			path: '/Archive',
			items: [
				{ name: '2024', children: [{ name: 'launch.mp4', size: 1_000_003, video: { duration: 61_000, width: 1920, height: 1080 } }] },
				{ name: 'huge.mov', size: 40 * 1024 ** 3 },
				{ name: 'Empty', folder: true }
			]
		});
		expect(seeded.created).toBe(4);
		const files = await control(h.em, 'GET', '/drives/alice@contoso.test/files');
		const launch = files.items.find((i: any) => i.path === '/Archive/2024/launch.mp4');
		expect(launch).toMatchObject({ size: 1_000_003, video: { width: 1920 }, synthetic: true });
		const item = await graph(h.em, token, '/me/drive/root:/Archive/2024/launch.mp4');
		expect(item.body.video).toMatchObject({ duration: 61_000, width: 1920, height: 1080 });
		const body = Buffer.from(await (await fetch(item.body['@microsoft.graph.downloadUrl'])).arrayBuffer());
		expect(body.length).toBe(1_000_003);
		expect(quickXorHashBase64(body)).toBe(launch.quickXorHash);
		const drive = await graph(h.em, token, '/me/drive');
		expect(drive.body.quota.state).toBe('exceeded');
	});

	it('adds accounts that can sign in and get an empty drive', async () => {
		const account = await control(h.em, 'POST', '/accounts', { email: 'dave@fabrikam.test', password: 'pw-1', displayName: 'Dave Test', quotaTotal: 1000 });
		expect(account).toMatchObject({ email: 'dave@fabrikam.test', quota: { total: 1000, used: 0 } });
		const { body } = await tokenRequest(h.em, { client_id: CLIENT_ID, grant_type: 'password', username: 'dave@fabrikam.test', password: 'pw-1', scope: 'Files.ReadWrite User.Read' });
		const me = await graph(h.em, body.access_token, '/me');
		expect(me.body).toMatchObject({ id: account.id, displayName: 'Dave Test' });
		const children = await graph(h.em, body.access_token, '/me/drive/root/children');
		expect(children.body.value).toEqual([]);
		await expect(control(h.em, 'POST', '/accounts', { email: 'dave@fabrikam.test', password: 'x' })).rejects.toThrow(/409/);
	});

	it('registers extra redirect URIs on localhost only', async () => {
		const r = await control(h.em, 'POST', '/redirect-uris', { uris: ['http://localhost:39999/cb'] });
		expect(r.redirectUris).toContain('http://localhost:39999/cb');
		await expect(control(h.em, 'POST', '/redirect-uris', { uris: ['https://evil.test/cb'] })).rejects.toThrow(/400/);
	});

	it('answers a body over its 8 MiB limit with 413 and a JSON error, without resetting the connection', async () => {
		const response = await fetch(`${h.em.url}/_emulator/faults`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ kind: 'graph', status: 500, code: 'x'.repeat(9 * 1024 * 1024) })
		});
		expect(response.status).toBe(413);
		expect(await response.json()).toEqual({ error: 'The body is larger than 8388608 bytes.' });
		expect((await control(h.em, 'GET', '/faults')).faults).toEqual([]);
	});

	it('refuses callers that are not on loopback, and unknown endpoints', async () => {
		await expect(control(h.em, 'GET', '/nope')).rejects.toThrow(/404/);
		await expect(control(h.em, 'POST', '/faults', { kind: 'graph' })).rejects.toThrow(/400/);
	});
});

describe('control API: cross-site requests', () => {
	/** A control request exactly as given, without the helper's JSON content type. */
	async function raw(method: string, path: string, headers: Record<string, string>, body?: string) {
		const response = await fetch(`${h.em.url}/_emulator${path}`, { method, headers, body });
		const text = await response.text();
		return { status: response.status, type: response.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
	}

	/** A file that a reset would remove: it tells whether a refused request changed anything. */
	async function marker(): Promise<() => Promise<boolean>> {
		expect((await graph(h.em, token, '/me/drive/root:/marker.txt:/content', { method: 'PUT', body: 'x' })).status).toBe(201);
		return async () => (await graph(h.em, token, '/me/drive/root:/marker.txt')).status === 200;
	}

	it('refuses a form-style cross-site POST /reset (text/plain from another origin) with 403 and changes nothing', async () => {
		const stillThere = await marker();
		const r = await raw('POST', '/reset', { Origin: 'https://evil.example', 'Content-Type': 'text/plain' }, '{}');
		expect(r.status).toBe(403);
		expect(r.type).toMatch(/^application\/json/);
		expect(r.body.error).toMatch(/origin/i);
		expect(await stillThere()).toBe(true);
	});

	it('refuses another origin even with a JSON body, for reads and writes', async () => {
		const stillThere = await marker();
		const json = { 'Content-Type': 'application/json' };
		for (const origin of ['https://evil.example', 'http://localhost:5174', 'null']) {
			expect((await raw('POST', '/reset', { ...json, Origin: origin })).status).toBe(403);
			expect((await raw('GET', '/accounts', { Origin: origin })).status).toBe(403);
			expect((await raw('OPTIONS', '/reset', { Origin: origin, 'Access-Control-Request-Method': 'POST' })).status).toBe(403);
		}
		expect(await stillThere()).toBe(true);
	});

	it('requires Content-Type: application/json on every state-changing request, bodiless ones too (415)', async () => {
		const stillThere = await marker();
		const cases: Array<Record<string, string>> = [{}, { 'Content-Type': 'text/plain' }, { 'Content-Type': 'application/x-www-form-urlencoded' }, { 'Content-Type': 'multipart/form-data; boundary=x' }];
		for (const headers of cases) {
			const r = await raw('POST', '/reset', headers);
			expect({ headers, status: r.status }).toEqual({ headers, status: 415 });
			expect(r.body.error).toMatch(/application\/json/);
		}
		await control(h.em, 'POST', '/faults', { kind: 'graph', latencyMs: 1 });
		expect((await raw('DELETE', '/faults', {})).status).toBe(415);
		expect((await raw('PUT', '/settings', { 'Content-Type': 'text/plain' }, '{"autoConsent":true}')).status).toBe(415);
		expect((await control(h.em, 'GET', '/faults')).faults.length).toBe(1);
		expect((await control(h.em, 'GET', '/settings')).autoConsent).toBe(false);
		expect(await stillThere()).toBe(true);
	});

	it('accepts the app origin, its own origin and no Origin at all (scripts), with JSON', async () => {
		const ok = async (headers: Record<string, string>) => (await raw('POST', '/clock/advance', { 'Content-Type': 'application/json; charset=utf-8', ...headers }, '{"seconds":1}')).status;
		expect(await ok({})).toBe(200);
		expect(await ok({ Origin: 'http://localhost:5173' })).toBe(200);
		expect(await ok({ Origin: h.em.url })).toBe(200);
		expect((await raw('POST', '/reset', { 'Content-Type': 'application/json' })).status).toBe(200);
		expect((await raw('GET', '/accounts', {})).status).toBe(200);
	});
});

describe('faults', () => {
	it('fails the token endpoint with 429 and Retry-After, once', async () => {
		await control(h.em, 'POST', '/faults', { kind: 'token', status: 429, retryAfter: 7 });
		const fields = { client_id: CLIENT_ID, grant_type: 'password', username: 'alice@contoso.test', password: 'reeldrive-demo', scope: 'Files.Read' };
		const first = await tokenRequest(h.em, fields);
		expect(first.status).toBe(429);
		expect(first.headers.get('retry-after')).toBe('7');
		expect(first.body.error).toBe('temporarily_unavailable');
		expect((await tokenRequest(h.em, fields)).status).toBe(200);
	});

	it('fails Graph calls after letting some through, with the Graph throttling body', async () => {
		await control(h.em, 'POST', '/faults', { kind: 'graph', method: 'GET', skip: 1, count: 2, status: 429, retryAfter: 3 });
		const statuses: number[] = [];
		for (let i = 0; i < 4; i++) statuses.push((await graph(h.em, token, '/me/drive')).status);
		expect(statuses).toEqual([200, 429, 429, 200]);
		await control(h.em, 'POST', '/faults', { kind: 'graph', status: 429 });
		const throttled = await graph(h.em, token, '/me/drive');
		expect(throttled.body.error).toMatchObject({ code: 'activityLimitReached', innerError: { code: 'throttledRequest' } });
		const listed = await control(h.em, 'GET', '/faults');
		expect(listed.faults[0]).toMatchObject({ matched: 3, fired: 2 });
	});

	it('fails createUploadSession separately from other Graph calls', async () => {
		await control(h.em, 'POST', '/faults', { kind: 'createUploadSession', status: 503, retryAfter: 1 });
		expect((await graph(h.em, token, '/me/drive')).status).toBe(200);
		const r = await graph(h.em, token, '/me/drive/root:/x.bin:/createUploadSession', { method: 'POST', json: {} });
		expect(r.status).toBe(503);
		expect(r.headers.get('retry-after')).toBe('1');
	});

	it('fails a fragment with a 5xx without storing it', async () => {
		const url = await uploadSession();
		await control(h.em, 'POST', '/faults', { kind: 'fragment', method: 'PUT', status: 500 });
		expect((await put(url, pattern(UNIT), 0, UNIT * 2)).status).toBe(500);
		expect((await (await fetch(url)).json()).nextExpectedRanges).toEqual(['0-']);
	});

	it('accepts only a prefix of a fragment; the client resumes from nextExpectedRanges', async () => {
		const data = pattern(UNIT * 2);
		const url = await uploadSession();
		await control(h.em, 'POST', '/faults', { kind: 'fragment', acceptPrefixBytes: 100_000 });
		const partial = await put(url, data.subarray(0, UNIT), 0, data.length);
		expect(partial.status).toBe(202);
		expect((await partial.json()).nextExpectedRanges).toEqual(['100000-']);
		expect((await put(url, data.subarray(100_000, UNIT), 100_000, data.length)).status).toBe(202);
		const done = await put(url, data.subarray(UNIT), UNIT, data.length);
		expect(done.status).toBe(201);
		expect((await done.json()).file.hashes.quickXorHash).toBe(quickXorHashBase64(data));
	});

	it('drops the connection after N bytes of a fragment, keeping nothing', async () => {
		const url = await uploadSession();
		await control(h.em, 'POST', '/faults', { kind: 'fragment', method: 'PUT', dropAfterBytes: 50_000 });
		await expect(put(url, pattern(UNIT), 0, UNIT * 2)).rejects.toThrow();
		expect((await (await fetch(url)).json()).nextExpectedRanges).toEqual(['0-']);
		expect((await put(url, pattern(UNIT), 0, UNIT * 2)).status).toBe(202);
	});

	it('expires a session on demand', async () => {
		const url = await uploadSession();
		await control(h.em, 'POST', '/faults', { kind: 'fragment', expireSession: true });
		const r = await put(url, pattern(UNIT), 0, UNIT * 2);
		expect(r.status).toBe(404);
		expect((await r.json()).error.message).toBe('The upload session was not found');
	});

	it('logs every fragment PUT with when it arrived and how it ended', async () => {
		const url = await uploadSession();
		await control(h.em, 'POST', '/faults', { kind: 'fragment', method: 'PUT', latencyMs: 200, count: 1 });
		const before = Date.now();
		expect((await put(url, pattern(UNIT), 0, UNIT * 2)).status).toBe(202);
		await control(h.em, 'POST', '/faults', { kind: 'fragment', method: 'PUT', dropAfterBytes: 50_000 });
		await expect(put(url, pattern(UNIT), UNIT, UNIT * 2)).rejects.toThrow();
		const { fragments } = await control(h.em, 'GET', '/drives/alice@contoso.test/fragments');
		expect(fragments).toMatchObject([
			{ contentRange: `bytes 0-${UNIT - 1}/${UNIT * 2}`, start: 0, end: UNIT, status: 202 },
			{ start: UNIT, end: UNIT * 2, status: null }
		]);
		expect(fragments[0].receivedAt).toBeGreaterThanOrEqual(before);
		expect(fragments[0].endedAt - fragments[0].receivedAt).toBeGreaterThanOrEqual(190);
		expect((await control(h.em, 'GET', '/drives/bob@contoso.test/fragments')).fragments).toEqual([]);
		await control(h.em, 'POST', '/reset');
		expect((await control(h.em, 'GET', '/drives/alice@contoso.test/fragments')).fragments).toEqual([]);
	});

	it('adds latency', async () => {
		await control(h.em, 'POST', '/faults', { kind: 'graph', latencyMs: 300 });
		const started = Date.now();
		expect((await graph(h.em, token, '/me/drive')).status).toBe(200);
		expect(Date.now() - started).toBeGreaterThanOrEqual(290);
	});

	it('cuts a download short', async () => {
		const item = await graph(h.em, token, '/me/drive/root:/Videos/clip-h264-aac-640x360-5s.mp4');
		await control(h.em, 'POST', '/faults', { kind: 'download', dropAfterBytes: 1000 });
		const response = await fetch(item.body['@microsoft.graph.downloadUrl']);
		await expect(response.arrayBuffer()).rejects.toThrow();
	});

	it('fires by seeded probability, the same way each time', async () => {
		const run = async () => {
			await control(h.em, 'DELETE', '/faults');
			await control(h.em, 'POST', '/faults', { kind: 'graph', probability: 0.5, seed: 42, status: 503 });
			const out: number[] = [];
			for (let i = 0; i < 12; i++) out.push((await graph(h.em, token, '/me/drive')).status);
			return out;
		};
		const first = await run();
		expect(first).toContain(503);
		expect(first).toContain(200);
		expect(await run()).toEqual(first);
	});
});

describe('persistence', () => {
	it('keeps drives, accounts and keys across a restart', async () => {
		const dataDir = await mkdtemp(join(tmpdir(), 'ms-emulator-persist-'));
		try {
			const first = await startHarness({ dataDir });
			const t = await passwordToken(first.em);
			const put = await graph(first.em, t, '/me/drive/root:/kept.txt:/content', { method: 'PUT', body: 'still here' });
			expect(put.status).toBe(201);
			await first.stop();
			const second = await startHarness({ dataDir });
			try {
				const again = await graph(second.em, await passwordToken(second.em), '/me/drive/root:/kept.txt');
				expect(again.body.file.hashes.quickXorHash).toBe(quickXorHashBase64(Buffer.from('still here')));
			} finally {
				await second.stop();
			}
		} finally {
			await rm(dataDir, { recursive: true, force: true });
		}
	});
});
