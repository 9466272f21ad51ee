import { describe, expect, it } from 'vitest';
import { fromPostgresError, statusForSqlState } from './errors.js';

describe('SQLSTATE to HTTP status', () => {
	it.each([
		['42501', 'permission denied for table products', 'anon', 401],
		['42501', 'new row violates row-level security policy for table "products"', 'authenticated', 403],
		['23505', 'duplicate key value violates unique constraint "x"', 'authenticated', 409],
		['23503', 'insert or update on table "videos" violates foreign key constraint', 'authenticated', 409],
		['23502', 'null value in column "title"', 'authenticated', 400],
		['23514', 'new row for relation "products" violates check constraint', 'authenticated', 400],
		['22P02', 'invalid input syntax for type uuid: "abc"', 'authenticated', 400],
		['42883', 'operator does not exist: uuid ~~ unknown', 'authenticated', 404],
		['21000', 'DELETE requires a WHERE clause', 'authenticated', 400],
		['21000', 'more than one row returned by a subquery', 'authenticated', 500],
		['25006', 'cannot execute UPDATE in a read-only transaction', 'authenticated', 405],
		['PT402', 'payment required', 'authenticated', 402],
		['P0001', 'raised', 'authenticated', 400],
		['XX000', 'internal', 'authenticated', 500],
		['57014', 'canceling statement due to statement timeout', 'authenticated', 500],
		['08006', 'connection failure', 'authenticated', 503]
	])('%s (%s) as %s → %i', (code, message, role, status) => {
		expect(statusForSqlState(code, message, role)).toBe(status);
	});

	it('keeps Postgres detail and hint in the PostgREST body', () => {
		const error = fromPostgresError(
			{ code: '23505', message: 'duplicate key', detail: 'Key (id)=(1) already exists.', hint: undefined },
			'authenticated'
		);
		expect(error.status).toBe(409);
		expect(error.body).toEqual({ code: '23505', details: 'Key (id)=(1) already exists.', hint: null, message: 'duplicate key' });
	});
});
