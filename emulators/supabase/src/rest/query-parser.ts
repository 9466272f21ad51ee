/**
 * PostgREST's URL grammar, as far as this emulator implements it, parsed into plain data.
 * Knows nothing about the database: names are checked against the catalog later
 * (see planner.ts). Anything outside the grammar raises a PGRST100 naming the part.
 */
import { RestError, unsupported } from './errors.js';

export type SelectItem =
	| { type: 'star' }
	| { type: 'column'; name: string; alias?: string; cast?: string }
	| { type: 'count' }
	| { type: 'embed'; name: string; alias?: string; hint?: string; inner: boolean; select: SelectItem[] };

export const filterOperators = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch', 'is', 'isdistinct', 'in'] as const;
export type FilterOperator = (typeof filterOperators)[number];

export interface Condition {
	type: 'condition';
	column: string;
	negate: boolean;
	operator: FilterOperator;
	/** A list for `in`, otherwise the raw text after the operator. */
	value: string | string[];
}

export interface LogicTree {
	type: 'logic';
	negate: boolean;
	operator: 'and' | 'or';
	children: Filter[];
}

export type Filter = Condition | LogicTree;

export interface OrderTerm {
	column: string;
	descending: boolean;
	nulls?: 'first' | 'last';
}

/** Filters, order and paging for one resource: the root table or an embedded one. */
export interface ResourceModifiers {
	filters: Filter[];
	order: OrderTerm[];
	limit?: number;
	offset?: number;
}

export interface ParsedQuery {
	select?: SelectItem[];
	root: ResourceModifiers;
	/** Keyed by the embed's path of names or aliases, e.g. "videos". */
	embedded: Map<string, ResourceModifiers>;
	onConflict?: string[];
	columns?: string[];
	/** RPC arguments given in the query string (GET /rpc/fn?arg=value). */
	args: Map<string, string>;
}

const supportedOperatorsText = `supported operators: ${filterOperators.join(', ')}, not.<operator>, and or=(…)/and=(…) trees`;

/** Splits on `separator` outside parentheses and double quotes (backslash escapes inside quotes). */
export function splitTopLevel(text: string, separator = ','): string[] {
	const parts: string[] = [];
	let depth = 0;
	let quoted = false;
	let current = '';
	for (let i = 0; i < text.length; i++) {
		const ch = text[i]!;
		if (quoted) {
			current += ch;
			if (ch === '\\' && i + 1 < text.length) current += text[++i];
			else if (ch === '"') quoted = false;
			continue;
		}
		if (ch === '"') quoted = true;
		else if (ch === '(') depth++;
		else if (ch === ')') depth--;
		if (ch === separator && depth === 0) {
			parts.push(current);
			current = '';
		} else {
			current += ch;
		}
	}
	parts.push(current);
	return parts;
}

/** `"a,b"` → `a,b` (with `\"` and `\\` unescaped); anything else unchanged. */
export function unquote(text: string): string {
	if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
		return text.slice(1, -1).replace(/\\(.)/g, '$1');
	}
	return text;
}

