// PGlite has one backend: the adapter must run transactions one at a time so that a
// transaction-local role and request.jwt.claims can never be seen by another request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../src/database.js';
import { prepareDatabase } from '../src/migrate.js';
import { openPgliteDatabase } from '../src/pglite-database.js';

let db: SqlDatabase;
beforeAll(async () => {
	db = await openPgliteDatabase();
	await prepareDatabase(db);
});
afterAll(() => db?.close());

const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 5));

describe('PGlite transactions', () => {
	it('interleaved requests each see only their own role and claims', async () => {
		const requests = Array.from({ length: 40 }, (_, i) => {
			const role = ['anon', 'authenticated', 'service_role'][i % 3]!;
			const sub = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
			return db.transaction(async (tx) => {
				await tx.query(`select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`, [
					role,
					JSON.stringify({ sub, role })
				]);
				// Yield between the settings and the read, as a real request does between statements.
				await pause();
				const [seen] = await tx.query<{ role: string; uid: string | null }>('select current_user::text as role, auth.uid()::text as uid');
				return { expected: { role, uid: sub }, seen };
			});
		});
		for (const { expected, seen } of await Promise.all(requests)) expect(seen).toEqual(expected);
	});

	it('leaves no role or claims behind once a transaction ends', async () => {
		await db.transaction((tx) =>
			tx.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-000000000001"}', true)`)
		);
		const [after] = await db.transaction((tx) =>
			tx.query<{ role: string; uid: string | null }>('select current_user::text as role, auth.uid()::text as uid')
		);
		expect(after).toEqual({ role: 'postgres', uid: null });
	});

	it('a failed transaction rolls back and releases the queue', async () => {
		await expect(
			db.transaction(async (tx) => {
				await tx.query(`select set_config('role', 'anon', true)`);
				await tx.query('select * from public.products');
			})
		).rejects.toMatchObject({ code: '42501' });
		const [after] = await db.transaction((tx) => tx.query<{ role: string }>('select current_user::text as role'));
		expect(after).toEqual({ role: 'postgres' });
	});
});
