// Regenerates src/lib/supabase/database.types.ts from supabase/migrations.
//   npx tsx scripts/db/generate-types.ts          write the file
//   npx tsx scripts/db/generate-types.ts --check  exit 1 if the committed file is stale
import { readFile, writeFile } from 'node:fs/promises';
import { databaseTypesPath, generateDatabaseTypes } from './database-types.js';

const generated = await generateDatabaseTypes();
if (process.argv.includes('--check')) {
	const committed = await readFile(databaseTypesPath, 'utf8').catch(() => '');
	if (committed !== generated) {
		console.error(`${databaseTypesPath} is out of date: run npx tsx scripts/db/generate-types.ts`);
		process.exit(1);
	}
	console.log('database types are up to date');
} else {
	await writeFile(databaseTypesPath, generated);
	console.log(`wrote ${databaseTypesPath}`);
}
