/**
 * The /rest/v1 half of the emulator: PostgREST's behaviour for the grammar supabase-js
 * produces. Every request is one transaction that first switches to the JWT's role and sets
 * request.jwt.claims transaction-locally, so Postgres itself enforces grants and RLS.
 */
import type { SqlDatabase, SqlSession } from '../database.js';
import { isPostgresError } from '../database.js';
import { bearerToken, header, json, type ApiRequest, type ApiResponse } from '../http.js';
import { verifyJwt, type JwtClaims } from '../jwt.js';
import { RestError, fromPostgresError, unsupported } from './errors.js';
import { parseQuery, type ParsedQuery } from './query-parser.js';
import { loadSchemaCache, type SchemaCache, type Table } from './schema-cache.js';
import { buildMutation, buildRead, buildRpc, findFunction, findTable, maxRows, type BuiltStatement, type Mutation } from './sql-builder.js';

/** The roles the `authenticator` connection may switch to. */
const apiRoles = new Set(['anon', 'authenticated', 'service_role']);
const exposedSchemas = ['public'];

interface Identity {
	role: string;
	claims: JwtClaims;
}

interface Preferences {
	representation: boolean;
	count: boolean;
	resolution?: 'merge-duplicates' | 'ignore-duplicates';
	missingDefault: boolean;
	applied: string[];
}

interface StatementResult {
	body: string | null;
	first: string | null;
	n: number;
	total?: number | null;
	inserted?: boolean;
}

const objectMediaType = 'application/vnd.pgrst.object+json';

export class RestApi {
	#cache: SchemaCache | undefined;
	/** statement_timeout per API role, from ALTER ROLE … SET (Supabase: anon 3s, authenticated 8s). */
	#roleTimeouts = new Map<string, string>();

	constructor(
		private readonly db: SqlDatabase,
		private readonly jwtSecret: string
	) {}

	/** Re-reads the catalog (PostgREST's schema cache reload). */
	async reloadSchema(): Promise<void> {
		const { cache, timeouts } = await this.db.transaction(
			async (tx) => ({ cache: await loadSchemaCache(tx, 'public'), timeouts: await loadRoleTimeouts(tx) }),
			{ readOnly: true }
		);
		this.#cache = cache;
		this.#roleTimeouts = timeouts;
	}

	async handle(request: ApiRequest): Promise<ApiResponse> {
		let identity: Identity | undefined;
		try {
			identity = this.#identify(request);
			this.#checkProfile(request);
			if (!this.#cache) await this.reloadSchema();
			return await this.#route(request, identity);
		} catch (error) {
			if (error instanceof RestError) return json(error.status, error.body, error.headers);
			if (isPostgresError(error)) {
				const mapped = fromPostgresError(error, identity?.role ?? 'anon');
				return json(mapped.status, mapped.body);
			}
			throw error;
		}
	}

	#identify(request: ApiRequest): Identity {
		const token = bearerToken(request);
		if (token === undefined) return { role: 'anon', claims: { role: 'anon' } };
		const jwtError = (code: string, message: string) =>
			new RestError(401, code, message, null, null, {
				'WWW-Authenticate': `Bearer error="invalid_token", error_description="${message}"`
			});
		if (token === '') throw jwtError('PGRST301', 'Empty JWT is sent in Authorization header');
		const result = verifyJwt(token, this.jwtSecret);
		if (!result.ok) {
			if (result.reason === 'expired') throw jwtError('PGRST303', 'JWT expired');
			if (result.reason === 'not-yet-valid') throw jwtError('PGRST303', 'JWT not yet valid');
			if (result.reason === 'missing-exp') throw jwtError('PGRST303', "The JWT has no 'exp' claim");
			if (result.reason === 'invalid-exp') throw jwtError('PGRST303', "The JWT 'exp' claim must be a number");
			if (result.reason === 'malformed') throw jwtError('PGRST301', 'Expected 3 parts in JWT; got a malformed token');
			throw jwtError('PGRST301', 'JWT cryptographic operation failed');
		}
		const role = typeof result.claims.role === 'string' ? result.claims.role : 'anon';
		if (!apiRoles.has(role)) {
			throw new RestError(403, '42501', `permission denied to set role "${role}"`, null, null);
		}
		return { role, claims: { ...result.claims, role } };
	}

