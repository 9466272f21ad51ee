/**
 * Turns a parsed request into one SQL statement whose result is the response body, built by
 * Postgres' own JSON functions. Identifiers come only from the schema cache (quoted);
 * every value from the request is a bound parameter.
 */
import { RestError } from './errors.js';
import type { Condition, Filter, OrderTerm, ParsedQuery, ResourceModifiers, SelectItem } from './query-parser.js';
import type { Column, DbFunction, ForeignKey, SchemaCache, Table } from './schema-cache.js';

export const maxRows = 1000;

export function quoteIdent(name: string): string {
	return `"${name.replace(/"/g, '""')}"`;
}

/** Collects bound values and hands out their $n placeholders. */
export class Params {
	readonly values: unknown[] = [];
	add(value: unknown): string {
		this.values.push(value);
		return `$${this.values.length}`;
	}
}

/** A Postgres array literal, e.g. {"a","b,c"}; bound as one text parameter. */
export function arrayLiteral(values: string[]): string {
	return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** A relation to select from: a table or view, or the rows of a set-returning function. */
interface Source {
	name: string;
	columns: Column[];
}

interface Relationship {
	foreignKey: ForeignKey;
	/** The embedded side is at most one row: rendered as an object or null, not an array. */
	toOne: boolean;
	/** The parent holds the foreign key (many-to-one); otherwise the embedded table does. */
	parentHoldsKey: boolean;
	target: Table;
}

interface BuildContext {
	cache: SchemaCache;
	params: Params;
	embedded: Map<string, ResourceModifiers>;
	usedEmbedPaths: Set<string>;
	aliasCount: number;
}

export function findTable(cache: SchemaCache, name: string): Table {
	const table = cache.tables.get(name);
	if (!table) {
		const close = [...cache.tables.keys()].find((t) => t.toLowerCase() === name.toLowerCase());
		throw new RestError(
			404,
			'PGRST205',
			`Could not find the table '${cache.schema}.${name}' in the schema cache`,
			null,
			close ? `Perhaps you meant the table '${cache.schema}.${close}'` : null
		);
	}
	return table;
}

function findColumn(source: Source, name: string): Column {
	const column = source.columns.find((c) => c.name === name);
	if (!column) throw new RestError(400, '42703', `column ${source.name}.${name} does not exist`, null, null);
	return column;
}

function nextAlias(ctx: BuildContext): string {
	return quoteIdent(`_t${ctx.aliasCount++}`);
}

function findRelationship(ctx: BuildContext, from: Source, target: string, hint: string | undefined): Relationship {
	const { cache } = ctx;
	const matchesHint = (fk: ForeignKey) => hint === undefined || fk.name === hint || fk.columns.includes(hint);
	const candidates: Relationship[] = [];
	const targetTable = cache.tables.get(target);
	if (targetTable) {
		for (const fk of cache.foreignKeys) {
			if (!matchesHint(fk)) continue;
			if (fk.table === from.name && fk.referencedTable === target) {
				candidates.push({ foreignKey: fk, toOne: true, parentHoldsKey: true, target: targetTable });
			} else if (fk.referencedTable === from.name && fk.table === target) {
				const unique = targetTable.uniqueKeys.some(
					(key) => key.length === fk.columns.length && key.every((c) => fk.columns.includes(c))
				);
				candidates.push({ foreignKey: fk, toOne: unique, parentHoldsKey: false, target: targetTable });
			}
		}
	}
	if (candidates.length === 0) {
		throw new RestError(
			400,
			'PGRST200',
			`Could not find a relationship between '${from.name}' and '${target}' in the schema cache`,
			`Searched for a foreign key relationship between '${from.name}' and '${target}'${hint ? ` using the hint '${hint}'` : ''} in the schema '${cache.schema}', but no matches were found.`,
			null
		);
	}
	if (candidates.length > 1) {
		throw new RestError(
			300,
			'PGRST201',
			`Could not embed because more than one relationship was found for '${from.name}' and '${target}'`,
			candidates.map((c) => ({
				cardinality: c.toOne ? 'many-to-one' : 'one-to-many',
				embedding: `${from.name} with ${target}`,
				relationship: `${c.foreignKey.name} using ${c.foreignKey.table}(${c.foreignKey.columns.join(', ')}) and ${c.foreignKey.referencedTable}(${c.foreignKey.referencedColumns.join(', ')})`
			})),
			`Try changing '${target}' to one of the following: ${candidates.map((c) => `'${target}!${c.foreignKey.name}'`).join(', ')}. Find the desired relationship in the 'details' key.`
		);
	}
	return candidates[0]!;
}

function joinCondition(rel: Relationship, parentAlias: string, childAlias: string): string {
	const { foreignKey: fk } = rel;
	return fk.columns
		.map((column, i) => {
			const referenced = fk.referencedColumns[i]!;
			return rel.parentHoldsKey
				? `${childAlias}.${quoteIdent(referenced)} = ${parentAlias}.${quoteIdent(column)}`
				: `${childAlias}.${quoteIdent(column)} = ${parentAlias}.${quoteIdent(referenced)}`;
		})
		.join(' and ');
}

function conditionSql(ctx: BuildContext, source: Source, alias: string, condition: Condition): string {
	const column = findColumn(source, condition.column);
	const target = `${alias}.${quoteIdent(column.name)}`;
	const { params } = ctx;
	let sql: string;
	const value = condition.value;
	switch (condition.operator) {
		case 'eq':
			sql = `${target} = ${params.add(value)}`;
			break;
		case 'neq':
			sql = `${target} <> ${params.add(value)}`;
			break;
		case 'gt':
			sql = `${target} > ${params.add(value)}`;
			break;
		case 'gte':
			sql = `${target} >= ${params.add(value)}`;
			break;
		case 'lt':
			sql = `${target} < ${params.add(value)}`;
			break;
		case 'lte':
			sql = `${target} <= ${params.add(value)}`;
			break;
		case 'like':
			sql = `${target} like ${params.add(String(value).replace(/\*/g, '%'))}`;
			break;
		case 'ilike':
			sql = `${target} ilike ${params.add(String(value).replace(/\*/g, '%'))}`;
			break;
		case 'match':
			sql = `${target} ~ ${params.add(value)}`;
			break;
		case 'imatch':
			sql = `${target} ~* ${params.add(value)}`;
			break;
		case 'isdistinct':
			sql = `${target} is distinct from ${params.add(value)}`;
			break;
		case 'in':
			sql = `${target} = any(${params.add(arrayLiteral(value as string[]))}::${column.type}[])`;
			break;
		case 'is': {
			const word = String(value).toLowerCase();
			sql = word === 'not_null' ? `${target} is not null` : `${target} is ${word}`;
			break;
		}
	}
	return condition.negate ? `not (${sql})` : sql;
}

function filterSql(ctx: BuildContext, source: Source, alias: string, filter: Filter, embeds: Map<string, () => string>): string {
	if (filter.type === 'logic') {
		const parts = filter.children.map((child) => filterSql(ctx, source, alias, child, embeds));
		const sql = `(${parts.join(filter.operator === 'and' ? ' and ' : ' or ')})`;
		return filter.negate ? `not ${sql}` : sql;
	}
	// `embed=is.null` / `embed=not.is.null`: parents without / with related rows.
	const embedExists = embeds.get(filter.column);
	if (embedExists && !source.columns.some((c) => c.name === filter.column)) {
		if (filter.operator !== 'is' || !['null', 'not_null'].includes(String(filter.value))) {
			throw new RestError(400, 'PGRST120', `Only is null or not is null filters are allowed on embedded resources`, null, null);
		}
		const wantsRows = (String(filter.value) === 'not_null') !== filter.negate;
		return wantsRows ? embedExists() : `not ${embedExists()}`;
	}
	return conditionSql(ctx, source, alias, filter);
}

export function whereSql(
	ctx: BuildContext,
	source: Source,
	alias: string,
	filters: Filter[],
	extra: string[] = [],
	embeds = new Map<string, () => string>()
): string {
	const parts = [...extra, ...filters.map((f) => filterSql(ctx, source, alias, f, embeds))];
	return parts.length ? ` where ${parts.join(' and ')}` : '';
}

function orderSql(source: Source, alias: string, order: OrderTerm[]): string {
	if (order.length === 0) return '';
	const terms = order.map((term) => {
		const column = findColumn(source, term.column);
		const nulls = term.nulls ? ` nulls ${term.nulls}` : '';
		return `${alias}.${quoteIdent(column.name)} ${term.descending ? 'desc' : 'asc'}${nulls}`;
	});
	return ` order by ${terms.join(', ')}`;
}

function pagingSql(ctx: BuildContext, modifiers: ResourceModifiers, cap: number | undefined): string {
	const limit = cap === undefined ? modifiers.limit : Math.min(modifiers.limit ?? cap, cap);
	let sql = '';
	if (limit !== undefined) sql += ` limit ${ctx.params.add(limit)}::bigint`;
	if (modifiers.offset) sql += ` offset ${ctx.params.add(modifiers.offset)}::bigint`;
	return sql;
}

interface SelectList {
	/** `expr as "key"` items, in select order. */
	items: string[];
	/** EXISTS clauses for !inner embeds, to be ANDed into the parent's WHERE. */
	innerConditions: string[];
	/** EXISTS clauses by embed name/alias, for `embed=is.null` filters; built (and their
	 * parameters bound) only when such a filter uses them. */
	embedExists: Map<string, () => string>;
}

function selectList(ctx: BuildContext, source: Source, alias: string, items: SelectItem[], path: string[]): SelectList {
	const list: SelectList = { items: [], innerConditions: [], embedExists: new Map() };
	for (const item of items) {
		if (item.type === 'star') {
			for (const column of source.columns) list.items.push(`${alias}.${quoteIdent(column.name)} as ${quoteIdent(column.name)}`);
		} else if (item.type === 'column') {
			const column = findColumn(source, item.name);
			const cast = item.cast ? `::${item.cast}` : '';
			list.items.push(`${alias}.${quoteIdent(column.name)}${cast} as ${quoteIdent(item.alias ?? item.name)}`);
		} else if (item.type === 'count') {
			throw new RestError(400, 'PGRST100', '"failed to parse select (count)"', 'count is only supported as the only item of an embed: relation(count)', null);
		} else {
			const key = item.alias ?? item.name;
			const embedPath = [...path, key];
			const pathKey = embedPath.join('.');
			ctx.usedEmbedPaths.add(pathKey);
			const modifiers = ctx.embedded.get(pathKey) ?? { filters: [], order: [] };
			const rel = findRelationship(ctx, source, item.name, item.hint);
			const target: Source = { name: rel.target.name, columns: rel.target.columns };
			const table = `${quoteIdent(ctx.cache.schema)}.${quoteIdent(rel.target.name)}`;

			const exists = () => {
				const existsAlias = nextAlias(ctx);
				return `exists (select 1 from ${table} as ${existsAlias}${whereSql(ctx, target, existsAlias, modifiers.filters, [joinCondition(rel, alias, existsAlias)])})`;
			};
			list.embedExists.set(key, exists);
			if (item.inner) list.innerConditions.push(exists());

			const childAlias = nextAlias(ctx);
			const onlyCount = item.select.length === 1 && item.select[0]!.type === 'count';
			if (onlyCount) {
				const where = whereSql(ctx, target, childAlias, modifiers.filters, [joinCondition(rel, alias, childAlias)]);
				list.items.push(
					`(select json_build_array(json_build_object('count', count(*))) from ${table} as ${childAlias}${where}) as ${quoteIdent(key)}`
				);
				continue;
			}
			const child = selectList(ctx, target, childAlias, item.select, embedPath);
			const where = whereSql(ctx, target, childAlias, modifiers.filters, [joinCondition(rel, alias, childAlias), ...child.innerConditions], child.embedExists);
			const inner = `select ${child.items.join(', ') || 'null as "_"'} from ${table} as ${childAlias}${where}`;
			if (rel.toOne) {
				list.items.push(`(select row_to_json(_e) from (${inner} limit 1) _e) as ${quoteIdent(key)}`);
			} else {
				const tail = orderSql(target, childAlias, modifiers.order) + pagingSql(ctx, modifiers, undefined);
				list.items.push(`(select coalesce(json_agg(_e), '[]'::json) from (${inner}${tail}) _e) as ${quoteIdent(key)}`);
			}
		}
	}
	return list;
}

export interface BuiltStatement {
	sql: string;
	params: unknown[];
}

function context(cache: SchemaCache, query: ParsedQuery, params = new Params()): BuildContext {
	return { cache, params, embedded: query.embedded, usedEmbedPaths: new Set(), aliasCount: 1 };
}

function checkEmbedPaths(ctx: BuildContext): void {
	for (const path of ctx.embedded.keys()) {
		if (!ctx.usedEmbedPaths.has(path)) {
			throw new RestError(400, 'PGRST108', `'${path}' is not an embedded resource in this request`, null, `Verify that '${path}' is included in the 'select' query parameter.`);
		}
	}
}

/** Result columns shared by every statement: body (array JSON), first (object JSON or null), n. */
const aggregate = `coalesce(json_agg(_r), '[]'::json)::text as body, (json_agg(_r) -> 0)::text as first, count(*)::int as n`;

export interface ReadOptions {
	count: boolean;
}

/** GET/HEAD on a table or view: body, page size and (optionally) the exact total. */
export function buildRead(cache: SchemaCache, table: Table, query: ParsedQuery, options: ReadOptions): BuiltStatement {
	const ctx = context(cache, query);
	const alias = quoteIdent('_t0');
	const source: Source = { name: table.name, columns: table.columns };
	const from = `${quoteIdent(cache.schema)}.${quoteIdent(table.name)} as ${alias}`;
	const list = selectList(ctx, source, alias, query.select ?? [{ type: 'star' }], []);
	const where = whereSql(ctx, source, alias, query.root.filters, list.innerConditions, list.embedExists);
	checkEmbedPaths(ctx);
	const page = `select ${list.items.join(', ') || 'null as "_"'} from ${from}${where}${orderSql(source, alias, query.root.order)}${pagingSql(ctx, query.root, maxRows)}`;
	const total = options.count ? `(select count(*) from ${from}${where})::int` : 'null::int';
	return { sql: `select ${aggregate}, ${total} as total from (${page}) _r`, params: ctx.params.values };
}

export type Mutation =
	| { kind: 'insert'; rows: Record<string, unknown>[]; columns: string[]; onConflict?: { columns: string[]; merge: boolean } }
	| { kind: 'update'; values: Record<string, unknown>; columns: string[] }
	| { kind: 'delete' };

export interface MutationOptions {
	/** return=representation: the select list; otherwise only counts come back. */
	representation: boolean;
}

/**
 * INSERT / UPSERT / UPDATE / DELETE in a CTE, the representation built over its RETURNING
 * rows. Without representation RETURNING carries no table columns (like PostgREST's
 * `RETURNING 1`), so no SELECT policy is needed for a plain insert.
 */
export function buildMutation(cache: SchemaCache, table: Table, query: ParsedQuery, mutation: Mutation, options: MutationOptions): BuiltStatement {
	const ctx = context(cache, query);
	const alias = quoteIdent('_t0');
	const source: Source = { name: table.name, columns: table.columns };
	const target = `${quoteIdent(cache.schema)}.${quoteIdent(table.name)}`;
	const rowType = `null::${target}`;
	const merge = mutation.kind === 'insert' && mutation.onConflict?.merge === true;
	const returning = options.representation
		? ` returning ${alias}.*${merge ? `, (${alias}.xmax::text = '0') as "_pgrst_inserted"` : ''}`
		: ` returning 1 as "_pgrst_one"${merge ? `, (${alias}.xmax::text = '0') as "_pgrst_inserted"` : ''}`;

	let statement: string;
	if (mutation.kind === 'insert') {
		const cols = mutation.columns.map((c) => quoteIdent(findColumn(source, c).name));
		const payload = ctx.params.add(JSON.stringify(mutation.rows));
		const body =
			cols.length === 0
				? 'default values'
				: `(${cols.join(', ')}) select ${cols.join(', ')} from json_populate_recordset(${rowType}, ${payload}::json) _pgrst_r`;
		let conflict = '';
		if (mutation.onConflict) {
			const keys = mutation.onConflict.columns.map((c) => quoteIdent(findColumn(source, c).name));
			const updates = cols.map((c) => `${c} = excluded.${c}`);
			conflict =
				mutation.onConflict.merge && updates.length
					? ` on conflict (${keys.join(', ')}) do update set ${updates.join(', ')}`
					: ` on conflict (${keys.join(', ')}) do nothing`;
		}
		statement = `insert into ${target} as ${alias} ${body}${conflict}${returning}`;
	} else if (mutation.kind === 'update') {
		const payload = ctx.params.add(JSON.stringify(mutation.values));
		const sets = mutation.columns.map((c) => {
			const column = quoteIdent(findColumn(source, c).name);
			return `${column} = _pgrst_r.${column}`;
		});
		const where = whereSql(ctx, source, alias, query.root.filters);
		statement = `update ${target} as ${alias} set ${sets.join(', ')} from json_populate_record(${rowType}, ${payload}::json) _pgrst_r${where}${returning}`;
	} else {
		const where = whereSql(ctx, source, alias, query.root.filters);
		statement = `delete from ${target} as ${alias}${where}${returning}`;
	}

	const inserted = merge ? `(select coalesce(bool_or("_pgrst_inserted"), false) from _pgrst_mut)` : 'true';
	if (!options.representation) {
		checkEmbedPaths(ctx);
		return {
			sql: `with _pgrst_mut as (${statement}) select null::text as body, null::text as first, count(*)::int as n, ${inserted} as inserted from _pgrst_mut`,
			params: ctx.params.values
		};
	}
	const list = selectList(ctx, source, alias, query.select ?? [{ type: 'star' }], []);
	checkEmbedPaths(ctx);
	const page = `select ${list.items.join(', ') || 'null as "_"'} from _pgrst_mut as ${alias}`;
	return {
		sql: `with _pgrst_mut as (${statement}) select ${aggregate}, ${inserted} as inserted from (${page}) _r`,
		params: ctx.params.values
	};
}

function functionArgumentValue(type: string, value: unknown): unknown {
	if (value === null || value === undefined) return null;
	if (Array.isArray(value) && type.endsWith('[]')) return arrayLiteral(value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))));
	if (typeof value === 'object') return JSON.stringify(value);
	return String(value);
}

