import { describe, expect, it } from 'vitest';
import { cleanName, findAsin, normaliseTitle, ProductCatalogue, proposeProduct, type CatalogueProduct } from './product-rule';

const products: CatalogueProduct[] = [
	{ id: 'p-kettle', title: 'Acme Kettle', asin: 'B0KETTLE01', brand: 'Acme' },
	{ id: 'p-blender', title: 'Blender Pro 3000', asin: null, brand: null },
	{ id: 'p-proto', title: '__proto__', asin: null, brand: null },
	{ id: 'p-twin-1', title: 'Lamp', asin: null, brand: null },
	{ id: 'p-twin-2', title: 'lamp!', asin: null, brand: null }
];
const catalogue = new ProductCatalogue(products);
const propose = (path: string, name: string) => proposeProduct({ folders: path.split('/'), name }, catalogue);

describe('findAsin', () => {
	it('finds B0 and 8 letters or digits, in any case, upper-cased', () => {
		expect(findAsin('Kettle (B0ABCDEF12)')).toBe('B0ABCDEF12');
		expect(findAsin('b0abcdef12 review')).toBe('B0ABCDEF12');
		expect(findAsin('clip_B0ABCDEF12.mp4')).toBe('B0ABCDEF12');
		expect(findAsin('B0ABCDEF12-2.mp4')).toBe('B0ABCDEF12');
	});

	it('wants the ASIN to stand alone, and to be exactly ten characters', () => {
		expect(findAsin('XB0ABCDEF12')).toBeNull();
		expect(findAsin('B0ABCDEF123')).toBeNull();
		expect(findAsin('B0ABCDEF1')).toBeNull();
		expect(findAsin('B1ABCDEF12')).toBeNull();
		expect(findAsin('0123456789')).toBeNull(); // an ISBN-10 is a valid ASIN in the table, but not what the rule looks for
		expect(findAsin('B0ABCDÉF12')).toBeNull();
	});

	it('takes the first of several', () => {
		expect(findAsin('B0AAAAAAA1 vs B0BBBBBBB2')).toBe('B0AAAAAAA1');
	});
});

describe('normaliseTitle and cleanName', () => {
	it('ignores case, accents, spaces and punctuation', () => {
		expect(normaliseTitle('  Crème-Brûlée   Torch!! ')).toBe('creme brulee torch');
		expect(normaliseTitle('BLENDER_pro.3000')).toBe(normaliseTitle('Blender Pro 3000'));
	});

	it('takes the ASIN and its emptied brackets out of a name', () => {
		expect(cleanName('Kettle (B0ABCDEF12)')).toBe('Kettle');
		expect(cleanName('B0ABCDEF12 - Kettle')).toBe('Kettle');
		expect(cleanName('[B0ABCDEF12]')).toBe('');
		expect(cleanName('x'.repeat(300))).toHaveLength(200);
	});
});

describe('proposeProduct', () => {
	it('links an ASIN in a folder name to the product with that ASIN', () => {
		expect(propose('Imports/Acme/Kettle (b0kettle01)', 'clip.mp4')).toEqual({
			kind: 'existing',
			productId: 'p-kettle',
			reason: 'asin-in-folder-name',
			source: 'Kettle (b0kettle01)'
		});
	});

	it('proposes a new product for an unknown ASIN, titled by its folder, with the folder above as brand', () => {
		expect(propose('Imports/Acme/Toaster (B0TOAST001)/raw', 'take1.mp4')).toEqual({
			kind: 'new',
			draft: { key: 'asin:B0TOAST001', title: 'Toaster', brand: 'Acme', asin: 'B0TOAST001' },
			reason: 'asin-in-folder-name',
			source: 'Toaster (B0TOAST001)'
		});
	});

	it('looks at the file name before the folders', () => {
		const proposal = propose('Imports/Acme/Kettle (B0KETTLE01)', 'B0OTHER001 unboxing.mp4');
		expect(proposal).toMatchObject({ kind: 'new', reason: 'asin-in-file-name', draft: { asin: 'B0OTHER001', title: 'Kettle', brand: 'Acme' } });
		expect(propose('Imports', 'Blender B0KETTLE01.mov')).toMatchObject({ kind: 'existing', productId: 'p-kettle', reason: 'asin-in-file-name' });
	});

	it('titles a product whose ASIN is in a file directly in the chosen folder by the file name, or the ASIN itself', () => {
		expect(propose('Videos', 'Travel Mug B0MUG00001.mp4')).toMatchObject({ kind: 'new', draft: { title: 'Travel Mug', brand: null } });
		expect(propose('Videos', 'B0MUG00001.mp4')).toMatchObject({ kind: 'new', draft: { title: 'B0MUG00001', brand: null } });
	});

	it('never takes the chosen folder as a brand or title', () => {
		expect(propose('Kettle (B0NEWNEW01)', 'clip.mp4')).toMatchObject({ kind: 'new', draft: { title: 'B0NEWNEW01', brand: null } });
		expect(propose('Acme/Kettle (B0NEWNEW01)', 'clip.mp4')).toMatchObject({ kind: 'new', draft: { title: 'Kettle', brand: null } });
	});

	it('links a folder named like a product, however it is written, deepest folder first', () => {
		expect(propose('Imports/blender-PRO 3000/day 1', 'a.mp4')).toEqual({
			kind: 'existing',
			productId: 'p-blender',
			reason: 'title-match',
			source: 'blender-PRO 3000'
		});
		expect(propose('Blender Pro 3000', 'a.mp4')).toMatchObject({ kind: 'existing', productId: 'p-blender' });
	});

	it('does not guess between two products with the same title', () => {
		expect(propose('Imports/LAMP', 'a.mp4')).toEqual({ kind: 'none', reason: 'no-match' });
	});

	it('fills brand and title from nested Brand/Product folders', () => {
		expect(propose('Imports/Acme/Toaster 2000/2026-01-02', 'clip.mp4')).toEqual({
			kind: 'new',
			draft: { key: 'title:acme|toaster 2000', title: 'Toaster 2000', brand: 'Acme', asin: null },
			reason: 'brand-product-path',
			source: 'Acme/Toaster 2000'
		});
		// The same product written differently is one draft.
		const again = propose('Imports/ACME/toaster-2000', 'b.mp4');
		expect(again.kind === 'new' && again.draft.key).toBe('title:acme|toaster 2000');
	});

	it('sends everything else to No product', () => {
		expect(propose('Imports', 'loose.mp4')).toEqual({ kind: 'none', reason: 'no-match' });
		expect(propose('Imports/Misc', 'loose.mp4')).toEqual({ kind: 'none', reason: 'no-match' });
		expect(propose('', 'loose.mp4')).toEqual({ kind: 'none', reason: 'no-match' });
	});

	it('treats hostile names as names', () => {
		expect(propose('Imports/__proto__', 'a.mp4')).toMatchObject({ kind: 'existing', productId: 'p-proto' });
		expect(propose('Imports/constructor', 'a.mp4')).toEqual({ kind: 'none', reason: 'no-match' });
		expect(propose('Imports/hasOwnProperty', 'toString.mp4')).toEqual({ kind: 'none', reason: 'no-match' });
		const nested = propose('Imports/__proto__x/constructor', 'valueOf.mp4');
		expect(nested).toMatchObject({ kind: 'new', draft: { title: 'constructor', brand: '__proto__x' } });
		expect(catalogue.byTitle('constructor')).toBeUndefined();
		expect(catalogue.byAsin('__proto__')).toBeUndefined();
		expect(catalogue.byId('__proto__')).toBeUndefined();
	});
});
