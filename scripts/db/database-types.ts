/**
 * Generates src/lib/supabase/database.types.ts from the migrations, in the shape
 * `supabase gen types typescript` produces (Row / Insert / Update / Relationships per table,
 * Views, Functions, Enums, CompositeTypes, the Tables<> helpers and a Constants object),
 * by applying bootstrap + migrations to a fresh PGlite and reading its catalog.
 */
import { fileURLToPath } from 'node:url';
import { openPgliteDatabase } from '../../emulators/supabase/src/pglite-database.js';
import { prepareDatabase } from '../../emulators/supabase/src/migrate.js';
import type { SqlSession } from '../../emulators/supabase/src/database.js';

export const databaseTypesPath = fileURLToPath(new URL('../../src/lib/supabase/database.types.ts', import.meta.url));

/** The PostgREST major the local API follows (it implements no v13-only feature such as max-affected). */
const postgrestVersion = '12';
const schemas = ['public'];

interface TypeInfo {
	oid: number;
	schema: string;
	name: string;
	kind: string; // typtype: b base, e enum, c composite, d domain, p pseudo
	category: string;
	elem: number;
	relid: number;
	base: number;
}

interface ColumnInfo {
	table: string;
	kind: string;
	name: string;
	type: number;
	nullable: boolean;
	hasDefault: boolean;
	identity: string;
	generated: string;
	updatable: boolean;
}

const scalarTypes: Record<string, string> = {
	bool: 'boolean',
	int2: 'number',
	int4: 'number',
	int8: 'number',
	float4: 'number',
	float8: 'number',
	numeric: 'number',
	oid: 'number',
	json: 'Json',
	jsonb: 'Json',
	void: 'undefined',
	record: 'Record<string, unknown>'
};
const stringTypes = new Set([
	'text', 'varchar', 'bpchar', 'char', 'name', 'citext', 'uuid', 'date', 'time', 'timetz', 'timestamp',
	'timestamptz', 'interval', 'bytea', 'inet', 'cidr', 'macaddr', 'tsvector', 'tsquery', 'money', 'xml'
]);

const quote = (text: string) => JSON.stringify(text);
const key = (name: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : quote(name));

function indent(lines: string[], depth: number): string[] {
	return lines.map((line) => (line ? '\t'.repeat(depth) + line : line));
}

/** `{ [_ in never]: never }`, the generator's spelling of an empty section. */
const emptySection = ['{', '\t[_ in never]: never', '}'];

function objectType(entries: Array<[string, string[]]>): string[] {
	if (entries.length === 0) return emptySection;
	const lines = ['{'];
	for (const [name, value] of entries) {
		if (value.length === 1) lines.push(`\t${name}: ${value[0]}`);
		else lines.push(`\t${name}: ${value[0]}`, ...indent(value.slice(1), 1));
	}
	lines.push('}');
	return lines;
}

export async function generateDatabaseTypes(): Promise<string> {
	const db = await openPgliteDatabase();
	try {
		await prepareDatabase(db);
		return await db.transaction((tx) => render(tx), { readOnly: true });
	} finally {
		await db.close();
	}
}

