/**
 * The one port through which the emulator talks to Postgres, implemented over PGlite
 * (in-process, the default) and over node-postgres (any real server).
 */
export interface SqlSession {
	/** One statement, values bound as parameters. */
	query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
	/** A script of several statements, no parameters (migrations, seed). */
	exec(script: string): Promise<void>;
}

export interface TransactionOptions {
	readOnly?: boolean;
}

export interface SqlDatabase {
	readonly engine: 'pglite' | 'postgres';
	/** Runs fn in one transaction: commit when it resolves, roll back when it throws. */
	transaction<T>(fn: (tx: SqlSession) => Promise<T>, options?: TransactionOptions): Promise<T>;
	/** Runs a script outside any explicit transaction. */
	exec(script: string): Promise<void>;
	close(): Promise<void>;
}

/** The fields of a Postgres error the API maps to HTTP, whichever driver raised it. */
export interface PostgresError {
	code: string;
	message: string;
	detail?: string | null;
	hint?: string | null;
}

export function isPostgresError(error: unknown): error is PostgresError {
	return (
		typeof error === 'object' &&
		error !== null &&
		typeof (error as { code?: unknown }).code === 'string' &&
		/^[0-9A-Z]{5}$/.test((error as { code: string }).code) &&
		typeof (error as { message?: unknown }).message === 'string'
	);
}
