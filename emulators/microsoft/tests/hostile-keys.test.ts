// Conformance: ids, names and sizes that are also property names of every JavaScript object.
// A lookup in a plain object would find Object.prototype (or one of its methods) for them; the
// emulator must answer as for any other unknown key, and must not change shared state.
// This file runs in a process of its own, so a failure here cannot spill into other suites.
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON checked by assertions, not by static types */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { control, graph, passwordToken, startHarness, type Harness } from './support';

const HOSTILE = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf'];

let h: Harness;
let alice: string;
let bob: string;
beforeAll(async () => {
	h = await startHarness();
});
afterAll(() => h.stop());
beforeEach(async () => {
	await control(h.em, 'POST', '/reset');
	alice = await passwordToken(h.em, 'alice@contoso.test');
	bob = await passwordToken(h.em, 'bob@contoso.test');
});

/** Another account's drive still works as usual, and no property leaked onto every object (the emulator runs in this process). */
async function expectOtherDrivesUnharmed(): Promise<void> {
	const listing = await graph(h.em, bob, '/me/drive/root:/Videos:/children');
	expect(listing.status).toBe(200);
	expect(listing.body.value.length).toBe(3);
	const created = await graph(h.em, bob, '/me/drive/root:/after.bin:/createUploadSession', { method: 'POST', json: { item: { name: 'after.bin' } } });
	expect(created.status).toBe(200);
	const put = await fetch(created.body.uploadUrl, { method: 'PUT', headers: { 'Content-Range': 'bytes 0-2/3' }, body: new Uint8Array([1, 2, 3]) });
	expect(put.status).toBe(201);
	expect(((await put.json()) as any).name).toBe('after.bin');
	expect(({} as any).name).toBeUndefined();
	expect(({} as any).deleted).toBeUndefined();
}

describe('item ids that are Object.prototype property names', () => {
	for (const id of HOSTILE) {
		it(`answers 404 itemNotFound for items/${id} on every route and leaves other drives alone`, async () => {
			const routes: Array<[string, string, unknown?]> = [
				['GET', `/me/drive/items/${id}`],
				['GET', `/me/drive/items/${id}/children`],
				['GET', `/me/drive/items/${id}/content`],
				['GET', `/me/drive/items/${id}/thumbnails`],
				['GET', `/me/drive/items/${id}/delta`],
				['GET', `/me/drive/items/${id}:/a.bin`],
				['PATCH', `/me/drive/items/${id}`, { name: 'polluted' }],
				['PATCH', `/me/drive/root:/Videos/clip-vp9-320x240-4s.webm`, { parentReference: { id } }],
				['POST', `/me/drive/items/${id}/children`, { name: 'x', folder: {} }],
				['POST', `/me/drive/items/${id}/createUploadSession`, {}],
				['POST', `/me/drive/items/${id}:/a.bin:/createUploadSession`, {}],
				['PUT', `/me/drive/items/${id}/content`],
				['DELETE', `/me/drive/items/${id}`]
			];
			for (const [method, path, json] of routes) {
				const init: RequestInit & { json?: unknown } = { method };
				if (json !== undefined) init.json = json;
				else if (method === 'PUT') Object.assign(init, { body: 'abc' });
				const r = await graph(h.em, alice, path, init);
				expect({ method, path, status: r.status, code: r.body?.error?.code }).toEqual({ method, path, status: 404, code: 'itemNotFound' });
			}
			await expectOtherDrivesUnharmed();
		});
	}
});

describe('upload session ids that are Object.prototype property names', () => {
	for (const id of HOSTILE) {
		it(`answers 404 itemNotFound for the upload URL of session ${id}`, async () => {
			const drive = await graph(h.em, alice, '/me/drive');
			const url = `${h.em.contentUrl}/up/${encodeURIComponent(drive.body.id)}/${id}?tempauth=x`;
			for (const method of ['GET', 'PUT', 'POST', 'DELETE']) {
				const init: RequestInit = method === 'PUT' ? { method, headers: { 'Content-Range': 'bytes 0-2/3' }, body: new Uint8Array([1, 2, 3]) } : { method };
				const response = await fetch(url, init);
				const body = (await response.json()) as any;
				expect({ method, status: response.status, code: body.error.code }).toEqual({ method, status: 404, code: 'itemNotFound' });
			}
			const commit = await graph(h.em, alice, '/me/drive/root:/late.bin', { method: 'PUT', json: { '@microsoft.graph.sourceUrl': url } });
			expect(commit.status).toBe(404);
			expect(commit.body.error.code).toBe('itemNotFound');
			await expectOtherDrivesUnharmed();
		});
	}
});

describe('other keyed routes', () => {
	for (const key of HOSTILE) {
		it(`refuses ${key} as a drive id, account, fault id and thumbnail size`, async () => {
			const drive = await graph(h.em, alice, `/drives/${key}`);
			expect(drive.status).toBe(404);
			expect(drive.body.error.code).toBe('itemNotFound');
			const download = await fetch(`${h.em.contentUrl}/dl/${key}/${key}?v=1&exp=9999999999999&sig=x`);
			expect(download.status).toBe(401);
			const thumb = await fetch(`${h.em.contentUrl}/thumb/${key}/${key}/96x96.png?v=1&exp=9999999999999&sig=x`);
			expect(thumb.status).toBe(401);
			for (const [method, path] of [
				['GET', `/drives/${key}/files`],
				['POST', `/accounts/${key}/revoke-refresh-tokens`],
				['POST', `/accounts/${key}/revoke-sign-in-sessions`],
				['DELETE', `/faults/${key}`]
			] as const) {
				const response = await fetch(`${h.em.url}/_emulator${path}`, { method, headers: { 'Content-Type': 'application/json' } });
				expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
			}
			const clip = await graph(h.em, alice, '/me/drive/root:/Videos/clip-h264-aac-640x360-5s.mp4');
			const size = await graph(h.em, alice, `/me/drive/items/${clip.body.id}/thumbnails/0/${key}`);
			expect(size.status).toBe(404);
			expect(size.body.error.code).toBe('itemNotFound');
			const selected = await graph(h.em, alice, `/me/drive/items/${clip.body.id}/thumbnails?$select=${key}`);
			expect(selected.status).toBe(400);
			expect(selected.body.error.code).toBe('invalidRequest');
			await expectOtherDrivesUnharmed();
		});
	}

	it('gives files whose extension is an Object.prototype property name the generic MIME type', async () => {
		for (const name of ['clip.constructor', 'clip.__proto__', 'clip.hasownproperty']) {
			const r = await graph(h.em, alice, `/me/drive/root:/${name}:/content`, { method: 'PUT', body: 'abc' });
			expect(r.status).toBe(201);
			expect({ name, mimeType: r.body.file.mimeType }).toEqual({ name, mimeType: 'application/octet-stream' });
		}
	});
});
