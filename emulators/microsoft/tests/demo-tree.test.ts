// The demo data's folder tree for import: there after a start or reset, with real videos and
// their facets, and mapped by the product rule (src/lib/import/product-rule.ts) as the README
// documents, against the demo person's products in supabase/seed.sql.
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON checked by assertions, not by static types */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductCatalogue, proposeProduct, type CatalogueProduct } from '../../../src/lib/import/product-rule';
import { DEMO_TREE, DEMO_TREE_ROOT } from '../src';
import { control, startHarness, type Harness } from './support';

let h: Harness;
beforeAll(async () => {
	h = await startHarness();
});
afterAll(() => h.stop());

/** The demo person's products, read from the seed the local database starts with. */
function seededProducts(owner: string): CatalogueProduct[] {
	const seed = readFileSync('supabase/seed.sql', 'utf8');
	const rows = [...seed.matchAll(/\('([0-9a-f-]{36})', '([0-9a-f-]{36})',\s*'([^']*)', (null|'[^']*'), (null|'[^']*')/g)];
	return rows
		.filter((row) => row[2] === owner)
		.map((row) => ({ id: row[1]!, title: row[3]!, asin: row[4] === 'null' ? null : row[4]!.slice(1, -1), brand: row[5] === 'null' ? null : row[5]!.slice(1, -1) }));
}

describe('the demo folder tree', () => {
	it('holds every video of the tree, with its hash and video facet, after a reset too', async () => {
		await control(h.em, 'POST', '/reset');
		const listing = await control(h.em, 'GET', '/drives/alice%40contoso.test/files');
		const tree = DEMO_TREE['alice@contoso.test']!;
		for (const { path } of tree) {
			const item = listing.items.find((entry: any) => entry.path === `/${DEMO_TREE_ROOT}/${path}`);
			expect(item, path).toBeDefined();
			expect(item.size).toBeGreaterThan(0);
			expect(item.quickXorHash).toEqual(expect.any(String));
			expect(item.video?.duration, `${path} has a video facet`).toBeGreaterThan(0);
		}
	});

	it('maps to products as the README’s rule says, against the demo person’s seeded products', () => {
		const products = seededProducts('a11ce000-0000-4000-8000-000000000001');
		expect(products.map((p) => p.title)).toContain('Bamboo cutting board set');
		const catalogue = new ProductCatalogue(products);
		const proposals = Object.fromEntries(
			DEMO_TREE['alice@contoso.test']!.map(({ path }) => {
				const parts = path.split('/');
				const name = parts.pop()!;
				return [path, proposeProduct({ folders: [DEMO_TREE_ROOT, ...parts], name }, catalogue)];
			})
		);
		const byTitle = (title: string) => products.find((p) => p.title === title)!.id;
		expect(proposals['Brewline/French press B00005LM0T/first-brew.mp4']).toMatchObject({ kind: 'existing', productId: byTitle('Stainless steel French press, 1 l'), reason: 'asin-in-folder-name' });
		expect(proposals['Greenhearth/Bamboo cutting board set/knife-test.mov']).toMatchObject({ kind: 'existing', productId: byTitle('Bamboo cutting board set'), reason: 'title-match' });
		expect(proposals['Stillbrook/Pour-over kettle/pour B0D2KTL7Q9.mp4']).toMatchObject({
			kind: 'new',
			reason: 'asin-in-file-name',
			draft: { title: 'Pour-over kettle', brand: 'Stillbrook', asin: 'B0D2KTL7Q9' }
		});
		expect(proposals['Lumora/Arc desk lamp/unboxing.mp4']).toMatchObject({ kind: 'new', reason: 'brand-product-path', draft: { title: 'Arc desk lamp', brand: 'Lumora', asin: null } });
		expect(proposals['Lumora/Arc desk lamp/night mode.webm']).toMatchObject({ kind: 'new', reason: 'brand-product-path', draft: { title: 'Arc desk lamp', brand: 'Lumora' } });
		expect(proposals['b-roll.mp4']).toEqual({ kind: 'none', reason: 'no-match' });
	});
});
