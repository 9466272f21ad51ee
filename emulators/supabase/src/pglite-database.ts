import { PGlite, type Extensions } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import type { SqlDatabase, SqlSession, TransactionOptions } from './database.js';
import { SerialQueue } from './serial-queue.js';

export interface PgliteDatabaseOptions {
	/** Directory for a persistent database; undefined keeps it in memory. */
	dataDir?: string;
	/** Extra PGlite extensions (the pgTAP runner adds pgtap). */
	extensions?: Extensions;
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
							return (await tx.query<Row>(text, params)).rows;
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
