// PostgREST behaviour through unmodified supabase-js 2.109.0, with Postgres enforcing RLS.
import { readFileSync } from 'node:fs';
import type { SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupabaseApi } from '../src/index.js';
import { signJwt } from '../src/jwt.js';
import { localJwtSecret } from '../src/keys.js';
import { alice, bob, client, raw, signedIn, startTestApi } from './support.js';

let api: SupabaseApi;
let asAlice: SupabaseClient;
let asBob: SupabaseClient;
let aliceToken: string;

const aliceKettle = 'a11ce000-0000-4000-8000-0000000000a1';
const bobHeadphones = 'b0b00000-0000-4000-8000-0000000000b1';

beforeAll(async () => {
	api = await startTestApi();
	asAlice = await signedIn(api, alice.email);
	asBob = await signedIn(api, bob.email);
	aliceToken = (await asAlice.auth.getSession()).data.session!.access_token;
});
afterAll(() => api?.close());

describe('own rows: create, read, update, delete', () => {
	it('each demo user sees only their own seeded products', async () => {
		const mine = await asAlice.from('products').select('title, owner_id').order('title');
		expect(mine.error).toBeNull();
		expect(mine.status).toBe(200);
		expect(mine.data!.length).toBe(3);
		expect(new Set(mine.data!.map((p) => p.owner_id))).toEqual(new Set([alice.id]));
		const his = await asBob.from('products').select('owner_id');
		expect(his.data!.length).toBe(2);
		expect(new Set(his.data!.map((p) => p.owner_id))).toEqual(new Set([bob.id]));
	});

	it('alice creates, reads, updates and deletes a product', async () => {
		const created = await asAlice.from('products').insert({ title: 'Desk lamp', asin: 'B0TESTLAMP' }).select().single();
		expect(created.status).toBe(201);
		expect(created.error).toBeNull();
		expect(created.data).toMatchObject({ title: 'Desk lamp', asin: 'B0TESTLAMP', owner_id: alice.id });
		const id = created.data!.id as string;

		const read = await asAlice.from('products').select('id, title').eq('id', id).single();
		expect(read.data).toEqual({ id, title: 'Desk lamp' });

		const updated = await asAlice.from('products').update({ notes: 'Warm light' }).eq('id', id).select('notes').single();
		expect(updated).toMatchObject({ status: 200, data: { notes: 'Warm light' } });

		const deleted = await asAlice.from('products').delete().eq('id', id);
		expect(deleted.status).toBe(204);
		expect((await asAlice.from('products').select('id').eq('id', id)).data).toEqual([]);
	});

	it('bob records a OneDrive connection, a video and an import job, then removes them', async () => {
		const connection = await asBob
			.from('onedrive_connections')
			.upsert({ microsoft_account_id: 'ms-bob', drive_id: 'drive-bob', drive_type: 'personal' }, { onConflict: 'owner_id' })
			.select()
			.single();
		expect(connection.error).toBeNull();
		expect(connection.status).toBe(201);
		const again = await asBob
			.from('onedrive_connections')
			.upsert({ microsoft_account_id: 'ms-bob', status: 'needs_reauth' }, { onConflict: 'owner_id' })
			.select('status')
			.single();
		// An upsert that only updated an existing row answers 200.
		expect(again).toMatchObject({ status: 200, data: { status: 'needs_reauth' } });

		const video = await asBob
			.from('videos')
			.insert({ product_id: bobHeadphones, drive_id: 'drive-bob', item_id: 'item-9', name: 'review.mp4', size_bytes: 5_000_000_000, status: 'synced' })
			.select('id, size_bytes, product:products(title)')
			.single();
		expect(video.error).toBeNull();
		expect(video.data).toMatchObject({ size_bytes: 5_000_000_000, product: { title: 'Noise-cancelling headphones' } });

		const job = await asBob.from('import_jobs').insert({ folders: [{ id: 'f1', path: '/Videos' }] }).select('id, status, folders').single();
		expect(job.data).toMatchObject({ status: 'running', folders: [{ id: 'f1', path: '/Videos' }] });

		expect((await asBob.from('videos').delete().eq('id', video.data!.id)).status).toBe(204);
		expect((await asBob.from('import_jobs').delete().eq('id', job.data!.id)).status).toBe(204);
		expect((await asBob.from('onedrive_connections').delete().eq('microsoft_account_id', 'ms-bob')).status).toBe(204);
	});

	it('deleting a product keeps its videos, unlinked', async () => {
		const product = await asAlice.from('products').insert({ title: 'Temporary' }).select('id').single();
		const video = await asAlice
			.from('videos')
			.insert({ product_id: product.data!.id, drive_id: 'drive-a', name: 'temp.mp4', size_bytes: 10 })
			.select('id')
			.single();
		await asAlice.from('products').delete().eq('id', product.data!.id);
		const after = await asAlice.from('videos').select('product_id').eq('id', video.data!.id).single();
		expect(after.data).toEqual({ product_id: null });
		await asAlice.from('videos').delete().eq('id', video.data!.id);
	});
});

