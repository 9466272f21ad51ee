// The pgTAP suite on PGlite, so a policy regression fails `npm test` too.
// (CI also runs it on PostgreSQL 15 with scripts/db/pg15-test.sh.)
import { describe, expect, it } from 'vitest';
import { runPgtapOnPglite } from '../../../scripts/db/pgtap-pglite-runner.js';

describe('pgTAP suite on PGlite', () => {
	it('passes every test in supabase/tests', async () => {
		const report = await runPgtapOnPglite();
		const problems = report.files
			.filter((file) => !file.ok)
			.map((file) => `${file.name}: ${file.problem}\n${file.tap.split('\n').filter((l) => !l.startsWith('ok')).join('\n')}`);
		expect(problems).toEqual([]);
		expect(report.files.length).toBeGreaterThanOrEqual(5);
		expect(report.total).toBeGreaterThan(90);
	});
});
