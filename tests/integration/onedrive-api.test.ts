// The app's OneDrive layer (src/lib/graph: OneDriveApi over the official Graph client) against
// the Microsoft emulator on plain http, with Node's own fetch: paging over absolute http
// nextLinks, the delta feed, a refused token renewed once, throttling with Retry-After.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { OneDriveApi } from '../../src/lib/graph/onedrive-api';
import { control, passwordToken, startHarness, type Harness } from '../../emulators/microsoft/tests/support';

let h: Harness;
let token: string;
const asked: boolean[] = [];

beforeAll(async () => {
	h = await startHarness();
});
afterAll(async () => {
	await h.stop();
});
beforeEach(async () => {
	await control(h.em, 'POST', '/reset');
	token = await passwordToken(h.em);
	asked.length = 0;
});

function api(tokens?: (forceRefresh: boolean) => Promise<string>): OneDriveApi {
	return new OneDriveApi({
		baseUrl: `${h.em.url}/v1.0`,
		tokens: {
			getAccessToken: async ({ forceRefresh = false } = {}) => {
				asked.push(forceRefresh);
				return tokens ? tokens(forceRefresh) : token;
			}
		},
		load: () => import('../../src/lib/graph/graph-client')
	});
}

it('lists a large folder a batch at a time over the emulator’s http nextLinks', async () => {
	await control(h.em, 'POST', '/drives/alice@contoso.test/seed', {
		path: '/Big',
		items: Array.from({ length: 7 }, (_, i) => ({ name: `clip-${i}.mp4`, size: 1000 + i }))
	});
	const onedrive = api();
	const folder = await onedrive.itemByPath('/Big');
	const children = await onedrive.children(folder.id, { top: 3, select: 'id,name,size' });
	const names: string[] = [];
	for (const count of [2, 2, 2]) names.push(...(await children.next(count)).map((item) => item.name));
	expect(children.done).toBe(false);
	names.push(...(await children.next(2)).map((item) => item.name));
	expect(children.done).toBe(true);
	expect(names.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `clip-${i}.mp4`));
});

it('takes a delta cursor, then reads what changed since', async () => {
	const onedrive = api();
	const start = await onedrive.delta(null);
	expect(start.items).toEqual([]);
	expect(start.deltaLink).toMatch(/^http:\/\/localhost:\d+\/v1\.0\//);
	const made = await onedrive.createFolder('root', 'Fresh');
	await onedrive.deleteItem((await onedrive.drive()).id!, made.id);
	const changes = await onedrive.delta(start.deltaLink);
	expect(changes.items.find((item) => item.id === made.id)?.deleted).toBeTruthy();
	expect(changes.deltaLink).toMatch(/^http:\/\/localhost:\d+\/v1\.0\//);
});

it('renews a refused token once, and maps a taken name to its code', async () => {
	const onedrive = api(async (forceRefresh) => (forceRefresh ? token : 'not-a-token'));
	expect((await onedrive.me()).userPrincipalName).toBe('alice@contoso.test');
	expect(asked).toEqual([false, true]);
	await onedrive.createFolder('root', 'Taken');
	await expect(onedrive.createFolder('root', 'Taken')).rejects.toMatchObject({ code: 'graph-name-conflict', context: { status: 409 } });
});

it('waits out a 429 with Retry-After when the header is visible, and says so when it keeps coming', async () => {
	await control(h.em, 'POST', '/faults', { kind: 'graph', method: 'GET', count: 1, status: 429, retryAfter: 1 });
	const onedrive = api();
	const started = Date.now();
	expect((await onedrive.drive()).driveType).toBe('personal');
	expect(Date.now() - started).toBeGreaterThanOrEqual(900);

	await control(h.em, 'POST', '/faults', { kind: 'graph', method: 'GET', count: 3, status: 503, retryAfter: 0 });
	await expect(onedrive.drive()).rejects.toMatchObject({ code: 'graph-unavailable' });
	const faults = (await control(h.em, 'GET', '/faults')).faults as { fired: number }[];
	expect(faults.at(-1)?.fired).toBe(3);
});
