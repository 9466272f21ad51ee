// Conformance: delta scoped to a folder, as folder import uses it (../shared/reference/onedrive-graph.md §11):
// every page followed to an @odata.deltaLink, deleted facets, token=latest, only the folder's
// subtree, and a 10,000-file folder paged in full.
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON checked by assertions, not by static types */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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

/** Follows nextLinks until a page carries the deltaLink, as a client must. */
async function readFeed(start: string): Promise<{ items: any[]; deltaLink: string; pages: number }> {
	const items: any[] = [];
	let link: string | undefined = start;
	let pages = 0;
	for (;;) {
		const r = await graph(h.em, token, link!);
		expect(r.status).toBe(200);
		pages++;
		items.push(...r.body.value);
		const next = r.body['@odata.nextLink'];
		const delta = r.body['@odata.deltaLink'];
		// A page has one or the other, never both.
		expect(Boolean(next) !== Boolean(delta)).toBe(true);
		if (delta) return { items, deltaLink: delta, pages };
		link = next;
	}
}

async function folderId(path: string): Promise<string> {
	const r = await graph(h.em, token, `/me/drive/root:${path}`);
	expect(r.status).toBe(200);
	return r.body.id;
}

describe('folder-scoped delta', () => {
	it('enumerates only the folder’s subtree, parents before children, without paths', async () => {
		await control(h.em, 'POST', '/drives/alice@contoso.test/seed', {
			path: '/Imports',
			items: [
				{ name: 'Acme', children: [{ name: 'Kettle (B0ABCDEF12)', children: [{ name: 'clip.mp4', size: 2048 }] }] },
				{ name: 'loose.mp4', size: 1024 }
			]
		});
		await control(h.em, 'POST', '/drives/alice@contoso.test/seed', { path: '/Elsewhere', items: [{ name: 'other.mp4', size: 10 }] });
		const feed = await readFeed(`/me/drive/items/${await folderId('/Imports')}/delta?$top=2`);
		expect(feed.pages).toBe(3);
		const names = feed.items.map((item) => item.name);
		expect(names.sort()).toEqual(['Acme', 'Imports', 'Kettle (B0ABCDEF12)', 'clip.mp4', 'loose.mp4'].sort());
		const index = (name: string) => feed.items.findIndex((item) => item.name === name);
		expect(index('Imports')).toBeLessThan(index('Acme'));
		expect(index('Acme')).toBeLessThan(index('Kettle (B0ABCDEF12)'));
		expect(index('Kettle (B0ABCDEF12)')).toBeLessThan(index('clip.mp4'));
		expect(feed.items.every((item) => item.parentReference.path === undefined && item.parentReference.id)).toBe(true);
		expect(feed.items.find((item) => item.name === 'clip.mp4').file.hashes.quickXorHash).toMatch(/^[A-Za-z0-9+/]{27}=$/);
	});

	it('after the deltaLink reports exactly the new, changed and deleted items below the folder', async () => {
		await control(h.em, 'POST', '/drives/alice@contoso.test/seed', {
			path: '/Imports',
			items: [{ name: 'Acme', children: [{ name: 'a.mp4', size: 10 }, { name: 'b.mp4', size: 20 }, { name: 'c.mp4', size: 30 }] }]
		});
		const first = await readFeed(`/me/drive/items/${await folderId('/Imports')}/delta`);
		const byName = new Map(first.items.map((item) => [item.name, item]));
		await control(h.em, 'POST', '/drives/alice@contoso.test/seed', { path: '/Imports/Acme', items: [{ name: 'd.mp4', size: 40 }] });
		await graph(h.em, token, `/me/drive/items/${byName.get('b.mp4').id}`, { method: 'DELETE' });
		await graph(h.em, token, `/me/drive/items/${byName.get('c.mp4').id}`, { method: 'PATCH', json: { name: 'c-renamed.mp4' } });
		await control(h.em, 'POST', '/drives/alice@contoso.test/seed', { path: '/Elsewhere', items: [{ name: 'outside.mp4', size: 5 }] });

		const changes = await readFeed(first.deltaLink);
		const files = changes.items.filter((item) => !item.folder);
		expect(files.map((item) => item.name).sort()).toEqual(['b.mp4', 'c-renamed.mp4', 'd.mp4']);
		const deleted = files.find((item) => item.id === byName.get('b.mp4').id);
		expect(deleted.deleted).toBeDefined();
		expect(deleted.size).toBeUndefined();
		expect(deleted['@microsoft.graph.downloadUrl']).toBeUndefined();
		expect(files.find((item) => item.name === 'd.mp4').deleted).toBeUndefined();

		const quiet = await readFeed(changes.deltaLink);
		expect(quiet.items).toEqual([]);
	});

	it('token=latest gives no items and a link that reports only later changes', async () => {
		await control(h.em, 'POST', '/drives/alice@contoso.test/seed', { path: '/Imports', items: [{ name: 'old.mp4', size: 10 }] });
		const id = await folderId('/Imports');
		const latest = await graph(h.em, token, `/me/drive/items/${id}/delta?token=latest`);
		expect(latest.body.value).toEqual([]);
		expect(latest.body['@odata.nextLink']).toBeUndefined();
		await control(h.em, 'POST', '/drives/alice@contoso.test/seed', { path: '/Imports', items: [{ name: 'new.mp4', size: 10 }] });
		const after = await readFeed(latest.body['@odata.deltaLink']);
		expect(after.items.filter((item) => !item.folder).map((item) => item.name)).toEqual(['new.mp4']);
	});

	it('pages a 10,000-file folder completely, each item once', async () => {
		await control(h.em, 'POST', '/drives/alice@contoso.test/seed', {
			path: '/Big',
			items: Array.from({ length: 10_000 }, (_, i) => ({ name: `clip-${String(i).padStart(5, '0')}.mp4`, size: 1000 + i }))
		});
		const feed = await readFeed(`/me/drive/items/${await folderId('/Big')}/delta?$top=1000`);
		expect(feed.pages).toBe(11);
		const ids = new Set(feed.items.map((item) => item.id));
		expect(ids.size).toBe(10_001);
		expect(feed.items.filter((item) => item.file).length).toBe(10_000);
	});
});
