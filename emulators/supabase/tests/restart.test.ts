// A persistent data dir survives restarts: migrations are applied once, the seed is
// idempotent, and data written before a restart is still there.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupabaseApi } from '../src/index.js';
import { alice, signedIn } from './support.js';

let dataDir: string;
beforeAll(async () => {
	dataDir = await mkdtemp(join(tmpdir(), 'reeldrive-supabase-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('restart over a persistent PGlite data dir', () => {
	it('keeps data and applies nothing twice', async () => {
		const logs: string[] = [];
		const capture = (line: unknown) => logs.push(String(line));
		const original = console.log;
		console.log = capture;
		try {
			const first = await startSupabaseApi({ port: 0, dataDir, seed: true });
			const supabase = await signedIn(first, alice.email);
			const created = await supabase.from('products').insert({ title: 'Survives restarts' }).select('id').single();
			expect(created.error).toBeNull();
			await first.close();
			expect(logs.filter((l) => l.includes('applied migration')).length).toBeGreaterThan(0);

			logs.length = 0;
			const second = await startSupabaseApi({ port: 0, dataDir, seed: true });
			try {
				expect(logs.filter((l) => l.includes('applied migration'))).toEqual([]);
				const again = await signedIn(second, alice.email);
				const { data } = await again.from('products').select('title').order('title');
				expect(data!.map((p) => p.title)).toContain('Survives restarts');
				// The seed ran twice but its products exist once.
				expect(data!.length).toBe(4);
			} finally {
				await second.close();
			}
		} finally {
			console.log = original;
		}
	});
});
