// Conformance: Graph drive API (everything but upload sessions), against ../shared/reference/onedrive-graph.md.
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON checked by assertions, not by static types */
import { readFile } from 'node:fs/promises';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_TREE } from '../src';
import { control, graph, passwordToken, startHarness, type Harness } from './support';

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

const fixture = (name: string) => readFile(new URL(`../../../tests/fixtures/videos/${name}`, import.meta.url));

describe('authentication', () => {
	it('answers a call without a token with 401 InvalidAuthenticationToken, WWW-Authenticate and the Graph error shape', async () => {
		const r = await graph(h.em, undefined, '/me/drive', { headers: { 'client-request-id': 'abc-123' } });
		expect(r.status).toBe(401);
		expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="", authorization_uri=".*", client_id="00000003-0000-0000-c000-000000000000"$/);
		expect(r.body.error.code).toBe('InvalidAuthenticationToken');
		expect(r.body.error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
		expect(r.body.error.innerError['client-request-id']).toBe('abc-123');
		expect(r.body.error.innerError['request-id']).toBe(r.headers.get('request-id'));
	});

	it('rejects an expired token', async () => {
		await control(h.em, 'PUT', '/token-lifetimes', { accessSeconds: 60 });
		const short = await passwordToken(h.em);
		expect((await graph(h.em, short, '/me/drive')).status).toBe(200);
		await control(h.em, 'POST', '/clock/advance', { seconds: 61 });
		const r = await graph(h.em, short, '/me/drive');
		expect(r.status).toBe(401);
		expect(r.body.error.message).toBe('Access token has expired or is not yet valid.');
	});

	it('rejects a token not signed by the emulator, and a malformed one', async () => {
		const forged = await new SignJWT({ aud: 'https://graph.microsoft.com', scp: 'Files.ReadWrite' }).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
		expect((await graph(h.em, forged, '/me/drive')).status).toBe(401);
		const r = await graph(h.em, 'not-a-jwt', '/me/drive');
		expect(r.status).toBe(401);
		expect(r.body.error.message).toContain('IDX14100');
	});

	it('needs Files.ReadWrite to write, Files.Read to read, User.Read for /me (403)', async () => {
		const readOnly = await passwordToken(h.em, 'alice@contoso.test', 'Files.Read');
		expect((await graph(h.em, readOnly, '/me/drive/root/children')).status).toBe(200);
		const write = await graph(h.em, readOnly, '/me/drive/root/children', { method: 'POST', json: { name: 'X', folder: {} } });
		expect(write.status).toBe(403);
		expect(write.body.error.code).toBe('accessDenied');
		expect((await graph(h.em, readOnly, '/me')).status).toBe(403);
		const userOnly = await passwordToken(h.em, 'alice@contoso.test', 'User.Read');
		expect((await graph(h.em, userOnly, '/me/drive')).status).toBe(403);
	});

	it("does not serve another user's drive", async () => {
		const bob = await graph(h.em, await passwordToken(h.em, 'bob@contoso.test'), '/me/drive');
		const r = await graph(h.em, token, `/drives/${bob.body.id}/root/children`);
		expect(r.status).toBe(404);
	});
});

