// Runs every supabase/tests/*.sql pgTAP file on a fresh in-process PGlite (bootstrap and
// migrations applied, as `supabase test db` would on a local project) and prints TAP.
// Exits non-zero when any test fails, a plan is not met, or a file errors.
//   npx tsx scripts/db/pgtap-pglite.ts [file.sql ...]
import { pathToFileURL } from 'node:url';
import { runPgtapOnPglite } from './pgtap-pglite-runner.js';

async function main(): Promise<void> {
	const report = await runPgtapOnPglite({ files: process.argv.slice(2) });
	for (const file of report.files) {
		process.stdout.write(`# ${file.name}\n${file.tap}\n`);
		process.stdout.write(`# ${file.name}: ${file.passed}/${file.planned} passed${file.problem ? ` (${file.problem})` : ''}\n`);
	}
	const failed = report.files.filter((file) => !file.ok);
	process.stdout.write(
		`# ${report.files.length} files, ${report.total} tests, ${report.failedTests} failed, ${failed.length} files not ok (${report.engine})\n`
	);
	process.exitCode = failed.length === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
	main().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
