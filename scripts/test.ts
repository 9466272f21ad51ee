/**
 * `npm test`: every check Reeldrive has, in order, stopping at nothing: types, lint, unit,
 * integration, database (pgTAP on the embedded Postgres) and end-to-end in Chromium.
 * `npm test -- unit e2e` runs only the named steps. Exits non-zero if any step fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROMIUM_CANDIDATES, findChromium } from './lib/chromium';

interface Step {
	name: string;
	command: string[];
	/** Steps whose code is not in this checkout yet are reported, not run. */
	requires?: string;
}

const STEPS: Step[] = [
	{ name: 'types', command: ['npx', 'svelte-kit', 'sync'] },
	{ name: 'types', command: ['npx', 'svelte-check', '--tsconfig', './tsconfig.json', '--fail-on-warnings', '--threshold', 'warning'] },
	{ name: 'lint', command: ['npx', 'eslint', '.'] },
	{ name: 'unit', command: ['npx', 'vitest', 'run', '--project', 'unit'] },
	{ name: 'integration', command: ['npx', 'vitest', 'run', '--project', 'integration', '--passWithNoTests'] },
	{ name: 'database', command: ['npx', 'tsx', 'scripts/db/pgtap-pglite.ts'], requires: 'scripts/db/pgtap-pglite.ts' },
	{ name: 'e2e', command: ['npx', 'playwright', 'test'] }
];

function ensureChromium(): boolean {
	if (findChromium()) return true;
	const isRoot = process.getuid?.() === 0;
	if (process.platform === 'linux' && isRoot && existsSync('/usr/bin/apt-get')) {
		console.log('No Chromium found; installing Debian\'s chromium package…');
		spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
		spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit' });
		if (findChromium()) return true;
	}
	console.error(
		[
			'The end-to-end tests need Chromium and none was found at:',
			...CHROMIUM_CANDIDATES.map((path) => `  ${path}`),
			'Install one (Debian/Ubuntu: `sudo apt-get install -y chromium`; elsewhere: `npx playwright install chromium`)',
			'or point REELDRIVE_CHROMIUM at a Chromium or Chrome binary, then run npm test again.'
		].join('\n')
	);
	return false;
}

const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = wanted.filter((name) => !STEPS.some((step) => step.name === name));
if (unknown.length > 0) {
	console.error(`Unknown step(s): ${unknown.join(', ')}. Steps: ${[...new Set(STEPS.map((s) => s.name))].join(', ')}.`);
	process.exit(2);
}
const steps = STEPS.filter((step) => wanted.length === 0 || wanted.includes(step.name));

const results = new Map<string, boolean>();
for (const step of steps) {
	if (results.get(step.name) === false) continue;
	if (step.requires && !existsSync(step.requires)) {
		console.log(`\n── ${step.name}: skipped, ${step.requires} is not in this checkout`);
		continue;
	}
	if (step.name === 'e2e' && !ensureChromium()) {
		results.set(step.name, false);
		continue;
	}
	console.log(`\n── ${step.name}: ${step.command.join(' ')}`);
	const { status } = spawnSync(step.command[0]!, step.command.slice(1), { stdio: 'inherit' });
	results.set(step.name, status === 0);
}

console.log('\n── summary');
for (const [name, ok] of results) console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${name}`);
const failed = [...results.values()].filter((ok) => !ok).length;
console.log(`steps: ${results.size - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
