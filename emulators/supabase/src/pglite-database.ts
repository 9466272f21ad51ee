import { PGlite, type Extensions, type Transaction } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import type { SqlDatabase, SqlSession, TransactionOptions } from './database.js';
import { SerialQueue } from './serial-queue.js';

export interface PgliteDatabaseOptions {
	/** Directory for a persistent database; undefined keeps it in memory. */
	dataDir?: string;
	/** Extra PGlite extensions (the pgTAP runner adds pgtap). */
	extensions?: Extensions;
}

/** The error Postgres raises when statement_timeout cancels a statement. */
export class StatementTimeoutError extends Error {
	readonly code = '57014';
	readonly detail = null;
	readonly hint = null;
	constructor() {
		super('canceling statement due to statement timeout');
	}
}

/**
 * PGlite runs Postgres synchronously inside this thread, so the timer behind statement_timeout
 * cannot fire while a statement runs: PGlite never cancels anything. A statement that ran past
 * the session's statement_timeout is therefore failed once it returns, with the error Postgres
 * would have raised, so that the client gets the same answer and the transaction is rolled back.
 * It cannot give the time back: the queue still waited for it.
 */
async function enforceStatementTimeout(tx: Transaction, elapsedMs: number): Promise<void> {
	// statement_timeout counts whole milliseconds: a shorter statement cannot have run past it.
	if (elapsedMs < 1) return;
	const [row] = (
		await tx.query<{ ms: number }>(`select extract(epoch from current_setting('statement_timeout')::interval) * 1000 as ms`)
	).rows;
	const limit = Number(row?.ms ?? 0);
	if (limit > 0 && elapsedMs >= limit) throw new StatementTimeoutError();
}

export async function openPgliteDatabase(options: PgliteDatabaseOptions = {}): Promise<SqlDatabase> {
	const db = await PGlite.create({
		dataDir: options.dataDir,
		extensions: { pgcrypto, ...options.extensions }
	});
	const queue = new SerialQueue();

	return {
		engine: 'pglite',
		transaction<T>(fn: (tx: SqlSession) => Promise<T>, txOptions: TransactionOptions = {}) {
			return queue.run(() =>
				db.transaction(async (tx) => {
					if (txOptions.readOnly) await tx.exec('set transaction read only');
					return fn({
						async query<Row>(text: string, params?: unknown[]) {
							const started = performance.now();
							const rows = (await tx.query<Row>(text, params)).rows;
							await enforceStatementTimeout(tx, performance.now() - started);
							return rows;
						},
						async exec(script: string) {
							await tx.exec(script);
						}
					});
				})
			);
		},
		exec(script: string) {
			return queue.run(async () => {
				await db.exec(script);
			});
		},
		close() {
			return queue.run(() => db.close());
		}
	};
}
