import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '$lib/errors';
import { OneDriveApi } from './onedrive-api';
import { unglue } from './graph-client';

type Scripted = { status: number; body?: unknown; headers?: Record<string, string> };

/**
 * The official Graph client under OneDriveApi, with a scripted fetch. Its RetryHandler waits
 * with setTimeout: the harness records each wait instead of sleeping, and pins the jitter the
 * handler adds to its back-off (Math.random) to 0 so waits are exact.
 */
function harness(responses: Scripted[], tokenSource?: (forceRefresh: boolean) => Promise<string>) {
	const requests: { url: string; method: string; auth: string | null; body: string | null }[] = [];
	const tokens: boolean[] = [];
	const sleeps: number[] = [];
	vi.spyOn(Math, 'random').mockReturnValue(0);
	vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
		sleeps.push(ms ?? 0);
		queueMicrotask(callback);
		return 0;
	}) as unknown as typeof setTimeout);
	const client = new OneDriveApi({
		baseUrl: 'https://graph.example/v1.0/',
		tokens: {
			getAccessToken: async ({ forceRefresh = false } = {}) => {
				tokens.push(forceRefresh);
				if (tokenSource) return tokenSource(forceRefresh);
				return forceRefresh ? 'fresh' : 'cached';
			}
		},
		fetch: async (input, init) => {
			const headers = new Headers(init?.headers);
			requests.push({ url: String(input), method: init?.method ?? 'GET', auth: headers.get('authorization'), body: (init?.body as string) ?? null });
			const next = responses.shift();
			if (!next) throw new TypeError('Failed to fetch');
			// Graph answers JSON as application/json, as the client expects.
			const json: Record<string, string> = next.body === undefined ? {} : { 'Content-Type': 'application/json' };
			return new Response(next.body === undefined ? null : JSON.stringify(next.body), {
				status: next.status,
				headers: { ...json, ...next.headers }
			});
		},
		load: () => import('./graph-client')
	});
	return { client, requests, tokens, sleeps };
}

afterEach(() => {
	vi.restoreAllMocks();
});

