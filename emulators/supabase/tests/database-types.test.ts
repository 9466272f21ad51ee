// The committed database types must be what the migrations generate (house rule 5).
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { databaseTypesPath, generateDatabaseTypes } from '../../../scripts/db/database-types.js';

describe('src/lib/supabase/database.types.ts', () => {
	it('matches the types generated from supabase/migrations (run npx tsx scripts/db/generate-types.ts)', async () => {
		const committed = await readFile(databaseTypesPath, 'utf8');
		expect(committed).toBe(await generateDatabaseTypes());
	});
});