describe('cross-tenant attempts fail', () => {
	it('bob cannot read alice\'s product, even by its id', async () => {
		const byId = await asBob.from('products').select('*').eq('id', aliceKettle);
		expect(byId).toMatchObject({ status: 200, data: [] });
		const single = await asBob.from('products').select('*').eq('id', aliceKettle).single();
		expect(single.status).toBe(406);
		expect(single.error).toMatchObject({ code: 'PGRST116', details: 'The result contains 0 rows' });
		const maybe = await asBob.from('products').select('*').eq('id', aliceKettle).maybeSingle();
		expect(maybe.data).toBeNull();
	});

	it('bob\'s update and delete of alice\'s rows touch nothing', async () => {
		const update = await asBob.from('products').update({ title: 'Mine now' }).eq('id', aliceKettle).select();
		expect(update).toMatchObject({ status: 200, data: [] });
		const remove = await asBob.from('products').delete().eq('id', aliceKettle).select();
		expect(remove).toMatchObject({ status: 200, data: [] });
		const still = await asAlice.from('products').select('title').eq('id', aliceKettle).single();
		expect(still.data).toEqual({ title: 'Stainless steel French press, 1 l' });
	});

	it('bob cannot insert a row owned by alice (403 RLS violation)', async () => {
		const planted = await asBob.from('products').insert({ title: 'Planted', owner_id: alice.id });
		expect(planted.status).toBe(403);
		expect(planted.error).toMatchObject({ code: '42501', message: 'new row violates row-level security policy for table "products"' });
	});

	it('bob cannot hand his row over to alice', async () => {
		const moved = await asBob.from('products').update({ owner_id: alice.id }).eq('id', bobHeadphones);
		expect(moved.status).toBe(403);
		expect(moved.error?.code).toBe('42501');
	});

	it('bob cannot link a video to alice\'s product, nor to a guessed id', async () => {
		const linked = await asBob.from('videos').insert({ product_id: aliceKettle, drive_id: 'd', name: 'x.mp4', size_bytes: 1 });
		expect(linked.status).toBe(409);
		expect(linked.error?.code).toBe('23503');
		const guessed = await asBob
			.from('videos')
			.insert({ product_id: 'c0ffee00-0000-4000-8000-000000000000', drive_id: 'd', name: 'x.mp4', size_bytes: 1 });
		expect(guessed.status).toBe(409);
		expect(guessed.error?.code).toBe('23503');
	});

	it('bob\'s upsert onto alice\'s product id fails', async () => {
		const upsert = await asBob.from('products').upsert({ id: aliceKettle, title: 'Hijack' }).select();
		expect(upsert.status).toBe(403);
		expect(upsert.error?.code).toBe('42501');
	});

	it('embedding never reveals the other owner\'s rows', async () => {
		await asAlice.from('videos').insert({ product_id: aliceKettle, drive_id: 'drive-a', name: 'kettle.mp4', size_bytes: 100 });
		const products = await asBob.from('products').select('id, videos(id)');
		expect(products.data!.every((p) => (p.videos as unknown[]).length === 0)).toBe(true);
		const videos = await asBob.from('videos').select('id, product:products(title)');
		expect(videos.data).toEqual([]);
	});

	it('anon sees nothing and can change nothing', async () => {
		const anon = client(api);
		const read = await anon.from('products').select('*');
		expect(read.status).toBe(401);
		expect(read.error).toMatchObject({ code: '42501', message: 'permission denied for table products' });
		const insert = await anon.from('products').insert({ title: 'Anon', owner_id: alice.id });
		expect(insert.status).toBe(401);
		const rpc = await anon.rpc('video_status_counts');
		expect(rpc.status).toBe(401);
	});

	it('the service role bypasses RLS (local tooling only)', async () => {
		const service = client(api, api.serviceRoleKey);
		const all = await service.from('products').select('owner_id');
		expect(new Set(all.data!.map((p) => p.owner_id))).toEqual(new Set([alice.id, bob.id]));
	});
});

