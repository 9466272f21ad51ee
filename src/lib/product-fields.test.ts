import { describe, expect, it } from 'vitest';
import { asinProblem, checkProduct, normaliseAsin } from './product-fields';

describe('product fields', () => {
	it('accepts ASINs as people paste them: lower case, spaces, dashes', () => {
		expect(normaliseAsin(' b08n5-wrwnw ')).toBe('B08N5WRWNW');
		expect(asinProblem('b08n5wrwnw')).toBeNull();
		expect(asinProblem('')).toBeNull();
	});

	it('explains a wrong ASIN: its length, or characters that do not belong', () => {
		expect(asinProblem('B08N5WRWN')).toMatch(/exactly 10 .* this one has 9/);
		expect(asinProblem('B08N5WRWNW1')).toMatch(/this one has 11/);
		expect(asinProblem('B08N5WRW#W')).toMatch(/only letters and digits/);
	});

	it('trims fields, turns empty optional ones into null and needs a title', () => {
		expect(checkProduct({ title: '  Kettle ', asin: 'b0863txgm3', brand: ' ', notes: '' })).toEqual({
			ok: true,
			value: { title: 'Kettle', asin: 'B0863TXGM3', brand: null, notes: null }
		});
		const bad = checkProduct({ title: ' ', asin: 'abc', brand: 'x'.repeat(201), notes: '' });
		expect(bad.ok).toBe(false);
		if (!bad.ok) expect(Object.keys(bad.problems).sort()).toEqual(['asin', 'brand', 'title']);
	});
});