async function render(tx: SqlSession): Promise<string> {
	const types = new Map<number, TypeInfo>();
	for (const row of await tx.query<TypeInfo>(
		`select t.oid::int as oid, n.nspname as schema, t.typname as name, t.typtype::text as kind,
		        t.typcategory::text as category, t.typelem::int as elem, t.typrelid::int as relid, t.typbasetype::int as base
		 from pg_type t join pg_namespace n on n.oid = t.typnamespace`
	)) {
		types.set(Number(row.oid), { ...row, oid: Number(row.oid), elem: Number(row.elem), relid: Number(row.relid), base: Number(row.base) });
	}
	const enumValues = new Map<number, string[]>();
	for (const row of await tx.query<{ oid: number; label: string }>(
		'select enumtypid::int as oid, enumlabel as label from pg_enum order by enumtypid, enumsortorder'
	)) {
		enumValues.set(Number(row.oid), [...(enumValues.get(Number(row.oid)) ?? []), row.label]);
	}
	const relationColumns = new Map<number, Array<{ name: string; type: number; nullable: boolean }>>();
	for (const row of await tx.query<{ relid: number; name: string; type: number; nullable: boolean }>(
		`select attrelid::int as relid, attname as name, atttypid::int as type, not attnotnull as nullable
		 from pg_attribute where attnum > 0 and not attisdropped order by attrelid, attnum`
	)) {
		const relid = Number(row.relid);
		relationColumns.set(relid, [...(relationColumns.get(relid) ?? []), { name: row.name, type: Number(row.type), nullable: row.nullable }]);
	}

	function tsType(oid: number, schema: string): string {
		const type = types.get(oid);
		if (!type) return 'unknown';
		if (type.category === 'A' && type.elem) return `${wrapArray(tsType(type.elem, schema))}[]`;
		if (type.kind === 'e') {
			return schemas.includes(type.schema)
				? `Database[${quote(type.schema)}]["Enums"][${quote(type.name)}]`
				: (enumValues.get(oid) ?? []).map(quote).join(' | ') || 'string';
		}
		if (type.kind === 'c') {
			if (schemas.includes(type.schema)) {
				const section = tableNames.has(`${type.schema}.${type.name}`) ? 'Tables' : 'CompositeTypes';
				return section === 'Tables'
					? `Database[${quote(type.schema)}]["Tables"][${quote(type.name)}]["Row"]`
					: `Database[${quote(type.schema)}]["CompositeTypes"][${quote(type.name)}]`;
			}
			return 'unknown';
		}
		if (type.kind === 'd') return tsType(type.base, schema);
		if (scalarTypes[type.name]) return scalarTypes[type.name]!;
		if (stringTypes.has(type.name)) return 'string';
		return 'unknown';
	}
	const wrapArray = (t: string) => (t.includes(' | ') ? `(${t})` : t);

	const columns = await tx.query<ColumnInfo>(
		`select c.relname as table, c.relkind::text as kind, a.attname as name, a.atttypid::int as type,
		        not a.attnotnull as nullable, a.atthasdef as "hasDefault", a.attidentity::text as identity,
		        a.attgenerated::text as generated,
		        (c.relkind in ('r', 'p') or pg_column_is_updatable(c.oid, a.attnum, false)) as updatable
		 from pg_class c
		 join pg_namespace n on n.oid = c.relnamespace
		 join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
		 where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f')
		 order by c.relname, a.attname`
	);
	const tableNames = new Set(columns.map((c) => `public.${c.table}`));
	const foreignKeys = await tx.query<{ name: string; table: string; columns: string[]; referenced: string; referenced_columns: string[]; one_to_one: boolean }>(
		`select con.conname as name, c.relname as table, rc.relname as referenced,
		        array(select a.attname::text from unnest(con.conkey) with ordinality k(n, o)
		              join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.o) as columns,
		        array(select a.attname::text from unnest(con.confkey) with ordinality k(n, o)
		              join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.o) as referenced_columns,
		        exists (select 1 from pg_index i where i.indrelid = con.conrelid and i.indisunique and i.indpred is null
		                and (select array_agg(x order by x) from unnest(i.indkey::int2[]) x) = (select array_agg(x order by x) from unnest(con.conkey) x)) as one_to_one
		 from pg_constraint con
		 join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
		 join pg_class rc on rc.oid = con.confrelid join pg_namespace rn on rn.oid = rc.relnamespace
		 where con.contype = 'f' and n.nspname = 'public' and rn.nspname = 'public'
		 order by con.conname`
	);

	const byTable = new Map<string, ColumnInfo[]>();
	for (const column of columns) byTable.set(column.table, [...(byTable.get(column.table) ?? []), column]);

	const relationships = (table: string) =>
		foreignKeys
			.filter((fk) => fk.table === table)
			.flatMap((fk) => [
				'{',
				`\tforeignKeyName: ${quote(fk.name)}`,
				`\tcolumns: [${fk.columns.map(quote).join(', ')}]`,
				`\tisOneToOne: ${fk.one_to_one}`,
				`\treferencedRelation: ${quote(fk.referenced)}`,
				`\treferencedColumns: [${fk.referenced_columns.map(quote).join(', ')}]`,
				'},'
			]);

	const tableEntries: Array<[string, string[]]> = [];
	const viewEntries: Array<[string, string[]]> = [];
	for (const [table, cols] of byTable) {
		const isView = !['r', 'p', 'f'].includes(cols[0]!.kind);
		const row = cols.map((c) => `${key(c.name)}: ${tsType(c.type, 'public')}${c.nullable || isView ? ' | null' : ''}`);
		const insertable = cols.filter((c) => !isView || c.updatable);
		const insert = insertable.map((c) => {
			if (c.generated === 's' || c.identity === 'a') return `${key(c.name)}?: never`;
			const optional = c.nullable || c.hasDefault || c.identity === 'd' || isView;
			return `${key(c.name)}${optional ? '?' : ''}: ${tsType(c.type, 'public')}${c.nullable || isView ? ' | null' : ''}`;
		});
		const update = insertable.map((c) =>
			c.generated === 's' || c.identity === 'a'
				? `${key(c.name)}?: never`
				: `${key(c.name)}?: ${tsType(c.type, 'public')}${c.nullable || isView ? ' | null' : ''}`
		);
		const rels = relationships(table);
		const body: string[] = ['{', '\tRow: {', ...indent(row, 2), '\t}'];
		if (!isView || insertable.length) {
			body.push('\tInsert: {', ...indent(insert, 2), '\t}', '\tUpdate: {', ...indent(update, 2), '\t}');
		}
		body.push(rels.length ? '\tRelationships: [' : '\tRelationships: []', ...(rels.length ? [...indent(rels, 2), '\t]'] : []), '}');
		(isView ? viewEntries : tableEntries).push([key(table), body]);
	}

	const functions = await tx.query<{
		name: string;
		arg_names: string[] | null;
		arg_modes: string[] | null;
		arg_types: number[];
		all_arg_types: number[] | null;
		defaults: number;
		return_type: number;
		returns_set: boolean;
	}>(
		`select p.proname as name, p.proargnames as arg_names, p.proargmodes::text[] as arg_modes,
		        p.proargtypes::int[] as arg_types, p.proallargtypes::int[] as all_arg_types,
		        p.pronargdefaults as defaults, p.prorettype::int as return_type, p.proretset as returns_set
		 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
		 join pg_type rt on rt.oid = p.prorettype
		 where n.nspname = 'public' and p.prokind = 'f' and rt.typname <> 'trigger'
		 order by p.proname, p.oid`
	);
	const functionEntries: Array<[string, string[]]> = [];
	for (const fn of functions) {
		const allTypes = (fn.all_arg_types ?? fn.arg_types).map(Number);
		const modes = fn.arg_modes ?? allTypes.map(() => 'i');
		const names = fn.arg_names ?? [];
		const inputs: string[] = [];
		const outputs: string[] = [];
		const inputIndexes = modes.flatMap((m, i) => (['i', 'b', 'v'].includes(m) ? [i] : []));
		const firstDefault = inputIndexes.length - Number(fn.defaults);
		modes.forEach((mode, i) => {
			const name = names[i] ?? '';
			if (['i', 'b', 'v'].includes(mode)) {
				const optional = inputIndexes.indexOf(i) >= firstDefault ? '?' : '';
				inputs.push(`${key(name)}${optional}: ${tsType(allTypes[i]!, 'public')}`);
			}
			if (['o', 'b', 't'].includes(mode)) outputs.push(`${key(name)}: ${tsType(allTypes[i]!, 'public')} | null`);
		});
		let returns: string[];
		const returnType = types.get(Number(fn.return_type));
		if (outputs.length) {
			returns = ['{', ...indent(outputs.map((o) => o.replace(/ \| null$/, '')), 1), `}${fn.returns_set ? '[]' : ''}`];
		} else if (returnType?.kind === 'c' && returnType.relid) {
			const cols = relationColumns.get(returnType.relid) ?? [];
			returns = ['{', ...indent(cols.map((c) => `${key(c.name)}: ${tsType(c.type, 'public')}${c.nullable ? ' | null' : ''}`), 1), `}${fn.returns_set ? '[]' : ''}`];
		} else {
			returns = [`${wrapArray(tsType(Number(fn.return_type), 'public'))}${fn.returns_set ? '[]' : ''}`];
		}
		const args = inputs.length ? ['{', ...indent(inputs, 1), '}'] : ['Record<PropertyKey, never>'];
		const body = ['{', `\tArgs: ${args[0]}`, ...indent(args.slice(1), 1), `\tReturns: ${returns[0]}`, ...indent(returns.slice(1), 1), '}'];
		functionEntries.push([key(fn.name), body]);
	}

	const enums = [...types.values()]
		.filter((t) => t.kind === 'e' && t.schema === 'public')
		.sort((a, b) => a.name.localeCompare(b.name));
	const enumEntries: Array<[string, string[]]> = enums.map((t) => [key(t.name), [(enumValues.get(t.oid) ?? []).map(quote).join(' | ')]]);
	const composites = [...types.values()]
		.filter((t) => t.kind === 'c' && t.schema === 'public' && !tableNames.has(`public.${t.name}`))
		.sort((a, b) => a.name.localeCompare(b.name));
	const compositeEntries: Array<[string, string[]]> = composites.map((t) => [
		key(t.name),
		['{', ...indent((relationColumns.get(t.relid) ?? []).map((c) => `${key(c.name)}: ${tsType(c.type, 'public')} | null`), 1), '}']
	]);

	const section = (name: string, entries: Array<[string, string[]]>) => {
		const lines = objectType(entries);
		return [`${name}: ${lines[0]}`, ...indent(lines.slice(1), 0)];
	};
	const schema = [
		...section('Tables', tableEntries),
		...section('Views', viewEntries),
		...section('Functions', functionEntries),
		...section('Enums', enumEntries),
		...section('CompositeTypes', compositeEntries)
	];

	const constants = enums.map((t) => `\t\t\t${key(t.name)}: [${(enumValues.get(t.oid) ?? []).map(quote).join(', ')}],`);

	return `${[
		'// Generated by scripts/db/generate-types.ts from supabase/migrations. Do not edit by hand:',
		'// run `npx tsx scripts/db/generate-types.ts` after changing a migration.',
		'',
		'export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]',
		'',
		'export type Database = {',
		'\t// Lets createClient<Database>() pick the PostgREST version the API follows.',
		'\t__InternalSupabase: {',
		`\t\tPostgrestVersion: ${quote(postgrestVersion)}`,
		'\t}',
		'\tpublic: {',
		...indent(schema, 2),
		'\t}',
		'}',
		'',
		helpers.trim(),
		'',
		'export const Constants = {',
		'\tpublic: {',
		'\t\tEnums: {',
		...constants,
		'\t\t},',
		'\t},',
		'} as const'
	].join('\n')}\n`;
}

