import { describe, expect, it } from 'vitest';
import { RestError } from './errors.js';
import { maxEmbedDepth, parseQuery, parseSelect, splitTopLevel } from './query-parser.js';

/** The query string as supabase-js sends it (URLSearchParams encoding). */
const parse = (query: string) => parseQuery(new URLSearchParams(query));

function parseError(query: string): RestError {
	try {
		parse(query);
	} catch (error) {
		if (error instanceof RestError) return error;
		throw error;
	}
	throw new Error(`expected ${query} to be refused`);
}

describe('splitTopLevel', () => {
	it('splits only outside parentheses and quotes', () => {
		expect(splitTopLevel('a.eq.1,and(b.gt.2,c.lt.3),d.in.(1,"x,y")')).toEqual([
			'a.eq.1',
			'and(b.gt.2,c.lt.3)',
			'd.in.(1,"x,y")'
		]);
		expect(splitTopLevel('"a\\",b",c')).toEqual(['"a\\",b"', 'c']);
	});
});

describe('select', () => {
	it('parses columns, aliases, casts and embeds', () => {
		expect(parseSelect('id,title:name,created_at::text,videos(*),product:products!inner(id,title),videos(count)')).toEqual([
			{ type: 'column', name: 'id', alias: undefined, cast: undefined },
			{ type: 'column', name: 'name', alias: 'title', cast: undefined },
			{ type: 'column', name: 'created_at', alias: undefined, cast: 'text' },
			{ type: 'embed', name: 'videos', alias: undefined, hint: undefined, inner: false, select: [{ type: 'star' }] },
			{
				type: 'embed',
				name: 'products',
				alias: 'product',
				hint: undefined,
				inner: true,
				select: [
					{ type: 'column', name: 'id', alias: undefined, cast: undefined },
					{ type: 'column', name: 'title', alias: undefined, cast: undefined }
				]
			},
			{ type: 'embed', name: 'videos', alias: undefined, hint: undefined, inner: false, select: [{ type: 'count' }] }
		]);
	});

	it(`nests embeds at most ${maxEmbedDepth} levels deep, counting rel(count) as a level`, () => {
		const nest = (levels: number, leaf = 'id') => Array.from({ length: levels }).reduce<string>((inner) => `id,a(${inner})`, leaf);
		expect(() => parseSelect(nest(maxEmbedDepth))).not.toThrow();
		const deep = parseError(`select=${nest(maxEmbedDepth + 1)}`);
		expect(deep.status).toBe(400);
		expect(deep.body).toMatchObject({ code: 'PGRST100', message: '"failed to parse select (a(id))"' });
		expect(parseError(`select=${nest(maxEmbedDepth, 'id,b(count)')}`).body.details).toMatch(/at most 3 levels/);
	});

	it('takes a foreign key name as a hint', () => {
		expect(parseSelect('products!videos_product_same_owner_fkey(id)')[0]).toMatchObject({
			type: 'embed',
			name: 'products',
			hint: 'videos_product_same_owner_fkey',
			inner: false
		});
	});

	it.each([
		['...products(title)', 'spread'],
		['data->key', 'JSON paths'],
		['count()', 'aggregate'],
		['id::money', 'cast to "money"'],
		['id;drop table x', 'not a column name']
	])('refuses %s', (select, detail) => {
		const error = parseError(`select=${encodeURIComponent(select)}`);
		expect(error.status).toBe(400);
		expect(error.body.code).toBe('PGRST100');
		expect(String(error.body.details)).toContain(detail);
	});
});

describe('filters', () => {
	it('parses every supported operator and decodes + as space', () => {
		const query = parse(
			'title=eq.John+Doe&n=gt.1&n=lte.8&t=ilike.A*&d=is.null&id=in.(1,2,%22a%2Cb%22)&status=not.eq.x&x=neq.a,b'
		);
		expect(query.root.filters).toEqual([
			{ type: 'condition', column: 'title', negate: false, operator: 'eq', value: 'John Doe' },
			{ type: 'condition', column: 'n', negate: false, operator: 'gt', value: '1' },
			{ type: 'condition', column: 'n', negate: false, operator: 'lte', value: '8' },
			{ type: 'condition', column: 't', negate: false, operator: 'ilike', value: 'A*' },
			{ type: 'condition', column: 'd', negate: false, operator: 'is', value: 'null' },
			{ type: 'condition', column: 'id', negate: false, operator: 'in', value: ['1', '2', 'a,b'] },
			{ type: 'condition', column: 'status', negate: true, operator: 'eq', value: 'x' },
			{ type: 'condition', column: 'x', negate: false, operator: 'neq', value: 'a,b' }
		]);
	});

	it('parses nested logic trees with quoted values', () => {
		const query = parse(`or=${encodeURIComponent('(a.eq.1,and(b.gt.2,c.lt.3),title.eq."x,y",not.or(d.is.null))')}`);
		expect(query.root.filters).toEqual([
			{
				type: 'logic',
				operator: 'or',
				negate: false,
				children: [
					{ type: 'condition', column: 'a', negate: false, operator: 'eq', value: '1' },
					{
						type: 'logic',
						operator: 'and',
						negate: false,
						children: [
							{ type: 'condition', column: 'b', negate: false, operator: 'gt', value: '2' },
							{ type: 'condition', column: 'c', negate: false, operator: 'lt', value: '3' }
						]
					},
					{ type: 'condition', column: 'title', negate: false, operator: 'eq', value: 'x,y' },
					{
						type: 'logic',
						operator: 'or',
						negate: true,
						children: [{ type: 'condition', column: 'd', negate: false, operator: 'is', value: 'null' }]
					}
				]
			}
		]);
	});

	it('routes embedded filters, order and limit to the embed', () => {
		const query = parse('videos.status=eq.synced&videos.order=created_at.desc&videos.limit=2&order=title.asc.nullslast&limit=5&offset=10');
		expect(query.root).toEqual({ filters: [], order: [{ column: 'title', descending: false, nulls: 'last' }], limit: 5, offset: 10 });
		expect(query.embedded.get('videos')).toEqual({
			filters: [{ type: 'condition', column: 'status', negate: false, operator: 'eq', value: 'synced' }],
			order: [{ column: 'created_at', descending: true }],
			limit: 2
		});
	});

	it('parses columns and on_conflict lists', () => {
		const query = parse('columns=%22title%22%2C%22asin%22&on_conflict=owner_id,drive_id,item_id');
		expect(query.columns).toEqual(['title', 'asin']);
		expect(query.onConflict).toEqual(['owner_id', 'drive_id', 'item_id']);
	});

	it.each([
		['tags=cs.{a,b}', 'unsupported operator "cs"'],
		['fts=wfts(english).cat', 'unsupported operator "wfts(english)"'],
		['t=like(any).{a,b}', 'unsupported operator "like(any)"'],
		['title=John', 'expected "<operator>.<value>"'],
		['d=is.maybe', 'is accepts'],
		['id=in.1,2', 'parenthesised list'],
		['or=a.eq.1', 'parenthesised list'],
		['order=title.sideways', 'unexpected "sideways"'],
		['limit=-1', 'non-negative'],
		['limit=ten', 'non-negative']
	])('refuses %s', (query, detail) => {
		const error = parseError(query);
		expect(error.status).toBe(400);
		expect(error.body.code).toBe('PGRST100');
		expect(String(error.body.details)).toContain(detail);
	});
});
