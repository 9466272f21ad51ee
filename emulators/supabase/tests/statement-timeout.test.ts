// Per-role statement_timeout, as PostgREST applies it: each request runs with the timeout
// configured for its role (ALTER ROLE … SET statement_timeout), and a statement that runs past
// it fails with 57014, answered 500 in PostgREST's error shape, its writes rolled back.
// Runs on its own PGlite database: it changes role settings and adds test-only functions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../src/database.js';
import type { ApiRequest } from '../src/http.js';
import { signJwt } from '../src/jwt.js';
import { apiKey, localJwtSecret } from '../src/keys.js';
import { prepareDatabase } from '../src/migrate.js';
import { openPgliteDatabase } from '../src/pglite-database.js';
import { RestApi } from '../src/rest/rest-api.js';
import { alice } from './support.js';

let db: SqlDatabase;
let rest: RestApi;

beforeAll(async () => {
	db = await openPgliteDatabase();
	await prepareDatabase(db, { seed: true });
	await db.exec(`
		create function public.test_sleep(seconds float8) returns int language sql volatile as $$ select 1 from (select pg_sleep(seconds)) s $$;
		create function public.test_timeout() returns text language sql stable as $$ select current_setting('statement_timeout') $$;
		create table public.timeout_probe (id serial primary key, note text);
		create function public.test_write_then_sleep(note text, seconds float8) returns int language sql volatile as $$
			insert into public.timeout_probe (note) values (note);
			select 1 from (select pg_sleep(seconds)) s;
		$$;
		grant execute on function public.test_sleep(float8), public.test_timeout(), public.test_write_then_sleep(text, float8) to anon, authenticated, service_role;
		grant select, insert on public.timeout_probe to anon, service_role;
		grant usage on sequence public.timeout_probe_id_seq to anon;
	`);
	rest = new RestApi(db, localJwtSecret);
	await rest.reloadSchema();
});
afterAll(() => db?.close());

const tokens = {
	anon: apiKey('anon'),
	service_role: apiKey('service_role'),
	authenticated: () => signJwt({ sub: alice.id, role: 'authenticated', exp: Math.floor(Date.now() / 1000) + 600 }, localJwtSecret)
};

function request(token: string, method: string, path: string, query = '', body = ''): Promise<{ status: number; body: unknown }> {
	const req: ApiRequest = {
		method,
		path,
		search: new URLSearchParams(query),
		headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
		body
	};
	return rest.handle(req).then((response) => ({ status: response.status, body: response.body ? JSON.parse(response.body) : undefined }));
}

describe('statement_timeout per role', () => {
	it("runs each request with its role's configured timeout: anon 3s, authenticated 8s, service_role none", async () => {
		expect(await request(tokens.anon, 'GET', '/rpc/test_timeout')).toEqual({ status: 200, body: '3s' });
		expect(await request(tokens.authenticated(), 'GET', '/rpc/test_timeout')).toEqual({ status: 200, body: '8s' });
		expect(await request(tokens.service_role, 'GET', '/rpc/test_timeout')).toEqual({ status: 200, body: '0' });
	});

	describe('with anon limited to 300 ms', () => {
		beforeAll(async () => {
			await db.exec(`alter role anon set statement_timeout = '300ms'`);
			// Role settings are read with the schema cache, as PostgREST reads them.
			await rest.reloadSchema();
		});
		afterAll(async () => {
			await db.exec(`alter role anon set statement_timeout = '3s'`);
			await rest.reloadSchema();
		});

		it("cuts off a statement that runs past the role's timeout with 57014, in PostgREST's shape and status", async () => {
			const slow = await request(tokens.anon, 'GET', '/rpc/test_sleep', 'seconds=0.6');
			expect(slow).toEqual({
				status: 500,
				body: { code: '57014', details: null, hint: null, message: 'canceling statement due to statement timeout' }
			});
			expect(await request(tokens.anon, 'GET', '/rpc/test_sleep', 'seconds=0')).toEqual({ status: 200, body: 1 });
		});

		it('rolls back what the timed-out request wrote', async () => {
			const slow = await request(tokens.anon, 'POST', '/rpc/test_write_then_sleep', '', JSON.stringify({ note: 'late', seconds: 0.6 }));
			expect(slow.status).toBe(500);
			expect(slow.body).toMatchObject({ code: '57014' });
			const fast = await request(tokens.anon, 'POST', '/rpc/test_write_then_sleep', '', JSON.stringify({ note: 'quick', seconds: 0 }));
			expect(fast.status).toBe(200);
			const rows = await request(tokens.service_role, 'GET', '/timeout_probe', 'select=note');
			expect(rows).toEqual({ status: 200, body: [{ note: 'quick' }] });
		});

		it('leaves other roles to their own timeout', async () => {
			expect(await request(tokens.service_role, 'GET', '/rpc/test_sleep', 'seconds=0.6')).toEqual({ status: 200, body: 1 });
			expect(await request(tokens.authenticated(), 'GET', '/rpc/test_sleep', 'seconds=0.6')).toEqual({ status: 200, body: 1 });
		});
	});
});
