import { describe, expect, it } from 'vitest';
import { AppError } from '$lib/errors';
import { GraphClient } from './graph-client';

type Scripted = { status: number; body?: unknown; headers?: Record<string, string> };

function harness(responses: Scripted[]) {
	const requests: { url: string; method: string; auth: string | null; body: string | null }[] = [];
	const tokens: boolean[] = [];
	const sleeps: number[] = [];
	const client = new GraphClient({
		baseUrl: 'https://graph.example/v1.0/',
		tokens: {
			getAccessToken: async ({ forceRefresh = false } = {}) => {
				tokens.push(forceRefresh);
				return forceRefresh ? 'fresh' : 'cached';
			}
		},
		fetch: async (input, init) => {
			const headers = new Headers(init?.headers);
			requests.push({ url: String(input), method: init?.method ?? 'GET', auth: headers.get('authorization'), body: (init?.body as string) ?? null });
			const next = responses.shift();
			if (!next) throw new TypeError('Failed to fetch');
			return new Response(next.body === undefined ? null : JSON.stringify(next.body), {
				status: next.status,
				headers: next.headers
			});
		},
		sleep: async (ms) => {
			sleeps.push(ms);
		}
	});
	return { client, requests, tokens, sleeps };
}

describe('GraphClient', () => {
	it('sends the bearer token to the configured base URL', async () => {
		const { client, requests } = harness([{ status: 200, body: { id: 'u1', displayName: 'Alice', userPrincipalName: 'alice@contoso.test', mail: null } }]);
		const me = await client.me();
		expect(me.displayName).toBe('Alice');
		expect(requests[0]).toMatchObject({ url: 'https://graph.example/v1.0/me?$select=id,displayName,userPrincipalName,mail', auth: 'Bearer cached' });
	});

	it('retries a 401 once with a freshly refreshed token, then reports it', async () => {
		const ok = harness([{ status: 401, body: { error: { code: 'InvalidAuthenticationToken' } } }, { status: 200, body: { id: 'd' } }]);
		await ok.client.drive();
		expect(ok.tokens).toEqual([false, true]);
		expect(ok.requests[1]?.auth).toBe('Bearer fresh');

		const bad = harness([{ status: 401 }, { status: 401 }]);
		await expect(bad.client.drive()).rejects.toMatchObject({ code: 'graph-unauthorized' });
		expect(bad.requests).toHaveLength(2);
	});

	it('waits for Retry-After on 429 and 503, at most twice', async () => {
		const { client, sleeps } = harness([
			{ status: 429, headers: { 'Retry-After': '3' } },
			{ status: 503 },
			{ status: 200, body: { id: 'root', name: 'root' } }
		]);
		await client.itemByPath('/');
		expect(sleeps).toEqual([3000, 2000]);

		const throttled = harness([{ status: 429 }, { status: 429 }, { status: 429 }]);
		await expect(throttled.client.drive()).rejects.toMatchObject({ code: 'graph-throttled' });
	});

	it('maps missing items, name conflicts and network failures to codes', async () => {
		const missing = harness([{ status: 404, body: { error: { code: 'itemNotFound', message: 'gone' } } }]);
		const error = await missing.client.item('abc', 'The default folder').catch((e: unknown) => e);
		expect(error).toBeInstanceOf(AppError);
		expect(error).toMatchObject({ code: 'graph-not-found', context: { what: 'The default folder', graphCode: 'itemNotFound' } });

		const conflict = harness([{ status: 409, body: { error: { code: 'nameAlreadyExists' } } }]);
		await expect(conflict.client.createFolder('root', 'Videos')).rejects.toMatchObject({ code: 'graph-name-conflict' });
		expect(conflict.requests[0]?.body).toBe(JSON.stringify({ name: 'Videos', folder: {}, '@microsoft.graph.conflictBehavior': 'fail' }));

		const offline = harness([]);
		await expect(offline.client.me()).rejects.toMatchObject({ code: 'network-unreachable' });
	});

	it('encodes paths segment by segment and follows absolute nextLinks as given', async () => {
		const { client, requests } = harness([
			{ status: 200, body: { id: 'f', name: 'Blend #1' } },
			{ status: 200, body: { value: [{ id: 'a', name: 'a' }], '@odata.nextLink': 'http://localhost:4010/v1.0/me/drive/items/f/children?$skiptoken=2' } },
			{ status: 200, body: { value: [{ id: 'b', name: 'b' }] } }
		]);
		await client.itemByPath('/Videos/Blend #1/');
		expect(requests[0]?.url).toBe('https://graph.example/v1.0/me/drive/root:/Videos/Blend%20%231');
		const first = await client.children('f', { top: 50 });
		expect(requests[1]?.url).toBe('https://graph.example/v1.0/me/drive/items/f/children?%24top=50');
		const second = await client.children('f', { nextLink: first.nextLink });
		expect(requests[2]?.url).toBe('http://localhost:4010/v1.0/me/drive/items/f/children?$skiptoken=2');
		expect(second).toEqual({ value: [{ id: 'b', name: 'b' }], nextLink: null });
	});

	it('reads an item of a given drive with $select and $expand, and its thumbnails', async () => {
		const { client, requests } = harness([
			{ status: 200, body: { id: 'v!1', name: 'a.mp4', thumbnails: [{ id: '0', medium: { url: 'https://t/1', width: 176, height: 99 } }] } },
			{ status: 200, body: { value: [{ id: '0', medium: { url: 'https://t/2', width: 176, height: 99 } }] } }
		]);
		const item = await client.driveItem('d 1', 'v!1', { select: 'id,name,deleted', expand: 'thumbnails' });
		expect(item.thumbnails?.[0]?.medium?.url).toBe('https://t/1');
		expect(requests[0]?.url).toBe('https://graph.example/v1.0/drives/d%201/items/v!1?%24select=id%2Cname%2Cdeleted&%24expand=thumbnails');
		const sets = await client.thumbnails('d', 'v1', 'medium');
		expect(sets).toHaveLength(1);
		expect(requests[1]?.url).toBe('https://graph.example/v1.0/drives/d/items/v1/thumbnails?select=medium');
	});

	it('fetches a fresh download URL each time, and says so when OneDrive gives none', async () => {
		const { client, requests } = harness([
			{ status: 200, body: { id: 'v', '@microsoft.graph.downloadUrl': 'https://dl/1?tempauth=x' } },
			{ status: 200, body: { id: 'v', '@microsoft.graph.downloadUrl': 'https://dl/2?tempauth=y' } },
			{ status: 200, body: { id: 'v' } },
			{ status: 404, body: { error: { code: 'itemNotFound' } } }
		]);
		expect(await client.downloadUrl('d', 'v')).toBe('https://dl/1?tempauth=x');
		expect(await client.downloadUrl('d', 'v')).toBe('https://dl/2?tempauth=y');
		expect(requests[0]?.url).toContain('%24select=id%2C%40microsoft.graph.downloadUrl');
		await expect(client.downloadUrl('d', 'v')).rejects.toMatchObject({ code: 'graph-failed' });
		await expect(client.downloadUrl('d', 'v')).rejects.toMatchObject({ code: 'graph-not-found' });
	});

	it('renames with conflictBehavior fail, moves by parent id and deletes', async () => {
		const { client, requests } = harness([
			{ status: 200, body: { id: 'v', name: 'b.mp4' } },
			{ status: 409, body: { error: { code: 'nameAlreadyExists' } } },
			{ status: 200, body: { id: 'v', name: 'b.mp4' } },
			{ status: 204 }
		]);
		expect((await client.updateItem('d', 'v', { name: 'b.mp4' })).name).toBe('b.mp4');
		expect(requests[0]).toMatchObject({ method: 'PATCH', url: 'https://graph.example/v1.0/drives/d/items/v' });
		expect(JSON.parse(requests[0]!.body!)).toEqual({ '@microsoft.graph.conflictBehavior': 'fail', name: 'b.mp4' });
		await expect(client.updateItem('d', 'v', { name: 'taken.mp4' })).rejects.toMatchObject({ code: 'graph-name-conflict' });
		await client.updateItem('d', 'v', { parentId: 'folder' });
		expect(JSON.parse(requests[2]!.body!)).toEqual({ '@microsoft.graph.conflictBehavior': 'fail', parentReference: { id: 'folder' } });
		await expect(client.deleteItem('d', 'v')).resolves.toBeUndefined();
		expect(requests[3]).toMatchObject({ method: 'DELETE', url: 'https://graph.example/v1.0/drives/d/items/v' });
	});

	it('starts delta at token=latest, follows its links as given and reports an expired cursor', async () => {
		const { client, requests } = harness([
			{ status: 200, body: { value: [], '@odata.deltaLink': 'http://g/delta?token=1' } },
			{ status: 200, body: { value: [{ id: 'a', name: 'a', deleted: {} }], '@odata.nextLink': 'http://g/delta?token=1&page=2' } },
			{ status: 200, body: { value: [], '@odata.deltaLink': 'http://g/delta?token=2' } },
			{ status: 410, body: { error: { code: 'resyncRequired' } } }
		]);
		expect(await client.delta(null)).toEqual({ value: [], nextLink: null, deltaLink: 'http://g/delta?token=1' });
		expect(requests[0]?.url).toMatch(/^https:\/\/graph\.example\/v1\.0\/me\/drive\/root\/delta\?token=latest&%24select=/);
		const changes = await client.delta('http://g/delta?token=1');
		expect(changes).toMatchObject({ nextLink: 'http://g/delta?token=1&page=2', deltaLink: null });
		expect((await client.delta(changes.nextLink)).deltaLink).toBe('http://g/delta?token=2');
		await expect(client.delta('http://g/delta?token=2')).rejects.toMatchObject({ code: 'graph-resync-required' });
	});
});
