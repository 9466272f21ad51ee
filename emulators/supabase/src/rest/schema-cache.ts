/**
 * What PostgREST calls its schema cache: the exposed schema's tables, columns, keys,
 * relationships and functions, read from the catalog. Every identifier in a request is
 * looked up here before it reaches SQL.
 */
import type { SqlSession } from '../database.js';

export interface Column {
	name: string;
	/** format_type(), e.g. "uuid", "text[]", "public.video_status" — safe to splice as a cast. */
	type: string;
	nullable: boolean;
	hasDefault: boolean;
	generated: boolean;
}

export interface ForeignKey {
	name: string;
	table: string;
	columns: string[];
	referencedTable: string;
	referencedColumns: string[];
}

export interface Table {
	name: string;
	kind: 'table' | 'view';
	columns: Column[];
	primaryKey: string[];
	/** Column sets with a unique constraint or unique index (including the primary key). */
	uniqueKeys: string[][];
}

export interface FunctionArgument {
	name: string;
	type: string;
	hasDefault: boolean;
}

export interface DbFunction {
	name: string;
	args: FunctionArgument[];
	returnType: string;
	returnsSet: boolean;
	/** Output columns when the function returns rows (TABLE(...), a composite or a table type). */
	returnColumns: Column[] | null;
	returnsVoid: boolean;
	volatility: 'immutable' | 'stable' | 'volatile';
}

export interface SchemaCache {
	schema: string;
	tables: Map<string, Table>;
	foreignKeys: ForeignKey[];
	functions: Map<string, DbFunction[]>;
}

