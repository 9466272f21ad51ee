import { describe, expect, it } from 'vitest';
import { isPublicPath, safeNext, signInPathFor } from './routes';

const ORIGIN = 'http://localhost:5173';

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
		expect(safeNext(next, ORIGIN)).toBe('/products/42?tab=videos#top');
		expect(signInPathFor(new URL('http://localhost:5173/'))).toBe('/sign-in');
	});

	it('never sends the person to another site or back to a sign-in page', () => {
		const hostile = [
			'//evil.example/x',
			'https://evil.example',
			'/\\evil.example',
			'\\evil.example',
			'\\/evil.example',
			'/\\/evil.example',
			'javascript:alert(1)',
			'JaVaScRiPt:alert(1)',
			' javascript:alert(1)',
			'data:text/html,<script>alert(1)</script>',
			// The URL parser drops tabs and newlines anywhere, and control characters and spaces
			// at the ends: each of these becomes //evil.example/x.
			'/\t/evil.example/x',
			'/\n/evil.example/x',
			'/\r\n/evil.example/x',
			'\t//evil.example/x',
			' //evil.example/x',
			'//evil.example/x\u0000',
			'/\u0000/evil.example',
			'/\u001f/evil.example',
			'/\u007f/evil.example',
			// Encoded forms, as they would arrive still encoded once more.
			'%2F%2Fevil.example',
			'%2f%2fevil.example',
			'https:%2F%2Fevil.example',
			'http://localhost:5173@evil.example/',
			'//localhost:5173@evil.example/'
		];
		for (const next of hostile) {
			const result = safeNext(next, ORIGIN);
			expect({ next, result }).toEqual({ next, result: '/products' });
		}
		expect(safeNext('/sign-up', ORIGIN)).toBe('/products');
		expect(safeNext('/sign-in?next=/products', ORIGIN)).toBe('/products');
		expect(safeNext(null, ORIGIN)).toBe('/products');
		expect(safeNext('', ORIGIN)).toBe('/products');
	});

	it('keeps percent-encoded characters as part of a path on this site', () => {
		for (const next of ['/%2F%2Fevil.example', '/%5Cevil.example', '/%09/evil.example', '/products/%E2%82%AC?q=%2F%2Fx']) {
			const result = safeNext(next, ORIGIN);
			expect(new URL(result, ORIGIN).origin).toBe(ORIGIN);
			expect(result).toBe(next);
		}
	});
});
