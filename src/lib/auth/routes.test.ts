import { describe, expect, it } from 'vitest';
import { isPublicPath, safeNext, signInPathFor } from './routes';

describe('sign-in routing', () => {
	it('knows which pages need no sign-in', () => {
		expect(isPublicPath('/sign-in')).toBe(true);
		expect(isPublicPath('/auth/microsoft')).toBe(true);
		expect(isPublicPath('/products')).toBe(false);
		expect(isPublicPath('/settings/')).toBe(false);
	});

	it('keeps the deep link through the sign-in detour', () => {
		const path = signInPathFor(new URL('http://localhost:5173/products/42?tab=videos#top'));
		expect(path).toBe('/sign-in?next=%2Fproducts%2F42%3Ftab%3Dvideos%23top');
		const next = new URL(path, 'http://localhost:5173').searchParams.get('next');
		expect(safeNext(next)).toBe('/products/42?tab=videos#top');
		expect(signInPathFor(new URL('http://localhost:5173/'))).toBe('/sign-in');
	});

	it('never sends the person to another site or back to a sign-in page', () => {
		for (const hostile of ['//evil.example/x', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)']) {
			expect(safeNext(hostile)).toBe('/products');
		}
		expect(safeNext('/sign-up')).toBe('/products');
		expect(safeNext(null)).toBe('/products');
	});
});