const identifier = /^(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")$/;

function parseIdentifier(text: string, what: string, whole: string): string {
	if (!identifier.test(text)) {
		throw unsupported(what, whole, `"${text}" is not a column name this API accepts (JSON paths and expressions are not supported)`);
	}
	return text.startsWith('"') ? text.slice(1, -1).replace(/""/g, '"') : text;
}

const castTypes = new Set([
	'text', 'varchar', 'char', 'uuid', 'int', 'int2', 'int4', 'int8', 'integer', 'smallint', 'bigint',
	'numeric', 'float4', 'float8', 'real', 'bool', 'boolean', 'date', 'time', 'timestamp', 'timestamptz',
	'json', 'jsonb'
]);

/**
 * How deep embeds may nest. PostgREST itself sets no limit and relies on statement_timeout; but
 * every level multiplies the rows built (products → videos → products → videos repeats each
 * video for every sibling), and on PGlite a statement cannot be cancelled while it runs, so one
 * runaway request holds every other one. Three levels is more than any relationship chain in
 * this schema (products ↔ videos) needs; deeper only walks back and forth over the same rows.
 */
export const maxEmbedDepth = 3;

/** `depth` is how many embeds enclose this select list (0 for the request's own). */
export function parseSelect(text: string, depth = 0): SelectItem[] {
	const nested = depth > 0;
	if (text.trim() === '') return [{ type: 'star' }];
	return splitTopLevel(text).map((raw) => {
		const item = raw.trim();
		if (item === '') throw unsupported('select', text, 'empty item in select');
		if (item === '*') return { type: 'star' };
		if (nested && item === 'count') return { type: 'count' };
		if (item.startsWith('...')) throw unsupported('select', item, 'spread embeds ("...relation(…)") are not supported');
		if (/\(\)$/.test(item) || /\.(count|sum|avg|min|max)\(\)/.test(item)) {
			throw unsupported('select', item, 'aggregate functions are not supported; use "relation(count)" for a count of related rows');
		}
		const embed = /^(?:([^:()!]+):)?([^:()!]+)((?:![^!()]+)*)\((.*)\)$/s.exec(item);
		if (embed) {
			if (depth >= maxEmbedDepth) {
				throw unsupported('select', item, `embeds may nest at most ${maxEmbedDepth} levels deep in this local API; split the request`);
			}
			const [, alias, name, hintText, inner] = embed as unknown as [string, string | undefined, string, string, string];
			let join: 'inner' | 'left' = 'left';
			let hint: string | undefined;
			for (const part of hintText.split('!').filter(Boolean)) {
				if (part === 'inner' || part === 'left') join = part;
				else if (hint === undefined) hint = parseIdentifier(part, 'select', item);
				else throw unsupported('select', item, 'more than one disambiguation hint');
			}
			return {
				type: 'embed',
				name: parseIdentifier(name, 'select', item),
				alias: alias === undefined ? undefined : parseIdentifier(alias, 'select', item),
				hint,
				inner: join === 'inner',
				select: parseSelect(inner, depth + 1)
			};
		}
		if (item.includes('->')) throw unsupported('select', item, 'JSON paths (->, ->>) are not supported');
		const column = /^(?:([^:]+):(?!:))?([^:]+?)(?:::([a-z0-9_]+))?$/.exec(item);
		if (!column) throw unsupported('select', item, 'expected column, alias:column, column::type or relation(…)');
		const [, alias, name, cast] = column;
		if (cast !== undefined && !castTypes.has(cast)) {
			throw unsupported('select', item, `cast to "${cast}" is not supported (supported: ${[...castTypes].join(', ')})`);
		}
		return {
			type: 'column',
			name: parseIdentifier(name!, 'select', item),
			alias: alias === undefined ? undefined : parseIdentifier(alias, 'select', item),
			cast
		};
	});
}

/** `[not.]op.value` for column `column`. */
export function parseCondition(column: string, text: string, context: string, quotedValues = false): Condition {
	let rest = text;
	let negate = false;
	if (rest.startsWith('not.')) {
		negate = true;
		rest = rest.slice(4);
	}
	const dot = rest.indexOf('.');
	const operatorText = dot < 0 ? rest : rest.slice(0, dot);
	if (dot < 0) throw unsupported('filter', context, `expected "<operator>.<value>"; ${supportedOperatorsText}`);
	if (!(filterOperators as readonly string[]).includes(operatorText)) {
		throw unsupported('filter', context, `unsupported operator "${operatorText}"; ${supportedOperatorsText}`);
	}
	const operator = operatorText as FilterOperator;
	const raw = rest.slice(dot + 1);
	if (operator === 'in') {
		if (!raw.startsWith('(') || !raw.endsWith(')')) {
			throw unsupported('filter', context, 'in expects a parenthesised list: in.(a,b,"c,d")');
		}
		const inner = raw.slice(1, -1);
		return { type: 'condition', column, negate, operator, value: inner === '' ? [] : splitTopLevel(inner).map((v) => unquote(v.trim())) };
	}
	if (operator === 'is' && !['null', 'not_null', 'true', 'false', 'unknown'].includes(raw.toLowerCase())) {
		throw unsupported('filter', context, 'is accepts null, not_null, true, false or unknown');
	}
	return { type: 'condition', column, negate, operator, value: quotedValues ? unquote(raw) : raw };
}

/** The inside of `or=(…)`: conditions and nested and()/or()/not.and()/not.or(). */
export function parseLogicTree(operator: 'and' | 'or', negate: boolean, text: string, context: string): LogicTree {
	if (!text.startsWith('(') || !text.endsWith(')')) {
		throw unsupported('logic tree', context, `${operator} expects a parenthesised list: ${operator}=(a.eq.1,b.gt.2)`);
	}
	const children = splitTopLevel(text.slice(1, -1)).map((raw): Filter => {
		const item = raw.trim();
		const nested = /^(not\.)?(and|or)(\(.*\))$/s.exec(item);
		if (nested) return parseLogicTree(nested[2] as 'and' | 'or', Boolean(nested[1]), nested[3]!, context);
		const dot = item.indexOf('.');
		if (dot <= 0) throw unsupported('logic tree', context, `"${item}" is not <column>.<operator>.<value>`);
		const column = parseIdentifier(item.slice(0, dot), 'logic tree', context);
		return parseCondition(column, item.slice(dot + 1), context, true);
	});
	if (children.length === 0 || (children.length === 1 && (text === '()'))) {
		throw unsupported('logic tree', context, 'empty logic tree');
	}
	return { type: 'logic', operator, negate, children };
}

export function parseOrder(text: string): OrderTerm[] {
	return splitTopLevel(text).map((raw) => {
		const parts = raw.trim().split('.');
		const column = parts.shift() ?? '';
		if (column.includes('(')) throw unsupported('order', text, 'ordering by a related table\'s column is not supported');
		const term: OrderTerm = { column: parseIdentifier(column, 'order', text), descending: false };
		for (const part of parts) {
			if (part === 'asc' || part === 'desc') term.descending = part === 'desc';
			else if (part === 'nullsfirst' || part === 'nullslast') term.nulls = part === 'nullsfirst' ? 'first' : 'last';
			else throw unsupported('order', text, `unexpected "${part}"; expected asc, desc, nullsfirst or nullslast`);
		}
		return term;
	});
}

function parseCount(name: 'limit' | 'offset', text: string): number {
	if (!/^\d{1,9}$/.test(text)) {
		throw new RestError(400, 'PGRST100', `"failed to parse ${name} parameter (${text})"`, `${name} must be a non-negative integer`, null);
	}
	return Number(text);
}

function parseColumnList(what: string, text: string): string[] {
	return splitTopLevel(text).map((raw) => {
		const item = raw.trim();
		if (item.startsWith('"') && item.endsWith('"')) return unquote(item);
		return parseIdentifier(item, what, text);
	});
}

const emptyModifiers = (): ResourceModifiers => ({ filters: [], order: [] });

export interface ParseOptions {
	/** For RPC: names of the function's arguments, taken as arguments rather than filters. */
	argumentNames?: ReadonlySet<string>;
}

/** Parses the query string of a /rest/v1 request (already split by URLSearchParams). */
export function parseQuery(params: URLSearchParams, options: ParseOptions = {}): ParsedQuery {
	const query: ParsedQuery = { root: emptyModifiers(), embedded: new Map(), args: new Map() };
	const modifiersFor = (path: string[]): ResourceModifiers => {
		if (path.length === 0) return query.root;
		const key = path.join('.');
		let found = query.embedded.get(key);
		if (!found) query.embedded.set(key, (found = emptyModifiers()));
		return found;
	};

	for (const [key, value] of params) {
		if (key === 'select') {
			query.select = parseSelect(value);
			continue;
		}
		if (key === 'on_conflict') {
			query.onConflict = parseColumnList('on_conflict', value);
			continue;
		}
		if (key === 'columns') {
			query.columns = parseColumnList('columns', value);
			continue;
		}
		if (options.argumentNames?.has(key)) {
			query.args.set(key, value);
			continue;
		}
		// Logic trees: or, and, not.or, not.and, optionally prefixed by an embed path.
		const logic = /^(?:(.+)\.)?(not\.)?(and|or)$/.exec(key);
		if (logic) {
			const path = logic[1] ? logic[1].split('.') : [];
			modifiersFor(path).filters.push(parseLogicTree(logic[3] as 'and' | 'or', Boolean(logic[2]), value, `${key}=${value}`));
			continue;
		}
		const segments = key.split('.');
		const last = segments[segments.length - 1]!;
		const path = segments.slice(0, -1);
		if (last === 'order') {
			modifiersFor(path).order.push(...parseOrder(value));
		} else if (last === 'limit') {
			modifiersFor(path).limit = parseCount('limit', value);
		} else if (last === 'offset') {
			modifiersFor(path).offset = parseCount('offset', value);
		} else {
			const column = parseIdentifier(last, 'filter', `${key}=${value}`);
			modifiersFor(path).filters.push(parseCondition(column, value, `${key}=${value}`));
		}
	}
	return query;
}
