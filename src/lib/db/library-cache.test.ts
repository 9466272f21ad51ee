import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { LibraryCache, LibraryCacheDb } from './library-cache';

describe('LibraryCache', () => {
	it('keeps snapshots per app user and never answers one user with another\'s', async () => {
		const cache = new LibraryCache(new LibraryCacheDb(`t-${Math.random()}`));
		await cache.write('alice', 'products', [{ id: 'p1', title: 'Blender' }], 1000);
		expect(await cache.read('alice', 'products')).toMatchObject({ savedAt: 1000, data: [{ id: 'p1' }] });
		expect(await cache.read('bob', 'products')).toBeNull();
		await cache.write('bob', 'products', [], 2000);
		await cache.forget('alice', 'products');
		expect(await cache.read('alice', 'products')).toBeNull();
		expect(await cache.read('bob', 'products')).not.toBeNull();
		await cache.clear();
		expect(await cache.read('bob', 'products')).toBeNull();
	});

	it('stores plain copies, so later changes to the live objects do not leak in', async () => {
		const cache = new LibraryCache(new LibraryCacheDb(`t-${Math.random()}`));
		const live = { title: 'Kettle' };
		await cache.write('alice', 'product:1', live);
		live.title = 'Changed';
		expect((await cache.read<{ title: string }>('alice', 'product:1'))?.data.title).toBe('Kettle');
	});
});