describe('PostgREST grammar', () => {
	it('filters: eq, neq, gt, lt, like, ilike, is, in, not, or', async () => {
		const base = () => asAlice.from('products').select('title');
		const titles = async (build: (q: ReturnType<typeof base>) => PromiseLike<unknown>) => {
			const { data, error } = (await build(base())) as {
				data: Array<{ title: string }> | null;
				error: unknown;
			};
			expect(error).toBeNull();
			return data!.map((p) => p.title).sort();
		};
		expect(await titles((q) => q.eq('brand', 'Brewline'))).toEqual(['Stainless steel French press, 1 l']);
		expect(await titles((q) => q.neq('brand', 'Brewline'))).toEqual(['Bamboo cutting board set', 'Trail running shoes, size 42']);
		expect(await titles((q) => q.ilike('title', '%BOARD%'))).toEqual(['Bamboo cutting board set']);
		expect(await titles((q) => q.like('title', 'Trail*'))).toEqual(['Trail running shoes, size 42']);
		expect(await titles((q) => q.is('asin', null))).toEqual(['Trail running shoes, size 42']);
		expect(await titles((q) => q.not('asin', 'is', null))).toHaveLength(2);
		expect(await titles((q) => q.in('brand', ['Greenhearth', 'Stridewell', 'a,b']))).toEqual([
			'Bamboo cutting board set',
			'Trail running shoes, size 42'
		]);
		expect(await titles((q) => q.or('brand.eq.Brewline,and(asin.is.null,title.ilike.*shoes*)'))).toEqual([
			'Stainless steel French press, 1 l',
			'Trail running shoes, size 42'
		]);
		expect(await titles((q) => q.gt('created_at', '2000-01-01').lt('created_at', '2999-01-01'))).toHaveLength(3);
		expect(await titles((q) => q.eq('title', 'Bamboo cutting board set'))).toEqual(['Bamboo cutting board set']);
	});

	it('order, limit, range and exact counts with Content-Range', async () => {
		const page = await asAlice.from('products').select('title', { count: 'exact' }).order('title', { ascending: false }).range(1, 1);
		expect(page.status).toBe(206);
		expect(page.count).toBe(3);
		expect(page.data).toEqual([{ title: 'Stainless steel French press, 1 l' }]);
		const head = await asAlice.from('products').select('*', { count: 'exact', head: true });
		expect(head).toMatchObject({ status: 200, count: 3, data: null });
		const response = await raw(api, '/rest/v1/products?select=id&limit=2', { token: aliceToken, headers: { Prefer: 'count=exact' } });
		expect(response.headers.get('content-range')).toBe('0-1/3');
		const beyond = await raw(api, '/rest/v1/products?select=id&offset=10', { token: aliceToken, headers: { Prefer: 'count=exact' } });
		expect(beyond).toMatchObject({ status: 416, body: { code: 'PGRST103' } });
	});

	it('aliases, casts, embeds with their own filters, counts and !inner', async () => {
		const { data, error } = await asAlice
			.from('products')
			.select('name:title, created:created_at::text, videos(name), video_count:videos(count)')
			.eq('id', aliceKettle)
			.single();
		expect(error).toBeNull();
		expect(data).toMatchObject({ name: 'Stainless steel French press, 1 l', videos: [{ name: 'kettle.mp4' }], video_count: [{ count: 1 }] });
		expect(typeof (data as { created: unknown }).created).toBe('string');

		const withVideos = await asAlice.from('products').select('title, videos!inner(name)');
		expect(withVideos.data!.map((p) => p.title)).toEqual(['Stainless steel French press, 1 l']);

		const trimmed = await asAlice.from('products').select('title, videos(name)').eq('videos.name', 'nothing.mp4').eq('id', aliceKettle).single();
		expect(trimmed.data).toMatchObject({ videos: [] });
	});

	it('embed=is.null and embed=not.is.null filter parents by related rows', async () => {
		const without = await asAlice.from('products').select('title, videos(id)').is('videos', null);
		expect(without.data!.map((p) => p.title).sort()).toEqual(['Bamboo cutting board set', 'Trail running shoes, size 42']);
		const withSome = await asAlice.from('products').select('title, videos(id)').not('videos', 'is', null);
		expect(withSome.data!.map((p) => p.title)).toEqual(['Stainless steel French press, 1 l']);
	});

	it('returns Postgres\' own JSON for values (bigint, jsonb, timestamptz)', async () => {
		const response = await raw(api, `/rest/v1/products?select=created_at&id=eq.${aliceKettle}`, { token: aliceToken });
		expect((response.body as Array<{ created_at: string }>)[0]!.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/);
	});

	it('bulk insert with columns=, missing=default and return=minimal', async () => {
		const inserted = await asAlice
			.from('products')
			.insert([{ title: 'Bulk one' }, { title: 'Bulk two', brand: 'Acme' }], { count: 'exact', defaultToNull: false });
		expect(inserted).toMatchObject({ status: 201, data: null, count: 2 });
		const removed = await asAlice.from('products').delete({ count: 'exact' }).in('title', ['Bulk one', 'Bulk two']);
		expect(removed).toMatchObject({ status: 204, count: 2 });
	});

	it('rpc returns the caller\'s own status counts', async () => {
		const { data, error, status } = await asAlice.rpc('video_status_counts');
		expect(error).toBeNull();
		expect(status).toBe(200);
		expect(data).toEqual([{ status: 'queued', video_count: 1 }]);
		expect((await asBob.rpc('video_status_counts')).data).toEqual([]);
		const missing = await asAlice.rpc('no_such_function' as never);
		expect(missing).toMatchObject({ status: 404, error: { code: 'PGRST202' } });
	});

	it('a single-object write that matches several rows is refused and rolled back', async () => {
		await asAlice.from('products').insert([{ title: 'Twin' }, { title: 'Twin' }]);
		const removed = await asAlice.from('products').delete().eq('title', 'Twin').select().single();
		expect(removed).toMatchObject({ status: 406, error: { code: 'PGRST116', details: 'The result contains 2 rows' } });
		expect((await asAlice.from('products').select('id').eq('title', 'Twin')).data).toHaveLength(2);
		await asAlice.from('products').delete().eq('title', 'Twin');
	});

	it('constraint violations map to 400 and 409', async () => {
		expect(await asAlice.from('products').insert({ title: '' })).toMatchObject({ status: 400, error: { code: '23514' } });
		expect(await asAlice.from('products').insert({ title: 'Bad', asin: 'nope' })).toMatchObject({ status: 400, error: { code: '23514' } });
		expect(await asAlice.from('videos').insert({ drive_id: 'd', name: 'n', size_bytes: -5 })).toMatchObject({ status: 400, error: { code: '23514' } });
		expect(await asAlice.from('videos').insert({ drive_id: 'd', name: 'n', size_bytes: 5, status: 'lost' as never })).toMatchObject({
			status: 400,
			error: { code: '22P02' }
		});
		const duplicate = await asAlice.from('products').insert({ title: 'Duplicate', asin: 'B00005LM0T' });
		expect(duplicate).toMatchObject({ status: 409, error: { code: '23505' } });
		// Postgres leaves out the key values when the table has row-level security.
		expect(duplicate.error?.details).toBeNull();
	});
});