describe('OneDriveApi over the official Graph client', () => {
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
		// Retry-After as asked; without one, the client's back-off for a second retry (2 s + 1 s).
		expect(sleeps).toEqual([3000, 3000]);

		const throttled = harness([{ status: 429 }, { status: 429 }, { status: 429 }]);
		await expect(throttled.client.drive()).rejects.toMatchObject({ code: 'graph-throttled' });
		expect(throttled.requests).toHaveLength(3);
	});

	it('does not keep a person waiting for a long Retry-After: it says so at once', async () => {
		const { client, requests, sleeps } = harness([{ status: 429, headers: { 'Retry-After': '120' } }]);
		await expect(client.drive()).rejects.toMatchObject({ code: 'graph-throttled', context: { status: 429 } });
		expect(requests).toHaveLength(1);
		expect(sleeps).toEqual([]);
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

	it('passes the sign-in error through unchanged when no token can be had', async () => {
		const { client, requests } = harness([], async () => {
			throw new AppError('microsoft-reauth-required', { detail: 'invalid_grant' });
		});
		await expect(client.drive()).rejects.toMatchObject({ code: 'microsoft-reauth-required', context: { detail: 'invalid_grant' } });
		expect(requests).toHaveLength(0);
	});

	it('encodes paths segment by segment and follows absolute nextLinks as given', async () => {
		const { client, requests } = harness([
			{ status: 200, body: { id: 'f', name: 'Blend #1' } },
			{ status: 200, body: { value: [{ id: 'a', name: 'a' }], '@odata.nextLink': 'http://localhost:4010/v1.0/me/drive/items/f/children?$skiptoken=2' } },
			{ status: 200, body: { value: [{ id: 'b', name: 'b' }] } }
		]);
		await client.itemByPath('/Videos/Blend #1/');
		expect(requests[0]?.url).toBe('https://graph.example/v1.0/me/drive/root:/Videos/Blend%20%231');
		const children = await client.children('f', { top: 50 });
		expect(requests[1]?.url).toBe('https://graph.example/v1.0/me/drive/items/f/children?$top=50');
		expect(await children.next(50)).toEqual([
			{ id: 'a', name: 'a' },
			{ id: 'b', name: 'b' }
		]);
		expect(requests[2]?.url).toBe('http://localhost:4010/v1.0/me/drive/items/f/children?$skiptoken=2');
		// The token goes to the Graph origin only; this link points elsewhere.
		expect(requests[2]?.auth).toBeNull();
		expect(children.done).toBe(true);
	});

	it('hands out a folder a batch at a time, carrying on where the last batch ended', async () => {
		const { client, requests } = harness([
			{ status: 200, body: { value: [{ id: 'a', name: 'a' }, { id: 'b', name: 'b' }, { id: 'c', name: 'c' }], '@odata.nextLink': 'https://graph.example/v1.0/me/drive/root/children?$skiptoken=3' } },
			{ status: 200, body: { value: [{ id: 'd', name: 'd' }] } }
		]);
		const children = await client.children('root', { top: 3, select: 'id,name' });
		expect(requests[0]?.url).toBe('https://graph.example/v1.0/me/drive/root/children?$top=3&$select=id,name');
		expect((await children.next(2)).map((item) => item.id)).toEqual(['a', 'b']);
		expect(children.done).toBe(false);
		expect(requests).toHaveLength(1);
		expect((await children.next(2)).map((item) => item.id)).toEqual(['c', 'd']);
		expect(requests[1]).toMatchObject({ url: 'https://graph.example/v1.0/me/drive/root/children?$skiptoken=3', auth: 'Bearer cached' });
		expect(children.done).toBe(true);
		expect(await children.next(2)).toEqual([]);
	});

	it('reads an item of a given drive with $select and $expand, and its thumbnails', async () => {
		const { client, requests } = harness([
			{ status: 200, body: { id: 'v!1', name: 'a.mp4', thumbnails: [{ id: '0', medium: { url: 'https://t/1', width: 176, height: 99 } }] } },
			{ status: 200, body: { value: [{ id: '0', medium: { url: 'https://t/2', width: 176, height: 99 } }] } }
		]);
		const item = await client.driveItem('d 1', 'v!1', { select: 'id,name,deleted', expand: 'thumbnails' });
		expect(item.thumbnails?.[0]?.medium?.url).toBe('https://t/1');
		expect(requests[0]?.url).toBe('https://graph.example/v1.0/drives/d%201/items/v!1?$select=id,name,deleted&$expand=thumbnails');
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
		expect(requests[0]?.url).toBe('https://graph.example/v1.0/drives/d/items/v?$select=id,@microsoft.graph.downloadUrl');
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
		expect(await client.delta(null)).toEqual({ items: [], deltaLink: 'http://g/delta?token=1' });
		expect(requests[0]?.url).toBe('https://graph.example/v1.0/me/drive/root/delta?$select=id,name,deleted,parentReference,file,size,webUrl&token=latest');
		const changes = await client.delta('http://g/delta?token=1');
		expect(requests.slice(1).map((r) => r.url)).toEqual(['http://g/delta?token=1', 'http://g/delta?token=1&page=2']);
		expect(changes).toEqual({ items: [{ id: 'a', name: 'a', deleted: {} }], deltaLink: 'http://g/delta?token=2' });
		await expect(client.delta('http://g/delta?token=2')).rejects.toMatchObject({ code: 'graph-resync-required' });
	});

	it('gives no deltaLink for a feed longer than the limit', async () => {
		const { client, requests } = harness([
			{ status: 200, body: { value: [{ id: 'a', name: 'a' }, { id: 'b', name: 'b' }], '@odata.nextLink': 'https://graph.example/v1.0/me/drive/root/delta?token=1&page=2' } },
			{ status: 200, body: { value: [{ id: 'c', name: 'c' }], '@odata.deltaLink': 'https://graph.example/v1.0/me/drive/root/delta?token=2' } }
		]);
		const changes = await client.delta('https://graph.example/v1.0/me/drive/root/delta?token=1', { limit: 2 });
		expect(changes).toEqual({ items: [{ id: 'a', name: 'a' }, { id: 'b', name: 'b' }], deltaLink: null });
		expect(requests).toHaveLength(1);
	});

	it('un-glues an absolute http link the client appended to its base URL', () => {
		expect(unglue('http://localhost:4010/v1.0/http://localhost:4010/v1.0/me/drive/root/delta?token=a/http://x')).toBe(
			'http://localhost:4010/v1.0/me/drive/root/delta?token=a/http://x'
		);
		expect(unglue('https://graph.example/v1.0/me/drive/root:/Videos:/children?q=/http://x')).toBe(
			'https://graph.example/v1.0/me/drive/root:/Videos:/children?q=/http://x'
		);
	});
});