	#checkProfile(request: ApiRequest): void {
		const read = request.method === 'GET' || request.method === 'HEAD';
		const profile = header(request, read ? 'accept-profile' : 'content-profile');
		if (profile !== undefined && !exposedSchemas.includes(profile)) {
			throw new RestError(406, 'PGRST106', `Invalid schema: ${profile}`, null, `Only the following schemas are exposed: ${exposedSchemas.join(', ')}`);
		}
	}

	async #route(request: ApiRequest, identity: Identity): Promise<ApiResponse> {
		const segments = request.path.split('/').filter(Boolean).map((segment) => decodeSegment(segment, request.path));
		if (segments.length === 2 && segments[0] === 'rpc') return this.#rpc(request, identity, segments[1]!);
		if (segments.length !== 1) {
			throw new RestError(404, 'PGRST125', `Invalid path specified in request URL`, null, null);
		}
		const table = findTable(this.#cache!, segments[0]!);
		const single = this.#wantsSingle(request);
		const prefs = this.#preferences(request);
		switch (request.method) {
			case 'GET':
			case 'HEAD':
				return this.#read(request, identity, table, single, prefs);
			case 'POST':
				return this.#insert(request, identity, table, single, prefs);
			case 'PATCH':
				return this.#updateOrDelete(request, identity, table, single, prefs, 'update');
			case 'DELETE':
				return this.#updateOrDelete(request, identity, table, single, prefs, 'delete');
			case 'PUT':
				throw unsupported('method', 'PUT', 'PUT (single-row upsert) is not supported by this local API; use POST with Prefer: resolution=merge-duplicates');
			default:
				throw new RestError(405, 'PGRST117', `Unsupported HTTP method: ${request.method}`, null, null);
		}
	}

	/** Accept negotiation: a bare object for .single(), JSON arrays otherwise. */
	#wantsSingle(request: ApiRequest): boolean {
		const accept = header(request, 'accept');
		if (!accept) return false;
		const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
		const params = accept.toLowerCase();
		if (types.includes(objectMediaType)) {
			if (params.includes('nulls=stripped')) {
				throw new RestError(406, 'PGRST107', `None of these media types are available: ${accept}`, null, null);
			}
			return true;
		}
		if (types.some((t) => ['application/json', '*/*', 'application/*', 'application/vnd.pgrst.array+json'].includes(t))) return false;
		throw new RestError(406, 'PGRST107', `None of these media types are available: ${accept}`, null, null);
	}

	#preferences(request: ApiRequest): Preferences {
		const prefs: Preferences = { representation: false, count: false, missingDefault: false, applied: [] };
		const value = header(request, 'prefer');
		if (!value) return prefs;
		for (const raw of value.split(',')) {
			const pref = raw.trim();
			if (pref === 'return=representation') prefs.representation = true;
			else if (pref === 'count=exact' || pref === 'count=planned' || pref === 'count=estimated') prefs.count = true;
			else if (pref === 'resolution=merge-duplicates' || pref === 'resolution=ignore-duplicates') {
				prefs.resolution = pref.slice('resolution='.length) as Preferences['resolution'];
			} else if (pref === 'missing=default') prefs.missingDefault = true;
			else if (pref === 'return=minimal' || pref === 'missing=null') {
				// The defaults; nothing to do.
			} else if (pref === 'tx=rollback' || pref.startsWith('max-affected=') || pref === 'handling=strict' || pref === 'return=headers-only') {
				throw unsupported('Prefer header', pref, `"${pref}" is not supported by this local API`);
			} else {
				// PostgREST ignores preferences it does not know (lenient handling).
				continue;
			}
			prefs.applied.push(pref);
		}
		return prefs;
	}

	/**
	 * One request = one transaction, running as the JWT's role with its claims. SET ROLE does not
	 * bring the role's own settings with it (those apply at login), so, like PostgREST, the role's
	 * statement_timeout is set here too; without it one slow request could hold the database.
	 */
	async #run(
		identity: Identity,
		request: ApiRequest,
		readOnly: boolean,
		work: (tx: SqlSession) => Promise<StatementResult>
	): Promise<StatementResult> {
		const timeout = this.#roleTimeouts.get(identity.role);
		return this.db.transaction(
			async (tx) => {
				await tx.query(
					`select set_config('search_path', 'public, extensions', true),
					        ${timeout === undefined ? '' : `set_config('statement_timeout', $5, true),`}
					        set_config('role', $1, true),
					        set_config('request.jwt.claims', $2, true),
					        set_config('request.method', $3, true),
					        set_config('request.path', $4, true)`,
					[identity.role, JSON.stringify(identity.claims), request.method, request.path, ...(timeout === undefined ? [] : [timeout])]
				);
				return work(tx);
			},
			{ readOnly }
		);
	}

	async #statement(tx: SqlSession, built: BuiltStatement): Promise<StatementResult> {
		const rows = await tx.query<StatementResult>(built.sql, built.params);
		return rows[0] ?? { body: '[]', first: null, n: 0 };
	}

	async #read(request: ApiRequest, identity: Identity, table: Table, single: boolean, prefs: Preferences): Promise<ApiResponse> {
		const query = parseQuery(request.search);
		this.#applyRangeHeader(request, query);
		const built = buildRead(this.#cache!, table, query, { count: prefs.count });
		const result = await this.#run(identity, request, true, (tx) => this.#statement(tx, built));
		return this.#readResponse(request, query, result, single, prefs);
	}

	/** `Range: 0-9` (GET only), as PostgREST still accepts it. */
	#applyRangeHeader(request: ApiRequest, query: ParsedQuery): void {
		const range = header(request, 'range');
		if (!range || request.method !== 'GET') return;
		const match = /^(?:items=)?(\d+)-(\d*)$/.exec(range.trim());
		if (!match) throw unsupported('Range header', range, 'expected "<first>-<last>"');
		const first = Number(match[1]);
		const rangeLimit = match[2] ? Number(match[2]) - first + 1 : undefined;
		query.root.offset = (query.root.offset ?? 0) + first;
		if (rangeLimit !== undefined) query.root.limit = Math.min(query.root.limit ?? rangeLimit, rangeLimit);
	}

	#readResponse(request: ApiRequest, query: ParsedQuery, result: StatementResult, single: boolean, prefs: Preferences): ApiResponse {
		const offset = query.root.offset ?? 0;
		const total = prefs.count ? Number(result.total ?? 0) : undefined;
		const n = Number(result.n);
		const headers: Record<string, string> = {
			'Content-Range': `${n > 0 ? `${offset}-${offset + n - 1}` : '*'}/${total ?? '*'}`
		};
		if (prefs.applied.length) headers['Preference-Applied'] = prefs.applied.join(', ');
		if (total !== undefined && offset > 0 && offset >= total && n === 0) {
			return json(416, { code: 'PGRST103', details: `An offset of ${offset} was requested, but there are only ${total} rows.`, hint: null, message: 'Requested range not satisfiable' }, headers);
		}
		if (single) {
			if (n !== 1) throw singularError(n);
			return this.#body(request, 200, headers, result.first!, true);
		}
		const status = total !== undefined && n < total ? 206 : 200;
		return this.#body(request, status, headers, result.body ?? '[]', false);
	}

	#body(request: ApiRequest, status: number, headers: Record<string, string>, body: string, single: boolean): ApiResponse {
		return {
			status,
			headers: { ...headers, 'Content-Type': `${single ? objectMediaType : 'application/json'}; charset=utf-8` },
			body: request.method === 'HEAD' ? undefined : body
		};
	}

	#payload(request: ApiRequest): unknown {
		try {
			if (request.body.trim() === '') throw new Error('empty');
			return JSON.parse(request.body);
		} catch {
			throw new RestError(400, 'PGRST102', 'Empty or invalid json', null, null);
		}
	}

	#checkColumns(table: Table, columns: string[]): void {
		for (const column of columns) {
			if (!table.columns.some((c) => c.name === column)) {
				throw new RestError(400, 'PGRST204', `Could not find the '${column}' column of '${table.name}' in the schema cache`, null, null);
			}
		}
	}

	async #insert(request: ApiRequest, identity: Identity, table: Table, single: boolean, prefs: Preferences): Promise<ApiResponse> {
		const query = parseQuery(request.search);
		rejectPagingOnWrite(query);
		if (query.root.filters.length) throw unsupported('filter', 'POST', 'filters are not allowed on insert');
		const payload = this.#payload(request);
		const rows = Array.isArray(payload) ? payload : [payload];
		if (rows.some((row) => typeof row !== 'object' || row === null || Array.isArray(row))) {
			throw new RestError(400, 'PGRST102', 'Empty or invalid json', 'Expected a JSON object or an array of JSON objects', null);
		}
		const objects = rows as Record<string, unknown>[];
		let columns = query.columns;
		if (!columns) {
			columns = Object.keys(objects[0] ?? {});
			const signature = [...columns].sort().join(',');
			if (objects.some((row) => Object.keys(row).sort().join(',') !== signature)) {
				throw new RestError(400, 'PGRST102', 'All object keys must match', null, null);
			}
		}
		this.#checkColumns(table, columns);
		let onConflict: { columns: string[]; merge: boolean } | undefined;
		if (prefs.resolution) {
			const keys = query.onConflict ?? table.primaryKey;
			this.#checkColumns(table, keys);
			onConflict = { columns: keys, merge: prefs.resolution === 'merge-duplicates' };
		} else if (query.onConflict) {
			throw unsupported('on_conflict', query.onConflict.join(','), 'on_conflict needs Prefer: resolution=merge-duplicates or resolution=ignore-duplicates');
		}
		const representation = prefs.representation || single;

		// Missing keys become NULL, or the column default with Prefer: missing=default, which
		// needs one statement per distinct set of keys.
		const batches: Array<{ rows: Record<string, unknown>[]; columns: string[] }> = [];
		if (prefs.missingDefault && objects.length > 0) {
			for (const row of objects) {
				batches.push({ rows: [row], columns: columns.filter((c) => c in row) });
			}
		} else if (objects.length > 0) {
			batches.push({ rows: objects, columns });
		}
		const statements = batches.map((batch) =>
			buildMutation(this.#cache!, table, query, { kind: 'insert', rows: batch.rows, columns: batch.columns, onConflict }, { representation })
		);
		const result = await this.#run(identity, request, false, async (tx) => {
			const parts: StatementResult[] = [];
			for (const statement of statements) parts.push(await this.#statement(tx, statement));
			const merged = mergeResults(parts);
			if (single && merged.n !== 1) throw singularError(merged.n);
			return merged;
		});
		const headers: Record<string, string> = { 'Content-Range': `*/${prefs.count ? result.n : '*'}` };
		if (prefs.applied.length) headers['Preference-Applied'] = prefs.applied.join(', ');
		// An upsert that only updated existing rows answers 200 rather than 201.
		const status = onConflict?.merge && result.n > 0 && result.inserted === false ? 200 : 201;
		if (!representation) return { status, headers };
		return this.#body(request, status, headers, single ? result.first! : result.body!, single);
	}

	async #updateOrDelete(
		request: ApiRequest,
		identity: Identity,
		table: Table,
		single: boolean,
		prefs: Preferences,
		kind: 'update' | 'delete'
	): Promise<ApiResponse> {
		const query = parseQuery(request.search);
		rejectPagingOnWrite(query);
		if (query.root.filters.length === 0) {
			// What Supabase's pg-safeupdate answers for a filterless write.
			throw new RestError(400, '21000', `${kind === 'update' ? 'UPDATE' : 'DELETE'} requires a WHERE clause`, null, null);
		}
		let mutation: Mutation = { kind: 'delete' };
		if (kind === 'update') {
			const payload = this.#payload(request);
			if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
				throw new RestError(400, 'PGRST102', 'Empty or invalid json', 'PATCH expects one JSON object', null);
			}
			const columns = Object.keys(payload);
			this.#checkColumns(table, columns);
			mutation = { kind: 'update', values: payload as Record<string, unknown>, columns };
		}
		const representation = prefs.representation || single;
		const nothingToSet = mutation.kind === 'update' && mutation.columns.length === 0;
		const built = nothingToSet ? undefined : buildMutation(this.#cache!, table, query, mutation, { representation });
		const result = await this.#run(identity, request, false, async (tx) => {
			const outcome = built ? await this.#statement(tx, built) : { body: '[]', first: null, n: 0 };
			if (single && Number(outcome.n) !== 1) throw singularError(Number(outcome.n));
			return outcome;
		});
		const n = Number(result.n);
		const headers: Record<string, string> = {
			'Content-Range':
				kind === 'update' && n > 0 ? `0-${n - 1}/${prefs.count ? n : '*'}` : `*/${prefs.count ? n : '*'}`
		};
		if (prefs.applied.length) headers['Preference-Applied'] = prefs.applied.join(', ');
		if (!representation) return { status: 204, headers };
		return this.#body(request, 200, headers, single ? result.first! : (result.body ?? '[]'), single);
	}

	async #rpc(request: ApiRequest, identity: Identity, name: string): Promise<ApiResponse> {
		if (!['GET', 'HEAD', 'POST'].includes(request.method)) {
			throw new RestError(405, 'PGRST101', 'Only GET, HEAD and POST are allowed for functions', null, null);
		}
		const overloads = this.#cache!.functions.get(name) ?? [];
		const argumentNames = new Set(overloads.flatMap((fn) => fn.args.map((a) => a.name)));
		const query = parseQuery(request.search, { argumentNames });
		let args: Record<string, unknown> = Object.fromEntries(query.args);
		if (request.method === 'POST') {
			const payload = request.body.trim() === '' ? {} : this.#payload(request);
			if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
				throw new RestError(400, 'PGRST102', 'Empty or invalid json', 'Function arguments must be a JSON object', null);
			}
			args = payload as Record<string, unknown>;
		}
		const fn = findFunction(this.#cache!, name, Object.keys(args));
		const single = this.#wantsSingle(request);
		const prefs = this.#preferences(request);
		const built = buildRpc(this.#cache!, fn, args, query, { count: prefs.count });
		const readOnly = request.method !== 'POST' || fn.volatility !== 'volatile';
		const result = await this.#run(identity, request, readOnly, (tx) => this.#statement(tx, built));
		if (fn.returnsVoid) return { status: 204, headers: {} };
		if (fn.returnColumns && fn.returnsSet) return this.#readResponse(request, query, result, single, prefs);
		if (fn.returnColumns) return this.#body(request, 200, {}, result.first ?? 'null', true);
		return this.#body(request, 200, {}, result.body ?? 'null', false);
	}
}