describe('malformed and unsupported requests get PostgREST-shaped errors', () => {
	it.each([
		['unknown operator', '/rest/v1/products?title=fts.kettle', 400, 'PGRST100'],
		['missing operator', '/rest/v1/products?title=kettle', 400, 'PGRST100'],
		['bad logic tree', '/rest/v1/products?or=title.eq.x', 400, 'PGRST100'],
		['JSON path', '/rest/v1/products?select=notes->x', 400, 'PGRST100'],
		['bad limit', '/rest/v1/products?limit=lots', 400, 'PGRST100'],
		['unknown column', '/rest/v1/products?select=price', 400, '42703'],
		['unknown filter column', '/rest/v1/products?price=eq.1', 400, '42703'],
		['unknown table', '/rest/v1/prodcts', 404, 'PGRST205'],
		['unrelated embed', '/rest/v1/products?select=import_jobs(*)', 400, 'PGRST200'],
		['embed filter without embed', '/rest/v1/products?videos.name=eq.x', 400, 'PGRST108'],
		['bad uuid', '/rest/v1/products?id=eq.abc', 400, '22P02'],
		['malformed percent-encoding in a table name', '/rest/v1/produc%zz', 400, 'PGRST100'],
		['cut-off UTF-8 in a table name', '/rest/v1/%E0%A4%A', 400, 'PGRST100'],
		['malformed percent-encoding in a function name', '/rest/v1/rpc/video_status_counts%', 400, 'PGRST100']
	])('%s', async (_name, path, status, code) => {
		const response = await raw(api, path, { token: aliceToken });
		expect(response.status).toBe(status);
		expect(response.body).toMatchObject({ code });
		expect(Object.keys(response.body as object).sort()).toEqual(['code', 'details', 'hint', 'message']);
	});

	it('accepts embeds nested three levels deep and refuses a fourth level with PGRST100', async () => {
		const three = 'id,videos(id,product:products(id,videos(id)))';
		const ok = await raw(api, `/rest/v1/products?select=${encodeURIComponent(three)}`, { token: aliceToken });
		expect(ok.status).toBe(200);
		const four = 'id,videos(id,product:products(id,videos(id,product:products(id))))';
		const deep = await raw(api, `/rest/v1/products?select=${encodeURIComponent(four)}`, { token: aliceToken });
		expect(deep.status).toBe(400);
		expect(deep.body).toMatchObject({ code: 'PGRST100', hint: null });
		expect((deep.body as { message: string }).message).toMatch(/^"failed to parse select \(/);
		expect((deep.body as { details: string }).details).toMatch(/at most 3 levels/);
		const rpcDeep = await raw(api, `/rest/v1/rpc/video_status_counts?select=${encodeURIComponent('a(b(c(d(e))))')}`, { token: aliceToken });
		expect(rpcDeep).toMatchObject({ status: 400, body: { code: 'PGRST100' } });
	});

	it('answers a body over 8 MiB with 413 and a JSON error that reaches the client', async () => {
		for (const [path, size] of [
			['/rest/v1/products', 8 * 1024 * 1024 + 1],
			['/rest/v1/products', 64 * 1024 * 1024],
			['/auth/v1/signup', 9 * 1024 * 1024]
		] as const) {
			const response = await fetch(`${api.url}${path}`, {
				method: 'POST',
				headers: { apikey: api.anonKey, Authorization: `Bearer ${aliceToken}`, 'Content-Type': 'application/json' },
				body: JSON.stringify({ title: 'x'.repeat(size) })
			});
			expect({ path, size, status: response.status }).toEqual({ path, size, status: 413 });
			expect(response.headers.get('content-type')).toMatch(/^application\/json/);
			expect(await response.json()).toEqual({ message: 'Request body too large: the limit is 8 MiB' });
		}
		expect((await asAlice.from('products').select('id')).status).toBe(200);
	});

	it('refuses filterless update and delete like pg-safeupdate', async () => {
		const response = await raw(api, '/rest/v1/products', { method: 'DELETE', token: aliceToken });
		expect(response).toMatchObject({ status: 400, body: { code: '21000', message: 'DELETE requires a WHERE clause' } });
	});

	it('refuses an unknown column in the payload, bad JSON and an unexposed schema', async () => {
		const unknown = await asAlice.from('products').insert({ title: 'x', price: 3 } as never);
		expect(unknown).toMatchObject({ status: 400, error: { code: 'PGRST204' } });
		const badJson = await raw(api, '/rest/v1/products', { method: 'POST', token: aliceToken, headers: { 'Content-Type': 'application/json' }, body: '{' });
		expect(badJson).toMatchObject({ status: 400, body: { code: 'PGRST102' } });
		const schema = await asAlice.schema('auth' as never).from('users').select('*');
		expect(schema).toMatchObject({ status: 406, error: { code: 'PGRST106' } });
	});

	it('a JWT without a numeric exp gets 401 PGRST303; the committed anon key (exp in 2032) still works', async () => {
		const forever = signJwt({ sub: alice.id, role: 'authenticated' }, localJwtSecret);
		const missing = await raw(api, '/rest/v1/products?select=id', { token: forever });
		expect(missing).toMatchObject({ status: 401, body: { code: 'PGRST303', message: "The JWT has no 'exp' claim" } });
		expect(missing.headers.get('www-authenticate')).toContain('invalid_token');
		const text = signJwt({ sub: alice.id, role: 'authenticated', exp: '4102444800' }, localJwtSecret);
		expect(await raw(api, '/rest/v1/products?select=id', { token: text })).toMatchObject({
			status: 401,
			body: { code: 'PGRST303', message: "The JWT 'exp' claim must be a number" }
		});
		const committed = /^PUBLIC_SUPABASE_ANON_KEY=(.+)$/m.exec(readFileSync(new URL('../../../.env.development', import.meta.url), 'utf8'))![1]!.trim();
		expect(committed).toBe(api.anonKey);
		// Accepted: the request runs as anon, which this schema grants nothing (Postgres' 42501).
		const anon = await raw(api, '/rest/v1/products?select=id', { token: committed });
		expect(anon.body).toMatchObject({ code: '42501', message: 'permission denied for table products' });
		expect((await asAlice.from('products').select('id')).status).toBe(200);
	});

	it('an expired or tampered JWT gets 401', async () => {
		const expired = signJwt({ sub: alice.id, role: 'authenticated', exp: Math.floor(Date.now() / 1000) - 120 }, localJwtSecret);
		const late = await raw(api, '/rest/v1/products?select=id', { token: expired });
		expect(late).toMatchObject({ status: 401, body: { code: 'PGRST303', message: 'JWT expired' } });
		expect(late.headers.get('www-authenticate')).toContain('invalid_token');

		const [head, payload, signature] = aliceToken.split('.');
		const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
		const tampered = `${head}.${Buffer.from(JSON.stringify({ ...claims, sub: bob.id })).toString('base64url')}.${signature}`;
		expect(await raw(api, '/rest/v1/products?select=id', { token: tampered })).toMatchObject({ status: 401, body: { code: 'PGRST301' } });

		const elevated = signJwt({ sub: alice.id, role: 'postgres', exp: Math.floor(Date.now() / 1000) + 600 }, localJwtSecret);
		expect((await raw(api, '/rest/v1/products?select=id', { token: elevated })).status).toBe(403);
	});
});

describe('concurrency', () => {
	it('interleaved requests from alice, bob and anon never see each other\'s role or claims', async () => {
		const anon = client(api);
		const rounds = 15;
		const requests = Array.from({ length: rounds }, (_, i) => [
			asAlice.from('products').select('owner_id').then((r) => ({ who: 'alice', i, r })),
			asBob.from('products').select('owner_id').then((r) => ({ who: 'bob', i, r })),
			anon.from('products').select('owner_id').then((r) => ({ who: 'anon', i, r })),
			asBob.from('products').insert({ title: `Concurrent ${i}` }).select('owner_id').single().then((r) => ({ who: 'bob-insert', i, r }))
		]).flat();
		const results = await Promise.all(requests);
		for (const { who, r } of results) {
			if (who === 'alice') expect(new Set((r.data as Array<{ owner_id: string }>).map((p) => p.owner_id))).toEqual(new Set([alice.id]));
			if (who === 'bob') expect((r.data as Array<{ owner_id: string }>).every((p) => p.owner_id === bob.id)).toBe(true);
			if (who === 'anon') expect(r.status).toBe(401);
			if (who === 'bob-insert') expect(r.data).toEqual({ owner_id: bob.id });
		}
		const cleanup = await asBob.from('products').delete({ count: 'exact' }).like('title', 'Concurrent *');
		expect(cleanup.count).toBe(rounds);
	});
});