export async function loadSchemaCache(tx: SqlSession, schema = 'public'): Promise<SchemaCache> {
	const columns = await tx.query<{
		table_name: string;
		relkind: string;
		name: string;
		type: string;
		nullable: boolean;
		has_default: boolean;
		generated: boolean;
	}>(
		`select c.relname as table_name, c.relkind::text as relkind, a.attname as name,
		        format_type(a.atttypid, a.atttypmod) as type, not a.attnotnull as nullable,
		        (a.atthasdef or a.attidentity <> '') as has_default,
		        (a.attgenerated <> '' or a.attidentity = 'a') as generated
		 from pg_class c
		 join pg_namespace n on n.oid = c.relnamespace
		 join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
		 where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'f')
		 order by c.relname, a.attnum`,
		[schema]
	);
	const tables = new Map<string, Table>();
	for (const row of columns) {
		let table = tables.get(row.table_name);
		if (!table) {
			table = {
				name: row.table_name,
				kind: ['v', 'm'].includes(row.relkind) ? 'view' : 'table',
				columns: [],
				primaryKey: [],
				uniqueKeys: []
			};
			tables.set(row.table_name, table);
		}
		table.columns.push({
			name: row.name,
			type: row.type,
			nullable: row.nullable,
			hasDefault: row.has_default,
			generated: row.generated
		});
	}

	const keys = await tx.query<{ table_name: string; primary: boolean; columns: string[] }>(
		`select c.relname as table_name, i.indisprimary as primary,
		        array(select a.attname::text from unnest(i.indkey) with ordinality k(attnum, ord)
		              join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
		              order by k.ord) as columns
		 from pg_index i
		 join pg_class c on c.oid = i.indrelid
		 join pg_namespace n on n.oid = c.relnamespace
		 where n.nspname = $1 and i.indisunique and i.indpred is null and i.indexprs is null`,
		[schema]
	);
	for (const key of keys) {
		const table = tables.get(key.table_name);
		if (!table) continue;
		table.uniqueKeys.push(key.columns);
		if (key.primary) table.primaryKey = key.columns;
	}

	const foreignKeys = (
		await tx.query<{ name: string; table_name: string; columns: string[]; referenced_table: string; referenced_columns: string[] }>(
			`select con.conname as name, c.relname as table_name, rc.relname as referenced_table,
			        array(select a.attname::text from unnest(con.conkey) with ordinality k(attnum, ord)
			              join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.ord) as columns,
			        array(select a.attname::text from unnest(con.confkey) with ordinality k(attnum, ord)
			              join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum order by k.ord) as referenced_columns
			 from pg_constraint con
			 join pg_class c on c.oid = con.conrelid
			 join pg_namespace n on n.oid = c.relnamespace
			 join pg_class rc on rc.oid = con.confrelid
			 join pg_namespace rn on rn.oid = rc.relnamespace
			 where con.contype = 'f' and n.nspname = $1 and rn.nspname = $1
			 order by con.conname`,
			[schema]
		)
	).map((row) => ({
		name: row.name,
		table: row.table_name,
		columns: row.columns,
		referencedTable: row.referenced_table,
		referencedColumns: row.referenced_columns
	}));

	const functionRows = await tx.query<{
		name: string;
		arg_names: string[] | null;
		arg_types: string[];
		arg_modes: string[] | null;
		all_arg_types: string[] | null;
		defaults: number;
		return_type: string;
		returns_set: boolean;
		return_relid: number;
		volatility: string;
		return_type_type: string;
	}>(
		`select p.proname as name, p.proargnames as arg_names,
		        array(select format_type(t, null) from unnest(p.proargtypes) t) as arg_types,
		        p.proargmodes::text[] as arg_modes,
		        array(select format_type(t, null) from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) t) as all_arg_types,
		        p.pronargdefaults as defaults, format_type(p.prorettype, null) as return_type,
		        p.proretset as returns_set, coalesce(rt.typrelid, 0)::int as return_relid,
		        p.provolatile::text as volatility, rt.typtype::text as return_type_type
		 from pg_proc p
		 join pg_namespace n on n.oid = p.pronamespace
		 join pg_type rt on rt.oid = p.prorettype
		 where n.nspname = $1 and p.prokind = 'f' and rt.typname <> 'trigger'`,
		[schema]
	);
	const relColumns = new Map<number, Column[]>();
	const functions = new Map<string, DbFunction[]>();
	for (const row of functionRows) {
		const modes = row.arg_modes ?? row.all_arg_types!.map(() => 'i');
		const names = row.arg_names ?? [];
		const inputs: FunctionArgument[] = [];
		const outputs: Column[] = [];
		modes.forEach((mode, index) => {
			const name = names[index] ?? '';
			const type = row.all_arg_types![index]!;
			if (mode === 'i' || mode === 'b' || mode === 'v') inputs.push({ name, type, hasDefault: false });
			if (mode === 'o' || mode === 'b' || mode === 't') outputs.push({ name, type, nullable: true, hasDefault: false, generated: false });
		});
		// The last pronargdefaults input arguments have defaults.
		inputs.slice(inputs.length - row.defaults).forEach((arg) => (arg.hasDefault = true));
		let returnColumns: Column[] | null = outputs.length > 0 ? outputs : null;
		if (!returnColumns && row.return_relid) {
			if (!relColumns.has(row.return_relid)) {
				relColumns.set(
					row.return_relid,
					(
						await tx.query<{ name: string; type: string }>(
							`select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute
							 where attrelid = $1 and attnum > 0 and not attisdropped order by attnum`,
							[row.return_relid]
						)
					).map((c) => ({ ...c, nullable: true, hasDefault: false, generated: false }))
				);
			}
			returnColumns = relColumns.get(row.return_relid)!;
		}
		const fn: DbFunction = {
			name: row.name,
			args: inputs,
			returnType: row.return_type,
			returnsSet: row.returns_set,
			returnColumns,
			returnsVoid: row.return_type === 'void',
			volatility: row.volatility === 'i' ? 'immutable' : row.volatility === 's' ? 'stable' : 'volatile'
		};
		functions.set(row.name, [...(functions.get(row.name) ?? []), fn]);
	}

	return { schema, tables, foreignKeys, functions };
}
