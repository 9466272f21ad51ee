import { readFile, readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { pgtap } from '@electric-sql/pglite-pgtap';
import { prepareDatabase, supabaseDir } from '../../emulators/supabase/src/migrate.js';
import type { SqlDatabase } from '../../emulators/supabase/src/database.js';

export interface PgtapFileResult {
	name: string;
	tap: string;
	planned: number;
	passed: number;
	failed: number;
	ok: boolean;
	problem?: string;
}

export interface PgtapReport {
	engine: string;
	files: PgtapFileResult[];
	total: number;
	failedTests: number;
}

/** Reads the TAP lines out of the result sets pgTAP's functions return. */
function tapLines(results: Array<{ rows: Record<string, unknown>[] }>): string[] {
	const lines: string[] = [];
	for (const result of results) {
		for (const row of result.rows) {
			for (const value of Object.values(row)) {
				if (typeof value === 'string') lines.push(...value.split('\n'));
			}
		}
	}
	return lines;
}

export function summariseTap(name: string, lines: string[], error?: string): PgtapFileResult {
	const plan = lines.map((line) => /^1\.\.(\d+)/.exec(line)).find(Boolean);
	const planned = plan ? Number(plan[1]) : 0;
	const passed = lines.filter((line) => /^ok \d+/.test(line)).length;
	const failed = lines.filter((line) => /^not ok \d+/.test(line)).length;
	let problem: string | undefined;
	if (error) problem = `error: ${error}`;
	else if (!plan) problem = 'no plan';
	else if (passed + failed !== planned) problem = `planned ${planned} but ran ${passed + failed}`;
	else if (failed > 0) problem = `${failed} failed`;
	return { name, tap: lines.join('\n'), planned, passed, failed, ok: !problem, problem };
}

export async function runPgtapOnPglite(options: { files?: string[] } = {}): Promise<PgtapReport> {
	const testsDir = `${supabaseDir}tests`;
	const files = options.files?.length
		? options.files
		: (await readdir(testsDir))
				.filter((file) => file.endsWith('.sql'))
				.sort()
				.map((file) => `${testsDir}/${file}`);

	const pglite = await PGlite.create({ extensions: { pgcrypto, pgtap } });
	const db: SqlDatabase = {
		engine: 'pglite',
		async transaction(fn) {
			return pglite.transaction((tx) =>
				fn({
					query: async (text, params) => (await tx.query(text, params)).rows as never,
					exec: async (script) => void (await tx.exec(script))
				})
			);
		},
		exec: async (script) => void (await pglite.exec(script)),
		close: () => pglite.close()
	};
	try {
		await prepareDatabase(db);
		// Like the Supabase CLI: pgTAP lives in schema extensions during the run.
		await pglite.exec('create extension if not exists pgtap with schema extensions');
		const version = (await pglite.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v;

		const results: PgtapFileResult[] = [];
		for (const file of files) {
			const sql = await readFile(file, 'utf8');
			let lines: string[] = [];
			let error: string | undefined;
			try {
				lines = tapLines(await pglite.exec(sql));
			} catch (caught) {
				error = caught instanceof Error ? caught.message : String(caught);
				// Leave the failed file's transaction so the next file starts clean.
				await pglite.exec('rollback').catch(() => undefined);
			}
			results.push(summariseTap(basename(file), lines, error));
		}
		return {
			engine: `PGlite, PostgreSQL ${version}`,
			files: results,
			total: results.reduce((sum, file) => sum + file.passed + file.failed, 0),
			failedTests: results.reduce((sum, file) => sum + file.failed, 0)
		};
	} finally {
		await pglite.close();
	}
}
