import pg from 'pg';
import type { SqlDatabase, SqlSession, TransactionOptions } from './database.js';

/**
 * A real Postgres server through node-postgres. Each transaction has a pooled connection of
 * its own, so no queue is needed: `set local` settings never outlive their transaction.
 */
export async function openPgDatabase(connectionString: string): Promise<SqlDatabase> {
	const pool = new pg.Pool({ connectionString, max: 4 });
	// Fail at start, not at the first request, when the server is unreachable.
	const probe = await pool.connect();
	probe.release();

	return {
		engine: 'postgres',
		async transaction<T>(fn: (tx: SqlSession) => Promise<T>, options: TransactionOptions = {}) {
			const client = await pool.connect();
			try {
				await client.query(options.readOnly ? 'begin read only' : 'begin');
				const result = await fn({
					async query<Row>(text: string, params?: unknown[]) {
						return (await client.query(text, params)).rows as Row[];
					},
					async exec(script: string) {
						await client.query(script);
					}
				});
				await client.query('commit');
				return result;
			} catch (error) {
				await client.query('rollback').catch(() => undefined);
				throw error;
			} finally {
				client.release();
			}
		},
		async exec(script: string) {
			await pool.query(script);
		},
		async close() {
			await pool.end();
		}
	};
}
