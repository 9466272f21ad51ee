import { describe, expect, it } from 'vitest';
import type { ProductSummary } from '$lib/supabase/products';
import { matchesProduct, sortProducts } from './library.svelte';

function product(title: string, changes: Partial<ProductSummary> = {}): ProductSummary {
	return { id: title, title, asin: null, brand: null, notes: null, created_at: '2026-01-01', updated_at: '2026-01-01', video_count: 0, ...changes };
}

describe('product search and sort', () => {
	it('matches every word in title, ASIN or brand, ignoring case and accents', () => {
		const press = product('Cafetière, 1 l', { asin: 'B00005LM0T', brand: 'Brewline' });
		expect(matchesProduct(press, 'cafetiere')).toBe(true);
		expect(matchesProduct(press, 'b00005lm0t')).toBe(true);
		expect(matchesProduct(press, 'brewline 1 l')).toBe(true);
		expect(matchesProduct(press, 'brewline kettle')).toBe(false);
		expect(matchesProduct(press, '   ')).toBe(true);
	});

	it('sorts by title naturally, newest, recently changed and most videos', () => {
		const list = [
			product('Item 10', { created_at: '2026-01-03', updated_at: '2026-01-01', video_count: 1 }),
			product('item 9', { created_at: '2026-01-01', updated_at: '2026-01-05', video_count: 7 }),
			product('Apple', { created_at: '2026-01-02', updated_at: '2026-01-02', video_count: 1 })
		];
		expect(sortProducts(list, 'title').map((p) => p.title)).toEqual(['Apple', 'item 9', 'Item 10']);
		expect(sortProducts(list, 'newest').map((p) => p.title)).toEqual(['Item 10', 'Apple', 'item 9']);
		expect(sortProducts(list, 'updated').map((p) => p.title)).toEqual(['item 9', 'Apple', 'Item 10']);
		expect(sortProducts(list, 'videos').map((p) => p.title)).toEqual(['item 9', 'Apple', 'Item 10']);
	});
});
