/**
 * `npm run bench`: every benchmark in bench/, one after another, then one table of all figures,
 * written with the machine and the versions to bench/results/latest.json.
 *   npm run bench -- quickxorhash gallery   only the named ones (file names in bench/, without .ts);
 *                                           their figures replace the same figures in latest.json
 *   npm run bench -- --no-build             use the existing build/ (another bench may be serving it)
 *   npm run bench -- upload-compare -- --runs 5   options after a lone -- go to every bench run
 *   npm run bench -- --smoke                every bench once in a tiny size: proves each still runs to
 *                                           the end (figures meaningless; written to results/smoke.json)
 * The app is built once for all. Benches that take the stack's fixed ports run under the shared
 * lock /tmp/reeldrive-e2e.lock (when `flock` exists), one bench at a time; upload-compare takes it
 * per round itself. Exits non-zero if any bench fails.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type, release } from 'node:os';
import { summarise, type Figure } from '../bench/lib/results';

// Everything after a lone `--` goes to every bench run (e.g. `-- --runs 5`).
const argv = process.argv.slice(2);
const separator = argv.indexOf('--');
const args = separator >= 0 ? argv.slice(0, separator) : argv;
const passThrough = separator >= 0 ? argv.slice(separator + 1) : [];
const smoke = args.includes('--smoke');
const wanted = args.filter((arg) => !arg.startsWith('--'));
const all = readdirSync('bench')
	.filter((name) => name.endsWith('.ts'))
	.map((name) => name.slice(0, -3))
	.sort();
const unknown = wanted.filter((name) => !all.includes(name));
if (unknown.length > 0) {
	console.error(`No such bench: ${unknown.join(', ')} (have: ${all.join(', ')})`);
	process.exit(2);
}
const chosen = wanted.length > 0 ? all.filter((name) => wanted.includes(name)) : all;
/** Benches that start the local stack (or the app server) on the fixed ports. */
const USES_PORTS = new Set(['browser-upload', 'gallery', 'resume-cost', 'sign-in-js']);
const LOCK = process.env.BENCH_LOCK ?? '/tmp/reeldrive-e2e.lock';
const canLock = existsSync('/usr/bin/flock') && process.env.BENCH_LOCK !== '';

const started = performance.now();
const env = { ...process.env, BENCH_PREBUILT: '1', ...(smoke ? { BENCH_SMOKE: '1' } : {}) };
if (!args.includes('--no-build') && chosen.some((name) => ['browser-upload', 'gallery', 'resume-cost', 'sign-in-js', 'upload-compare'].includes(name))) {
	console.log('Building the app once for the benches…');
	const built = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error'], {
		stdio: 'inherit',
		env: { ...process.env, NODE_ENV: 'production', REELDRIVE_ENV_MODE: 'development' }
	});
	if (built.status !== 0) process.exit(1);
	spawnSync(process.execPath, ['--import', 'tsx', 'scripts/write-headers.ts'], { stdio: 'inherit' });
}

interface Collected extends Figure {
	bench: string;
}
const figures: Collected[] = [];
const failed: string[] = [];
const seconds: Record<string, number> = {};

function runBench(name: string): Promise<number> {
	const command = [process.execPath, '--import', 'tsx', `bench/${name}.ts`, ...(smoke ? ['--smoke'] : []), ...passThrough];
	const [file, ...rest] = canLock && USES_PORTS.has(name) ? ['flock', LOCK, ...command] : command;
	return new Promise((resolve) => {
		const child = spawn(file!, rest, { stdio: ['ignore', 'pipe', 'inherit'], env });
		let pending = '';
		child.stdout!.on('data', (chunk: Buffer) => {
			pending += chunk.toString();
			const lines = pending.split('\n');
			pending = lines.pop()!;
			for (const line of lines) {
				if (line.startsWith('BENCH_FIGURE ')) figures.push({ bench: name, ...(JSON.parse(line.slice(13)) as Figure) });
				else console.log(line);
			}
		});
		child.once('exit', (code) => {
			if (pending) console.log(pending);
			resolve(code ?? 1);
		});
	});
}

for (const name of chosen) {
	console.log(`\n── bench/${name}.ts${smoke ? ' --smoke' : ''}`);
	const t = performance.now();
	const status = await runBench(name);
	seconds[name] = (performance.now() - t) / 1000;
	if (status !== 0) failed.push(name);
}

// ─── one table ────────────────────────────────────────────────────────────────────────────────
const fmt = (n: number) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2)) : '—');
const rows = figures.map((f) => {
	const s = summarise(f.runs);
	return [f.name, f.unit, String(s.runs), fmt(s.median), s.runs > 1 ? `${fmt(s.min)}–${fmt(s.max)}` : '', f.runs.length === 0 ? (f.note ?? '') : ''];
});
const header = ['figure', 'unit', 'runs', 'median', 'min–max', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
console.log(`\n${'═'.repeat(20)} summary${smoke ? ' (smoke: sizes too small to mean anything)' : ''}`);
for (const row of [header, ...rows]) console.log(row.map((cell, i) => (i === 3 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd());
for (const [name, s] of Object.entries(seconds)) console.log(`  bench/${name}.ts ${s.toFixed(0)} s${failed.includes(name) ? '  FAILED' : ''}`);
console.log(`  total ${((performance.now() - started) / 1000).toFixed(0)} s`);

// ─── bench/results/*.json ─────────────────────────────────────────────────────────────────────
function version(pkg: string): string | null {
	try {
		return (JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, 'utf8')) as { version: string }).version;
	} catch {
		return null;
	}
}
const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((path) => existsSync(path));
const osRelease = existsSync('/etc/os-release') ? (/^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '') : '';
const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
const file = `bench/results/${smoke ? 'smoke' : 'latest'}.json`;
mkdirSync('bench/results', { recursive: true });
const previous = !smoke && wanted.length > 0 && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { figures: Record<string, unknown> }).figures : {};
const now = new Date().toISOString();
const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
const out = {
	writtenAt: now,
	command,
	commit,
	machine: {
		cpu: cpus()[0]?.model ?? 'unknown',
		cores: cpus().length,
		ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
		os: `${osRelease || type()} (${type()} ${release()})`
	},
	versions: {
		node: process.version,
		chromium: chromiumPath ? spawnSync(chromiumPath, ['--version'], { encoding: 'utf8' }).stdout.trim() : null,
		packages: Object.fromEntries(
			['@microsoft/microsoft-graph-client', '@microsoft/msgraph-sdk-core', '@azure/msal-browser', '@supabase/supabase-js', 'dexie', 'svelte', '@sveltejs/kit', 'vite', '@playwright/test', '@electric-sql/pglite'].map((pkg) => [pkg, version(pkg)])
		)
	},
	figures: {
		...previous,
		...Object.fromEntries(
			figures.map((f) => [f.name, { bench: f.bench, unit: f.unit, ...summarise(f.runs), values: f.runs, note: f.note ?? null, measuredAt: now, commit, command }])
		)
	}
};
writeFileSync(file, `${JSON.stringify(out, null, '\t')}\n`);
console.log(`  wrote ${file}`);
if (failed.length > 0) console.error(`\nFailed: ${failed.join(', ')}`);
process.exit(failed.length === 0 ? 0 : 1);
