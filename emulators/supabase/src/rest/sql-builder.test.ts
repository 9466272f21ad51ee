import { describe, expect, it } from 'vitest';
import { RestError } from './errors.js';
import { parseQuery } from './query-parser.js';
import type { SchemaCache, Table } from './schema-cache.js';
import { buildMutation, buildRead } from './sql-builder.js';

const column = (name: string, type = 'text') => ({ name, type, nullable: true, hasDefault: false, generated: false });
const products: Table = {
	name: 'products',
	kind: 'table',
	columns: [column('id', 'uuid'), column('owner_id', 'uuid'), column('title')],
	primaryKey: ['id'],
	uniqueKeys: [['id'], ['id', 'owner_id']]
};
const videos: Table = {
	name: 'videos',
	kind: 'table',
	columns: [column('id', 'uuid'), column('owner_id', 'uuid'), column('product_id', 'uuid'), column('status', 'public.video_status')],
	primaryKey: ['id'],
	uniqueKeys: [['id']]
};
const cache: SchemaCache = {
	schema: 'public',
	tables: new Map([
		['products', products],
		['videos', videos]
	]),
	foreignKeys: [
		{ name: 'videos_product_same_owner_fkey', table: 'videos', columns: ['product_id', 'owner_id'], referencedTable: 'products', referencedColumns: ['id', 'owner_id'] }
	],
	functions: new Map()
};

const hostile = `x'); drop table products; --`;

describe('SQL building', () => {
	it('binds every value as a parameter, never as SQL text', () => {
		const query = parseQuery(
			new URLSearchParams({ select: 'id,videos(id)', title: `eq.${hostile}`, or: `(title.like."*${hostile}*",id.in.("${hostile}"))`, 'videos.status': `neq.${hostile}` })
		);
		const built = buildRead(cache, products, query, { count: true });
		expect(built.sql).not.toContain('drop table');
		expect(built.params).toContain(hostile);
		expect(built.params).toContain(`%${hostile}%`);
		expect(built.sql).toMatch(/= any\(\$\d+::uuid\[\]\)/);
	});

	it('joins embeds on every column of a composite foreign key', () => {
		const built = buildRead(cache, products, parseQuery(new URLSearchParams({ select: 'id,videos(id)' })), { count: false });
		expect(built.sql).toContain('"product_id" = "_t0"."id"');
		expect(built.sql).toContain('"owner_id" = "_t0"."owner_id"');
	});

	it('refuses names that are not in the catalog', () => {
		const unknownColumn = () => buildRead(cache, products, parseQuery(new URLSearchParams({ select: 'price' })), { count: false });
		expect(unknownColumn).toThrow(RestError);
		const unknownEmbed = () => buildRead(cache, videos, parseQuery(new URLSearchParams({ select: 'id,import_jobs(*)' })), { count: false });
		expect(unknownEmbed).toThrow(/Could not find a relationship between 'videos' and 'import_jobs'/);
	});

	it('uses RETURNING without table columns unless a representation is asked for', () => {
		const insert = { kind: 'insert' as const, rows: [{ title: 'x' }], columns: ['title'] };
		const minimal = buildMutation(cache, products, parseQuery(new URLSearchParams()), insert, { representation: false });
		expect(minimal.sql).toContain('returning 1 as "_pgrst_one"');
		const full = buildMutation(cache, products, parseQuery(new URLSearchParams()), insert, { representation: true });
		expect(full.sql).toContain('returning "_t0".*');
		expect(full.params).toEqual([JSON.stringify([{ title: 'x' }])]);
	});
});