/**
 * The statement_timeout set for each API role with ALTER ROLE … SET, as PostgREST reads role
 * settings with its schema cache; a setting for this database wins over one for all databases.
 */
async function loadRoleTimeouts(tx: SqlSession): Promise<Map<string, string>> {
	const rows = await tx.query<{ role: string; value: string }>(
		`select r.rolname::text as role, substr(setting, length('statement_timeout=') + 1) as value
		   from pg_db_role_setting s
		   join pg_roles r on r.oid = s.setrole
		   cross join lateral unnest(s.setconfig) as setting
		  where s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
		    and setting like 'statement_timeout=%'
		    and r.rolname = any($1)
		  order by s.setdatabase`,
		[[...apiRoles]]
	);
	return new Map(rows.map((row) => [row.role, row.value]));
}

/** A path segment, percent-decoded; malformed encoding ("%zz", cut-off UTF-8) is the client's 400, not a 500. */
function decodeSegment(segment: string, path: string): string {
	try {
		return decodeURIComponent(segment);
	} catch {
		throw unsupported('path', path, `"${segment}" is not valid percent-encoding`);
	}
}

function singularError(n: number): RestError {
	return new RestError(406, 'PGRST116', 'Cannot coerce the result to a single JSON object', `The result contains ${n} rows`, null);
}

function rejectPagingOnWrite(query: ParsedQuery): void {
	if (query.root.limit !== undefined || query.root.offset !== undefined || query.root.order.length) {
		throw unsupported('limit/order', 'write', 'limit, offset and order on insert, update or delete are not supported by this local API');
	}
}

/** Joins the JSON arrays Postgres produced for several statements, without re-encoding rows. */
function mergeResults(parts: StatementResult[]): StatementResult {
	if (parts.length === 1) return { ...parts[0]!, n: Number(parts[0]!.n) };
	const inner = parts.map((p) => (p.body ?? '[]').trim().slice(1, -1).trim()).filter(Boolean);
	return {
		body: `[${inner.join(',')}]`,
		first: parts.find((p) => p.first)?.first ?? null,
		n: parts.reduce((sum, p) => sum + Number(p.n), 0),
		inserted: parts.some((p) => p.inserted !== false)
	};
}

export { maxRows };