/** Picks the overload whose arguments match the given names (PostgREST's rule). */
export function findFunction(cache: SchemaCache, name: string, argNames: string[]): DbFunction {
	const overloads = cache.functions.get(name) ?? [];
	const matches = overloads.filter(
		(fn) => argNames.every((a) => fn.args.some((arg) => arg.name === a)) && fn.args.every((arg) => arg.hasDefault || argNames.includes(arg.name))
	);
	if (matches.length === 0) {
		throw new RestError(
			404,
			'PGRST202',
			`Could not find the function ${cache.schema}.${name}${argNames.length ? `(${[...argNames].sort().join(', ')})` : ' without parameters'} in the schema cache`,
			`Searched for the function ${cache.schema}.${name}${argNames.length ? ` with parameters ${[...argNames].sort().join(', ')}` : ' without parameters'} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
			null
		);
	}
	if (matches.length > 1) {
		throw new RestError(300, 'PGRST203', `Could not choose the best candidate function between: ${matches.map((m) => `${cache.schema}.${name}(${m.args.map((a) => `${a.name} => ${a.type}`).join(', ')})`).join(', ')}`, null, 'Try renaming the parameters or the function itself in the database so function overloading can be resolved');
	}
	return matches[0]!;
}

export function buildRpc(cache: SchemaCache, fn: DbFunction, args: Record<string, unknown>, query: ParsedQuery, options: ReadOptions): BuiltStatement {
	const ctx = context(cache, query);
	const call = `${quoteIdent(cache.schema)}.${quoteIdent(fn.name)}(${Object.entries(args)
		.map(([name, value]) => {
			const arg = fn.args.find((a) => a.name === name)!;
			return `${quoteIdent(name)} => ${ctx.params.add(functionArgumentValue(arg.type, value))}::${arg.type}`;
		})
		.join(', ')})`;

	if (fn.returnsVoid) {
		return { sql: `select null::text as body, null::text as first, 0 as n, null::int as total from (select ${call} as _v) _v`, params: ctx.params.values };
	}
	if (fn.returnColumns) {
		const alias = quoteIdent('_t0');
		const source: Source = { name: fn.name, columns: fn.returnColumns };
		const list = selectList(ctx, source, alias, query.select ?? [{ type: 'star' }], []);
		const where = whereSql(ctx, source, alias, query.root.filters);
		checkEmbedPaths(ctx);
		const page = `select ${list.items.join(', ') || 'null as "_"'} from ${call} as ${alias}${where}${orderSql(source, alias, query.root.order)}${pagingSql(ctx, query.root, maxRows)}`;
		const total = options.count ? `(select count(*) from ${call} as ${alias}${where})::int` : 'null::int';
		return { sql: `select ${aggregate}, ${total} as total from (${page}) _r`, params: ctx.params.values };
	}
	if (query.select || query.root.filters.length || query.root.order.length || query.embedded.size) {
		throw new RestError(400, 'PGRST100', `"failed to parse select (${fn.name})"`, 'select, filters and order apply only to functions that return rows', null);
	}
	if (fn.returnsSet) {
		return {
			sql: `select coalesce(json_agg(_v), '[]'::json)::text as body, null::text as first, count(*)::int as n, null::int as total from ${call} as _v`,
			params: ctx.params.values
		};
	}
	return { sql: `select to_json(${call})::text as body, null::text as first, 1 as n, null::int as total`, params: ctx.params.values };
}