/** The helper generics of Supabase's generated file, written for this generator. */
const helpers = `
type PublicSchemas = Omit<Database, '__InternalSupabase'>
type SchemaName = keyof PublicSchemas
type DefaultSchema = PublicSchemas['public']
type TablesAndViews<S extends SchemaName> = PublicSchemas[S]['Tables'] & PublicSchemas[S]['Views']

/** Row type: Tables<'products'> or Tables<{ schema: 'public' }, 'products'>. */
export type Tables<
	NameOrSchema extends keyof TablesAndViews<'public'> | { schema: SchemaName },
	Name extends NameOrSchema extends { schema: SchemaName } ? keyof TablesAndViews<NameOrSchema['schema']> : never = never
> = NameOrSchema extends { schema: SchemaName }
	? TablesAndViews<NameOrSchema['schema']>[Name] extends { Row: infer R }
		? R
		: never
	: NameOrSchema extends keyof TablesAndViews<'public'>
		? TablesAndViews<'public'>[NameOrSchema] extends { Row: infer R }
			? R
			: never
		: never

/** Insert type: TablesInsert<'products'> or TablesInsert<{ schema: 'public' }, 'products'>. */
export type TablesInsert<
	NameOrSchema extends keyof DefaultSchema['Tables'] | { schema: SchemaName },
	Name extends NameOrSchema extends { schema: SchemaName } ? keyof PublicSchemas[NameOrSchema['schema']]['Tables'] : never = never
> = NameOrSchema extends { schema: SchemaName }
	? PublicSchemas[NameOrSchema['schema']]['Tables'][Name] extends { Insert: infer I }
		? I
		: never
	: NameOrSchema extends keyof DefaultSchema['Tables']
		? DefaultSchema['Tables'][NameOrSchema] extends { Insert: infer I }
			? I
			: never
		: never

/** Update type: TablesUpdate<'products'> or TablesUpdate<{ schema: 'public' }, 'products'>. */
export type TablesUpdate<
	NameOrSchema extends keyof DefaultSchema['Tables'] | { schema: SchemaName },
	Name extends NameOrSchema extends { schema: SchemaName } ? keyof PublicSchemas[NameOrSchema['schema']]['Tables'] : never = never
> = NameOrSchema extends { schema: SchemaName }
	? PublicSchemas[NameOrSchema['schema']]['Tables'][Name] extends { Update: infer U }
		? U
		: never
	: NameOrSchema extends keyof DefaultSchema['Tables']
		? DefaultSchema['Tables'][NameOrSchema] extends { Update: infer U }
			? U
			: never
		: never

/** Enum values: Enums<'video_status'> or Enums<{ schema: 'public' }, 'video_status'>. */
export type Enums<
	NameOrSchema extends keyof DefaultSchema['Enums'] | { schema: SchemaName },
	Name extends NameOrSchema extends { schema: SchemaName } ? keyof PublicSchemas[NameOrSchema['schema']]['Enums'] : never = never
> = NameOrSchema extends { schema: SchemaName }
	? PublicSchemas[NameOrSchema['schema']]['Enums'][Name]
	: NameOrSchema extends keyof DefaultSchema['Enums']
		? DefaultSchema['Enums'][NameOrSchema]
		: never

/** Composite types: CompositeTypes<'name'> or CompositeTypes<{ schema: 'public' }, 'name'>. */
export type CompositeTypes<
	NameOrSchema extends keyof DefaultSchema['CompositeTypes'] | { schema: SchemaName },
	Name extends NameOrSchema extends { schema: SchemaName } ? keyof PublicSchemas[NameOrSchema['schema']]['CompositeTypes'] : never = never
> = NameOrSchema extends { schema: SchemaName }
	? PublicSchemas[NameOrSchema['schema']]['CompositeTypes'][Name]
	: NameOrSchema extends keyof DefaultSchema['CompositeTypes']
		? DefaultSchema['CompositeTypes'][NameOrSchema]
		: never
`;
