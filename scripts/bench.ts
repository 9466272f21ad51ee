/**
 * `npm run bench`: every benchmark, one after another; each prints its own figures.
 * `npm run bench -- quickxorhash` runs only the named ones (file names in bench/, without .ts).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const wanted = process.argv.slice(2);
const all = readdirSync('bench')
	.filter((name) => name.endsWith('.ts'))
	.map((name) => name.slice(0, -3))
	.sort();
const chosen = wanted.length > 0 ? all.filter((name) => wanted.includes(name)) : all;
let failed = 0;
for (const name of chosen) {
	console.log(`\n── bench/${name}.ts`);
	const { status } = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], { stdio: 'inherit' });
	if (status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
