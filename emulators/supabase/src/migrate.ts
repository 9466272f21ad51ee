import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { SqlDatabase } from './database.js';

/** The repository's supabase/ folder: bootstrap, migrations, seed and pgTAP tests. */
export const supabaseDir = fileURLToPath(new URL('../../../supabase/', import.meta.url));

const migrationName = /^(\d+)_(.+)\.sql$/;

export interface MigrationFile {
	version: string;
	name: string;
	path: string;
}

export async function listMigrations(dir = `${supabaseDir}migrations`): Promise<MigrationFile[]> {
	const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
	return files.map((file) => {
		const match = migrationName.exec(file);
		if (!match) throw new Error(`Migration ${file} is not named <timestamp>_<name>.sql`);
		return { version: match[1]!, name: match[2]!, path: `${dir}/${file}` };
	});
}

export interface PrepareOptions {
	seed?: boolean;
	log?: (line: string) => void;
}

export interface PrepareResult {
	applied: string[];
	seeded: boolean;
}

/**
 * Brings a database to the current schema: Supabase's own pieces (idempotent, every time),
 * then each migration not yet recorded in supabase_migrations.schema_migrations, each in its
 * own transaction, then optionally the (idempotent) seed.
 */
export async function prepareDatabase(db: SqlDatabase, options: PrepareOptions = {}): Promise<PrepareResult> {
	const log = options.log ?? (() => undefined);
	await db.exec(await readFile(`${supabaseDir}local/bootstrap.sql`, 'utf8'));

	const done = new Set(
		(
			await db.transaction((tx) =>
				tx.query<{ version: string }>('select version from supabase_migrations.schema_migrations')
			)
		).map((row) => row.version)
	);
	const applied: string[] = [];
	for (const migration of await listMigrations()) {
		if (done.has(migration.version)) continue;
		const script = await readFile(migration.path, 'utf8');
		await db.transaction(async (tx) => {
			await tx.exec(script);
			await tx.query(
				'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)',
				[migration.version, migration.name, [script]]
			);
		});
		applied.push(`${migration.version}_${migration.name}`);
		log(`applied migration ${migration.version}_${migration.name}`);
	}

	if (options.seed) {
		const seed = await readFile(`${supabaseDir}seed.sql`, 'utf8');
		await db.transaction((tx) => tx.exec(seed));
	}
	return { applied, seeded: Boolean(options.seed) };
}