describe('user and drive', () => {
	it('returns /me with the default property set, id equal to the id_token oid', async () => {
		const r = await graph(h.em, token, '/me');
		expect(r.status).toBe(200);
		expect(Object.keys(r.body).sort()).toEqual(
			['@odata.context', 'businessPhones', 'displayName', 'givenName', 'id', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName'].sort()
		);
		expect(r.body.userPrincipalName).toBe('alice@contoso.test');
		const selected = await graph(h.em, token, '/me?$select=displayName');
		expect(selected.body['@odata.context']).toContain('users(displayName)');
		expect(selected.body.id).toBeUndefined();
	});

	it('returns the drive with its quota, and quota set through the control API', async () => {
		const r = await graph(h.em, token, '/me/drive');
		expect(r.body).toMatchObject({ driveType: 'personal', quota: { deleted: 0, state: 'normal' } });
		expect(r.body.quota.used).toBeGreaterThan(0);
		expect(r.body.quota.remaining).toBe(r.body.quota.total - r.body.quota.used);
		await control(h.em, 'PUT', '/drives/alice@contoso.test/quota', { total: r.body.quota.used });
		expect((await graph(h.em, token, '/me/drive')).body.quota).toMatchObject({ remaining: 0, state: 'exceeded' });
	});
});

describe('items', () => {
	it('addresses items by path and by id, and answers 404 itemNotFound', async () => {
		const byPath = await graph(h.em, token, '/me/drive/root:/Videos/clip-h264-aac-640x360-5s.mp4');
		expect(byPath.status).toBe(200);
		expect(byPath.body.parentReference).toMatchObject({ path: '/drive/root:/Videos', driveType: 'personal' });
		expect(byPath.body.file.hashes.quickXorHash).toBe('iM9AjPSjjWXcAkSzjzPzNvxZskE=');
		expect(byPath.body.video).toMatchObject({ duration: 5000, width: 640, height: 360 });
		const byId = await graph(h.em, token, `/me/drive/items/${encodeURIComponent(byPath.body.id)}`);
		expect(byId.body.name).toBe('clip-h264-aac-640x360-5s.mp4');
		const relative = await graph(h.em, token, `/me/drive/items/${byPath.body.parentReference.id}:/clip-h264-aac-640x360-5s.mp4:`);
		expect(relative.body.id).toBe(byPath.body.id);
		const missing = await graph(h.em, token, '/me/drive/root:/Videos/nope.mp4');
		expect(missing.status).toBe(404);
		expect(missing.body.error.code).toBe('itemNotFound');
	});

	it('answers If-None-Match with 304 when the eTag matches', async () => {
		const item = await graph(h.em, token, '/me/drive/root:/Videos');
		const r = await graph(h.em, token, '/me/drive/root:/Videos', { headers: { 'If-None-Match': item.body.eTag } });
		expect(r.status).toBe(304);
	});

	it('lists children with $top paging, $select, $orderby, and rejects an unsupported $orderby', async () => {
		const first = await graph(h.em, token, '/me/drive/root:/Videos:/children?$top=2&$select=name,size&$orderby=size desc');
		expect(first.body.value).toHaveLength(2);
		expect(Object.keys(first.body.value[0]).sort()).toEqual(['id', 'name', 'size']);
		expect(first.body.value[0].size).toBeGreaterThanOrEqual(first.body.value[1].size);
		const next = await graph(h.em, token, first.body['@odata.nextLink']);
		expect(next.body.value).toHaveLength(1);
		expect(next.body['@odata.nextLink']).toBeUndefined();
		const bad = await graph(h.em, token, '/me/drive/root/children?$orderby=eTag');
		expect(bad.status).toBe(400);
		expect(bad.body.error.code).toBe('invalidRequest');
	});

	it('expands thumbnails and serves them as images from the content origin', async () => {
		const r = await graph(h.em, token, '/me/drive/root:/Videos:/children?$expand=thumbnails');
		const clip = r.body.value.find((i: any) => i.name === 'clip-h264-aac-640x360-5s.mp4');
		expect(clip.thumbnails[0].medium).toMatchObject({ width: 176, height: 99 });
		const content = await graph(h.em, token, `/me/drive/items/${clip.id}/thumbnails/0/small/content`);
		expect(content.status).toBe(302);
		const image = await fetch(content.headers.get('location')!);
		expect(image.headers.get('content-type')).toBe('image/png');
		expect(new Uint8Array(await image.arrayBuffer()).subarray(1, 4)).toEqual(new Uint8Array([0x50, 0x4e, 0x47]));
	});

	it('creates folders, honouring conflictBehavior, and rejects invalid names', async () => {
		const made = await graph(h.em, token, '/me/drive/root/children', { method: 'POST', json: { name: 'Clips', folder: {}, '@microsoft.graph.conflictBehavior': 'fail' } });
		expect(made.status).toBe(201);
		expect(made.body.folder.childCount).toBe(0);
		const clash = await graph(h.em, token, '/me/drive/root/children', { method: 'POST', json: { name: 'clips', folder: {}, '@microsoft.graph.conflictBehavior': 'fail' } });
		expect(clash.status).toBe(409);
		expect(clash.body.error.code).toBe('nameAlreadyExists');
		const unspecified = await graph(h.em, token, '/me/drive/root/children', { method: 'POST', json: { name: 'Clips', folder: {} } });
		expect(unspecified.status).toBe(409);
		const renamed = await graph(h.em, token, '/me/drive/root/children', { method: 'POST', json: { name: 'Clips', folder: {}, '@microsoft.graph.conflictBehavior': 'rename' } });
		expect(renamed.body.name).toBe('Clips 1');
		for (const name of ['a:b', 'trailing.', 'CON', 'x?']) {
			const bad = await graph(h.em, token, '/me/drive/root/children', { method: 'POST', json: { name, folder: {} } });
			expect(bad.status, name).toBe(400);
		}
		const missingParent = await graph(h.em, token, '/me/drive/root:/Nope:/children', { method: 'POST', json: { name: 'A', folder: {} } });
		expect(missingParent.status).toBe(404);
	});

	it('renames and moves with PATCH, refusing cycles and stale eTags', async () => {
		const a = await graph(h.em, token, '/me/drive/root/children', { method: 'POST', json: { name: 'A', folder: {} } });
		const b = await graph(h.em, token, `/me/drive/items/${a.body.id}/children`, { method: 'POST', json: { name: 'B', folder: {} } });
		const video = (await graph(h.em, token, '/me/drive/root:/Videos:/children')).body.value[0];
		const patched = await graph(h.em, token, `/me/drive/items/${video.id}`, { method: 'PATCH', json: { name: 'renamed.mp4', parentReference: { id: b.body.id } } });
		expect(patched.status).toBe(200);
		expect(patched.body.parentReference.path).toBe('/drive/root:/A/B');
		expect(patched.body.eTag).not.toBe(video.eTag);
		expect(patched.body.cTag).toBe(video.cTag);
		const cycle = await graph(h.em, token, `/me/drive/items/${a.body.id}`, { method: 'PATCH', json: { parentReference: { id: b.body.id } } });
		expect(cycle.status).toBe(400);
		const stale = await graph(h.em, token, `/me/drive/items/${video.id}`, { method: 'PATCH', headers: { 'If-Match': video.eTag }, json: { name: 'again.mp4' } });
		expect(stale.status).toBe(412);
	});

	it('deletes with 204, then 404', async () => {
		const item = await graph(h.em, token, '/me/drive/root:/Videos/clip-vp9-320x240-4s.webm');
		expect((await graph(h.em, token, `/me/drive/items/${item.body.id}`, { method: 'DELETE' })).status).toBe(204);
		expect((await graph(h.em, token, `/me/drive/items/${item.body.id}`)).status).toBe(404);
		const root = await graph(h.em, token, '/me/drive/root');
		expect((await graph(h.em, token, `/me/drive/items/${root.body.id}`, { method: 'DELETE' })).status).toBe(403);
	});

	it('finds items by name with search(q=)', async () => {
		const r = await graph(h.em, token, "/me/drive/root/search(q='vp9')");
		expect(r.body.value.map((i: any) => i.name)).toEqual(['clip-vp9-320x240-4s.webm']);
		const none = await graph(h.em, token, "/me/drive/search(q='zzz')");
		expect(none.body.value).toEqual([]);
	});
});

describe('content', () => {
	it('uploads by PUT /content: 201 new, 200 replaced, zero bytes allowed, hash and facet computed', async () => {
		const bytes = await fixture('portrait-1080x1920-2s.mp4');
		const created = await graph(h.em, token, '/me/drive/root:/Videos/upload.mp4:/content', { method: 'PUT', body: bytes });
		expect(created.status).toBe(201);
		expect(created.body.file.hashes.quickXorHash).toBe('uUVFLz3w6K64E6S1Dn0zhAsY/jA=');
		expect(created.body.video).toMatchObject({ width: 1080, height: 1920, duration: 2000 });
		const replaced = await graph(h.em, token, `/me/drive/items/${created.body.id}/content`, { method: 'PUT', body: Buffer.from('hello world') });
		expect(replaced.status).toBe(200);
		expect(replaced.body.id).toBe(created.body.id);
		expect(replaced.body.file.hashes.quickXorHash).toBe('aCgDG9jwBhDc4Q1yawMZAAAAAAA=');
		expect(replaced.body.video).toBeUndefined();
		// New content changes both tags (a rename, above, changes only the eTag).
		expect(replaced.body.eTag).not.toBe(created.body.eTag);
		expect(replaced.body.cTag).not.toBe(created.body.cTag);
		const empty = await graph(h.em, token, '/me/drive/root:/empty.txt:/content', { method: 'PUT', body: new Uint8Array(0) });
		expect(empty.status).toBe(201);
		expect(empty.body.size).toBe(0);
		expect(empty.body.file.hashes.quickXorHash).toBe('AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
		const fail = await graph(h.em, token, '/me/drive/root:/empty.txt:/content?@microsoft.graph.conflictBehavior=fail', { method: 'PUT', body: 'x' });
		expect(fail.status).toBe(409);
	});

	it('refuses a simple upload over the remaining quota with 507', async () => {
		await control(h.em, 'PUT', '/drives/alice@contoso.test/quota', { total: 1 });
		const r = await graph(h.em, token, '/me/drive/root:/big.bin:/content', { method: 'PUT', body: Buffer.alloc(1000) });
		expect(r.status).toBe(507);
		expect(r.body.error.code).toBe('quotaLimitReached');
	});

	it('redirects /content to a pre-authenticated URL on the content origin that serves ranges', async () => {
		const bytes = await fixture('clip-h264-aac-640x360-5s.mp4');
		const r = await graph(h.em, token, '/me/drive/root:/Videos/clip-h264-aac-640x360-5s.mp4:/content');
		expect(r.status).toBe(302);
		const location = r.headers.get('location')!;
		expect(new URL(location).origin).toBe(h.em.contentUrl);
		const whole = await fetch(location);
		expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
		const part = await fetch(location, { headers: { Range: 'bytes=100-199', Origin: 'http://localhost:5173' } });
		expect(part.status).toBe(206);
		expect(part.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`);
		expect(part.headers.get('access-control-allow-origin')).toBe('*');
		expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
		const tail = await fetch(location, { headers: { Range: 'bytes=-10' } });
		expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.length - 10))).toBe(true);
		const beyond = await fetch(location, { headers: { Range: `bytes=${bytes.length}-` } });
		expect(beyond.status).toBe(416);
		expect(beyond.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
		const tampered = await fetch(location.replace(/sig=[^&]+/, 'sig=AAAA'));
		expect(tampered.status).toBe(401);
	});

	it('lets download URLs expire', async () => {
		const item = await graph(h.em, token, '/me/drive/root:/Videos/clip-vp9-320x240-4s.webm');
		const url = item.body['@microsoft.graph.downloadUrl'];
		expect((await fetch(url)).status).toBe(200);
		await control(h.em, 'POST', '/clock/advance', { seconds: 3601 });
		expect((await fetch(url)).status).toBe(401);
	});
});

describe('delta', () => {
	it('enumerates, pages, then reports only changes, with deleted facets and no paths', async () => {
		const collect = async (start: string) => {
			const items: any[] = [];
			let link: string | undefined = start;
			let deltaLink = '';
			let requests = 0;
			while (link) {
				requests++;
				const r = await graph(h.em, token, link);
				items.push(...r.body.value);
				link = r.body['@odata.nextLink'];
				deltaLink = r.body['@odata.deltaLink'] ?? deltaLink;
			}
			return { items, deltaLink, requests };
		};
		const initial = await collect('/me/drive/root/delta?$top=2');
		const pages = initial.items;
		expect(pages.map((i) => i.name)).toEqual(expect.arrayContaining(['root', 'Videos', 'clip-vp9-320x240-4s.webm']));
		// root, Videos and its 3 videos; then the demo import tree: its top folder, every folder on its paths, its files.
		const tree = DEMO_TREE['alice@contoso.test']!.map((entry) => entry.path);
		const treeFolders = new Set(tree.flatMap((path) => path.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
		const total = 5 + 1 + treeFolders.size + tree.length;
		expect(pages).toHaveLength(total);
		expect(initial.requests).toBe(Math.ceil(total / 2)); // nextLinks keep $top=2
		expect(pages[0].root).toBeDefined();
		expect(pages.every((i) => i.parentReference?.path === undefined)).toBe(true);
		const webm = pages.find((i) => i.name === 'clip-vp9-320x240-4s.webm');
		await graph(h.em, token, `/me/drive/items/${webm.id}`, { method: 'DELETE' });
		await graph(h.em, token, '/me/drive/root/children', { method: 'POST', json: { name: 'New', folder: {} } });
		const changes = await collect(initial.deltaLink);
		const deleted = changes.items.find((i: any) => i.id === webm.id);
		expect(deleted.deleted).toEqual({ state: 'deleted' });
		expect(deleted.size).toBeUndefined();
		expect(changes.items.some((i: any) => i.name === 'New')).toBe(true);
		expect(changes.items.some((i: any) => i.name === 'clip-h264-aac-640x360-5s.mp4')).toBe(false);
		const quiet = await collect(changes.deltaLink);
		expect(quiet.items).toEqual([]);
	});

	it('supports token=latest, folder-scoped delta, and 410 after the drive was reset', async () => {
		const latest = await graph(h.em, token, "/me/drive/root/delta(token='latest')");
		expect(latest.body.value).toEqual([]);
		const videos = await graph(h.em, token, '/me/drive/root:/Videos');
		const scoped = await graph(h.em, token, `/me/drive/items/${videos.body.id}/delta`);
		expect(scoped.body.value.map((i: any) => i.name).sort()).toEqual(['Videos', 'clip-h264-1280x720-3s-moov-at-end.mp4', 'clip-h264-aac-640x360-5s.mp4', 'clip-vp9-320x240-4s.webm'].sort());
		await control(h.em, 'POST', '/reset');
		token = await passwordToken(h.em);
		const gone = await graph(h.em, token, latest.body['@odata.deltaLink']);
		expect(gone.status).toBe(410);
		expect(gone.body.error.innerError.code).toBe('resyncChangesApplyDifferences');
		expect(gone.headers.get('location')).toContain('/delta');
	});
});

describe('CORS', () => {
	it('answers preflights and exposes the headers Graph exposes (Retry-After only when switched on)', async () => {
		const pre = await fetch(`${h.em.url}/v1.0/me/drive`, { method: 'OPTIONS', headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
		expect(pre.status).toBe(200);
		expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
		const r = await graph(h.em, token, '/me/drive', { headers: { Origin: 'http://localhost:5173' } });
		const exposed = r.headers.get('access-control-expose-headers')!;
		expect(exposed).toContain('Location');
		expect(exposed).toContain('request-id');
		expect(exposed).not.toContain('Retry-After');
		await control(h.em, 'PUT', '/settings', { exposeRetryAfter: true });
		const again = await graph(h.em, token, '/me/drive', { headers: { Origin: 'http://localhost:5173' } });
		expect(again.headers.get('access-control-expose-headers')).toContain('Retry-After');
	});
});
