// Conformance: upload sessions (createUploadSession and the uploadUrl), against onedrive-graph.md §8.
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON checked by assertions, not by static types */
import { request } from 'node:http';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { quickXorHashBase64 } from '../src/quick-xor-hash';
import { control, graph, passwordToken, startHarness, type Harness } from './support';

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

function bytes(length: number, seed = 1): Buffer {
	const out = Buffer.alloc(length);
	for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7 + (i >> 9)) & 0xff;
	return out;
}

async function session(path = '/me/drive/root:/Videos/new.bin:/createUploadSession', body: unknown = { item: { '@microsoft.graph.conflictBehavior': 'fail' } }) {
	const r = await graph(h.em, token, path, { method: 'POST', json: body });
	if (r.status !== 200) throw new Error(`createUploadSession -> ${r.status} ${r.text}`);
	return r.body.uploadUrl as string;
}

async function put(url: string, data: Buffer, first: number, total: number | string, headers: Record<string, string> = {}) {
	const response = await fetch(url, {
		method: 'PUT',
		headers: { 'Content-Range': `bytes ${first}-${first + data.length - 1}/${total}`, ...headers },
		body: new Uint8Array(data)
	});
	const text = await response.text();
	return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

const status = async (url: string) => {
	const r = await fetch(url);
	return { status: r.status, body: await r.json() };
};

describe('createUploadSession', () => {
	it('returns an uploadUrl on the content origin with expirationDateTime and nextExpectedRanges', async () => {
		const r = await graph(h.em, token, '/me/drive/root:/Videos/a.mp4:/createUploadSession', { method: 'POST', json: {} });
		expect(r.status).toBe(200);
		expect(new URL(r.body.uploadUrl).origin).toBe(h.em.contentUrl);
		expect(new URL(r.body.uploadUrl).origin).not.toBe(h.em.url);
		expect(new Date(r.body.expirationDateTime).getTime()).toBeGreaterThan(Date.now());
		expect(r.body.nextExpectedRanges).toEqual(['0-']);
	});

	it('creates by parent id plus name, and accepts the odata.type annotation', async () => {
		const videos = await graph(h.em, token, '/me/drive/root:/Videos');
		const r = await graph(h.em, token, `/me/drive/items/${videos.body.id}:/b.mp4:/createUploadSession`, {
			method: 'POST',
			json: { item: { '@odata.type': 'microsoft.graph.driveItemUploadableProperties', name: 'b.mp4' } }
		});
		expect(r.status).toBe(200);
	});

	it('refuses a body name that differs from the path, and an unknown conflictBehavior', async () => {
		const mismatch = await graph(h.em, token, '/me/drive/root:/a.mp4:/createUploadSession', { method: 'POST', json: { item: { name: 'b.mp4' } } });
		expect(mismatch.status).toBe(400);
		const overwrite = await graph(h.em, token, '/me/drive/root:/a.mp4:/createUploadSession', { method: 'POST', json: { item: { '@microsoft.graph.conflictBehavior': 'overwrite' } } });
		expect(overwrite.status).toBe(400);
	});

	it('answers 507 before any byte when fileSize exceeds the remaining quota', async () => {
		const drive = await graph(h.em, token, '/me/drive');
		const r = await graph(h.em, token, '/me/drive/root:/huge.mp4:/createUploadSession', { method: 'POST', json: { item: { fileSize: drive.body.quota.remaining + 1 } } });
		expect(r.status).toBe(507);
		expect(r.body.error.code).toBe('quotaLimitReached');
		const files = await control(h.em, 'GET', '/drives/alice@contoso.test/files');
		expect(files.uploadSessions).toEqual([]);
	});

	it('refuses a fragment that does not fit in the free space with 507 quotaLimitReached when no fileSize was given', async () => {
		const used = (await control(h.em, 'GET', '/drives/alice@contoso.test/files')).quota.used as number;
		// About 1.5 fragments of 960 KiB free.
		await control(h.em, 'PUT', '/drives/alice@contoso.test/quota', { total: used + UNIT * 4 + 1000 });
		const url = await session('/me/drive/root:/Videos/too-big.bin:/createUploadSession', {});
		const terabyte = 1024 ** 4;
		const first = await put(url, bytes(UNIT * 3), 0, terabyte);
		expect(first.status).toBe(202);
		for (let i = 0; i < 3; i++) {
			const next = await put(url, bytes(UNIT * 3, i + 2), UNIT * 3, terabyte);
			expect(next.status).toBe(507);
			expect(next.body.error.code).toBe('quotaLimitReached');
		}
		expect((await status(url)).body.nextExpectedRanges).toEqual([`${UNIT * 3}-`]);
		const files = await control(h.em, 'GET', '/drives/alice@contoso.test/files');
		expect(files.uploadSessions).toMatchObject([{ name: 'too-big.bin', received: UNIT * 3 }]);
		expect(files.quota.used).toBe(used);
	});

	it('refuses the very first fragment when nothing fits, keeping no bytes', async () => {
		const used = (await control(h.em, 'GET', '/drives/alice@contoso.test/files')).quota.used as number;
		await control(h.em, 'PUT', '/drives/alice@contoso.test/quota', { total: used + 600_000 });
		const url = await session('/me/drive/root:/Videos/too-big.bin:/createUploadSession', {});
		for (let i = 0; i < 10; i++) {
			const r = await put(url, bytes(UNIT * 3), 0, 1024 ** 4);
			expect(r.status).toBe(507);
			expect(r.body.error.code).toBe('quotaLimitReached');
		}
		expect((await status(url)).body.nextExpectedRanges).toEqual(['0-']);
		const files = await control(h.em, 'GET', '/drives/alice@contoso.test/files');
		expect(files.uploadSessions).toMatchObject([{ received: 0 }]);
	});

	it('counts the size of the file being replaced as free when checking a fragment', async () => {
		const existing = Buffer.alloc(UNIT * 3, 7);
		const created = await graph(h.em, token, '/me/drive/root:/Videos/replace-me.bin:/content', { method: 'PUT', body: new Uint8Array(existing) });
		expect(created.status).toBe(201);
		const used = (await control(h.em, 'GET', '/drives/alice@contoso.test/files')).quota.used as number;
		await control(h.em, 'PUT', '/drives/alice@contoso.test/quota', { total: used + UNIT });
		const r = await graph(h.em, token, `/me/drive/items/${created.body.id}/createUploadSession`, { method: 'POST', json: {} });
		expect(r.status).toBe(200);
		const data = bytes(UNIT * 4);
		expect((await put(r.body.uploadUrl, data.subarray(0, UNIT * 3), 0, data.length)).status).toBe(202);
		const done = await put(r.body.uploadUrl, data.subarray(UNIT * 3), UNIT * 3, data.length);
		expect(done.status).toBe(200);
		expect(done.body.size).toBe(UNIT * 4);
	});

	it('answers 409 at creation for an existing name under explicit fail', async () => {
		const r = await graph(h.em, token, '/me/drive/root:/Videos/clip-vp9-320x240-4s.webm:/createUploadSession', { method: 'POST', json: { item: { '@microsoft.graph.conflictBehavior': 'fail' } } });
		expect(r.status).toBe(409);
		expect(r.body.error.code).toBe('nameAlreadyExists');
	});
});

describe('fragments', () => {
	it('takes sequential fragments: 202 with nextExpectedRanges, then 201 with the driveItem and its hash', async () => {
		const data = bytes(UNIT * 2 + 12345);
		const url = await session('/me/drive/root:/Videos/upload.bin:/createUploadSession');
		const first = await put(url, data.subarray(0, UNIT * 2), 0, data.length);
		expect(first.status).toBe(202);
		expect(first.body.nextExpectedRanges).toEqual([`${UNIT * 2}-`]);
		expect(first.body.expirationDateTime).toBeTruthy();
		const last = await put(url, data.subarray(UNIT * 2), UNIT * 2, data.length);
		expect(last.status).toBe(201);
		expect(last.body).toMatchObject({ name: 'upload.bin', size: data.length });
		expect(last.body.file.hashes.quickXorHash).toBe(quickXorHashBase64(data));
		expect(last.body.video).toBeUndefined();
		expect((await fetch(url)).status).toBe(404);
		const download = await fetch(last.body['@microsoft.graph.downloadUrl']);
		expect(Buffer.from(await download.arrayBuffer()).equals(data)).toBe(true);
	});

	it('reads the video facet of an uploaded video', async () => {
		const file = await readFile(new URL('../../../tests/fixtures/videos/clip-quicktime-1280x720-3s.mov', import.meta.url));
		const url = await session('/me/drive/root:/Videos/upload.mov:/createUploadSession');
		const last = await put(url, file, 0, file.length);
		expect(last.status).toBe(201);
		expect(last.body.file).toMatchObject({ mimeType: 'video/quicktime', hashes: { quickXorHash: 'CIC15Xzbyc4CcBZzxJkY3dArpVE=' } });
		expect(last.body.video).toMatchObject({ width: 1280, height: 720, duration: 3000 });
	});

	it('refuses an Authorization header on the uploadUrl with 401', async () => {
		const url = await session();
		const r = await put(url, bytes(10), 0, 10, { Authorization: `Bearer ${token}` });
		expect(r.status).toBe(401);
		expect(r.body.error.code).toBe('unauthenticated');
		const get = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
		expect(get.status).toBe(401);
	});

	it('refuses a tampered tempauth', async () => {
		const url = await session();
		const r = await put(url.replace(/tempauth=.*/, 'tempauth=wrong'), bytes(10), 0, 10);
		expect(r.status).toBe(401);
	});

	it('refuses a non-final fragment that is not a multiple of 320 KiB, keeping nothing', async () => {
		const url = await session();
		const r = await put(url, bytes(UNIT + 1), 0, UNIT * 3);
		expect(r.status).toBe(400);
		expect(r.body.error.code).toBe('invalidRequest');
		expect((await status(url)).body.nextExpectedRanges).toEqual(['0-']);
	});

	it('refuses out-of-order (fragmentOutOfOrder) and overlapping (fragmentOverlap) fragments with 416', async () => {
		const url = await session();
		const total = UNIT * 3;
		const gap = await put(url, bytes(UNIT), UNIT, total);
		expect(gap.status).toBe(416);
		expect(gap.body.error).toMatchObject({ code: 'invalidRange', innerError: { code: 'fragmentOutOfOrder' } });
		expect((await put(url, bytes(UNIT), 0, total)).status).toBe(202);
		const again = await put(url, bytes(UNIT), 0, total);
		expect(again.status).toBe(416);
		expect(again.body.error.innerError.code).toBe('fragmentOverlap');
	});

	it('refuses a fragment whose total differs from the session total', async () => {
		const url = await session();
		expect((await put(url, bytes(UNIT), 0, UNIT * 3)).status).toBe(202);
		const r = await put(url, bytes(UNIT), UNIT, UNIT * 4);
		expect(r.status).toBe(400);
		expect(r.body.error.message).toBe(`The current upload session is for ${UNIT * 3} total bytes, but the current fragment declares a total of ${UNIT * 4}.`);
		expect(r.body.error.innerError.code).toBe('fragmentLengthMismatch');
	});

	it('refuses a total that differs from the declared fileSize', async () => {
		const url = await session('/me/drive/root:/sized.bin:/createUploadSession', { item: { fileSize: 100 } });
		expect((await put(url, bytes(50), 0, 60)).status).toBe(400);
	});

	it('refuses a malformed Content-Range, an unknown total, and a length that does not match the range', async () => {
		const url = await session();
		expect((await put(url, bytes(10), 0, '*')).status).toBe(400);
		const malformed = await fetch(url, { method: 'PUT', headers: { 'Content-Range': 'bytes=0-9' }, body: new Uint8Array(bytes(10)) });
		expect(malformed.status).toBe(400);
		expect((await malformed.json()).error.message).toBe('The Content-Range header is missing or malformed.');
		const missing = await fetch(url, { method: 'PUT', body: new Uint8Array(bytes(10)) });
		expect(missing.status).toBe(400);
		const mismatch = await fetch(url, { method: 'PUT', headers: { 'Content-Range': `bytes 0-${UNIT - 1}/${UNIT * 2}` }, body: new Uint8Array(bytes(100)) });
		expect(mismatch.status).toBe(400);
		expect((await mismatch.json()).error.message).toBe('The Content-Range header length does not match the provided number of bytes.');
	});

	it('refuses a fragment of 60 MiB or more with 413 before reading it', async () => {
		const url = new URL(await session());
		const length = 60 * 1024 * 1024;
		const result = await new Promise<{ status: number; body: any }>((resolve, reject) => {
			const req = request(url, { method: 'PUT', headers: { 'Content-Length': length, 'Content-Range': `bytes 0-${length - 1}/${length * 2}` } }, (res) => {
				let text = '';
				res.on('data', (c) => (text += c));
				res.on('end', () => {
					req.destroy();
					resolve({ status: res.statusCode!, body: JSON.parse(text) });
				});
			});
			req.on('error', reject);
			req.write(Buffer.alloc(1024));
		});
		expect(result.status).toBe(413);
		expect(result.body.error.innerError.code).toBe('maxFragmentLengthExceeded');
	});

	it('reports status with GET, cancels with DELETE (204, then 404)', async () => {
		const url = await session();
		await put(url, bytes(UNIT), 0, UNIT * 2);
		const s = await status(url);
		expect(s.status).toBe(200);
		expect(s.body.nextExpectedRanges).toEqual([`${UNIT}-`]);
		expect((await fetch(url, { method: 'DELETE' })).status).toBe(204);
		const gone = await status(url);
		expect(gone.status).toBe(404);
		expect(gone.body.error).toMatchObject({ code: 'itemNotFound', message: 'The upload session was not found' });
		expect((await put(url, bytes(UNIT), UNIT, UNIT * 2)).status).toBe(404);
	});

	it('answers 409 nameAlreadyExists on the final fragment under fail, keeps the session, and commits by sourceUrl', async () => {
		const url = await session('/me/drive/root:/Videos/late.bin:/createUploadSession');
		await put(url, bytes(UNIT), 0, UNIT + 10);
		await graph(h.em, token, '/me/drive/root:/Videos/late.bin:/content', { method: 'PUT', body: 'someone else' });
		const last = await put(url, bytes(10, 2), UNIT, UNIT + 10);
		expect(last.status).toBe(409);
		expect(last.body.error.code).toBe('nameAlreadyExists');
		expect((await status(url)).body.nextExpectedRanges).toEqual([]);
		const commit = await graph(h.em, token, '/me/drive/root:/Videos/late.bin', {
			method: 'PUT',
			json: { name: 'late.bin', '@microsoft.graph.conflictBehavior': 'rename', '@microsoft.graph.sourceUrl': url }
		});
		expect(commit.status).toBe(201);
		expect(commit.body.name).toBe('late 1.bin');
		expect(commit.body.file.hashes.quickXorHash).toBe(quickXorHashBase64(Buffer.concat([bytes(UNIT), bytes(10, 2)])));
	});

	it('replaces with 200 under replace, and renames under rename', async () => {
		const replaceUrl = await session('/me/drive/root:/Videos/clip-vp9-320x240-4s.webm:/createUploadSession', { item: { '@microsoft.graph.conflictBehavior': 'replace' } });
		const replaced = await put(replaceUrl, bytes(100), 0, 100);
		expect(replaced.status).toBe(200);
		expect(replaced.body.size).toBe(100);
		const renameUrl = await session('/me/drive/root:/Videos/clip-vp9-320x240-4s.webm:/createUploadSession', { item: { '@microsoft.graph.conflictBehavior': 'rename' } });
		const renamed = await put(renameUrl, bytes(100), 0, 100);
		expect(renamed.status).toBe(201);
		expect(renamed.body.name).toBe('clip-vp9-320x240-4s 1.webm');
	});

	it('holds a deferCommit upload until POST to the uploadUrl', async () => {
		const url = await session('/me/drive/root:/deferred.bin:/createUploadSession', { item: {}, deferCommit: true });
		const last = await put(url, bytes(500), 0, 500);
		expect(last.status).toBe(202);
		expect(last.body.nextExpectedRanges).toEqual([]);
		expect((await graph(h.em, token, '/me/drive/root:/deferred.bin')).status).toBe(404);
		const commit = await fetch(url, { method: 'POST', headers: { 'Content-Length': '0' } });
		expect(commit.status).toBe(201);
		expect((await graph(h.em, token, '/me/drive/root:/deferred.bin')).status).toBe(200);
	});

	it('pushes expirationDateTime forward with each fragment and forgets idle sessions', async () => {
		const url = await session();
		const before = (await status(url)).body.expirationDateTime;
		await control(h.em, 'POST', '/clock/advance', { seconds: 600 });
		const after = await put(url, bytes(UNIT), 0, UNIT * 3);
		expect(new Date(after.body.expirationDateTime).getTime() - new Date(before).getTime()).toBeGreaterThanOrEqual(600_000);
		await control(h.em, 'POST', '/clock/advance', { seconds: 15 * 60 + 1 });
		expect((await status(url)).status).toBe(404);
	});

	it('ends every session about 24 hours after creation with 401 expiredToken', async () => {
		await control(h.em, 'PUT', '/token-lifetimes', { uploadUrlSeconds: 1200 });
		const url = await session();
		await control(h.em, 'POST', '/clock/advance', { seconds: 700 });
		expect((await put(url, bytes(UNIT), 0, UNIT * 3)).status).toBe(202);
		await control(h.em, 'POST', '/clock/advance', { seconds: 600 });
		const r = await status(url);
		expect(r.status).toBe(401);
		expect(r.body.error).toMatchObject({ code: 'unauthenticated', innerError: { code: 'expiredToken' } });
	});

	it('answers CORS preflights on the uploadUrl without allowing Authorization', async () => {
		const url = await session();
		const pre = await fetch(url, { method: 'OPTIONS', headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-range,authorization' } });
		expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
		expect(pre.headers.get('access-control-allow-methods')).toBe('PUT, GET, DELETE, POST');
		expect(pre.headers.get('access-control-allow-headers')).toBe('Content-Range, Content-Type');
	});
});
