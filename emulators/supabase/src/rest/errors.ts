import type { PostgresError } from '../database.js';

/** PostgREST's error body: always these four keys. */
export interface RestErrorBody {
	code: string;
	message: string;
	details: unknown;
	hint: string | null;
}

/** An error the REST layer answers with directly (its own PGRST codes, or a mapped SQLSTATE). */
export class RestError extends Error {
	readonly status: number;
	readonly body: RestErrorBody;
	readonly headers: Record<string, string>;

	constructor(
		status: number,
		code: string,
		message: string,
		details: unknown = null,
		hint: string | null = null,
		headers: Record<string, string> = {}
	) {
		super(message);
		this.status = status;
		this.body = { code, details, hint, message };
		this.headers = headers;
	}
}

/** A request outside the grammar this emulator implements: never silently ignored. */
export function unsupported(what: string, value: string, details: string): RestError {
	return new RestError(400, 'PGRST100', `"failed to parse ${what} (${value})"`, details, null);
}

/**
 * PostgREST's SQLSTATE → HTTP mapping (Error.hs, mapSQLtoHTTP). 42501 depends on who asked:
 * 401 for the anonymous role, 403 for everyone else.
 */
export function statusForSqlState(code: string, message: string, role: string): number {
	if (code === '42501') return role === 'anon' ? 401 : 403;
	if (code === '21000') return message.endsWith('requires a WHERE clause') ? 400 : 500;
	if (code === '23503' || code === '23505') return 409;
	if (code === '42P01' || code === '42883') return 404;
	if (code === '42P17') return 500;
	if (code === '25006') return 405;
	if (code === '22023' && /^role .* does not exist$/.test(message)) return 401;
	if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
	const cls = code.slice(0, 2);
	if (['08', '53'].includes(cls) || code === '57P01') return code === '53400' ? 500 : 503;
	if (['0L', '0P', '28'].includes(cls)) return 403;
	if (['09', '25', '2D', '38', '39', '3B', '40', '54', '55', '57', '58', 'F0', 'HV', 'XX'].includes(cls)) return 500;
	if (cls === 'P0') return code === 'P0001' ? 400 : 500;
	return 400;
}

export function fromPostgresError(error: PostgresError, role: string): RestError {
	return new RestError(
		statusForSqlState(error.code, error.message, role),
		error.code,
		error.message,
		error.detail ?? null,
		error.hint ?? null
	);
}
