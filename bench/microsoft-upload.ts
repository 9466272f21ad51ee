// Uploads 1 GiB in 10 MiB fragments to the Microsoft emulator, run as a child process so that
// its memory is measured alone, and prints throughput and the emulator's resident memory.
// Run: npx tsx bench/microsoft-upload.ts   (optional: --mib 1024 --fragment-mib 10 --smoke)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { QuickXorHash } from '../emulators/microsoft/src/quick-xor-hash';
import { figure, numberArg } from './lib/results';

const MiB = 1024 * 1024;
const TOTAL = numberArg('mib', 1024, 64) * MiB;
const FRAGMENT = numberArg('fragment-mib', 10) * MiB;
const CLIENT_ID = '5e2f7c1a-9b3d-4c8e-a1f0-7d6b2e9c4a10';

/** Resident and peak resident memory of a process, from /proc (Linux), in MiB. */
function memory(pid: number): { rss: number; hwm: number } {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
	return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
}

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = await mkdtemp(join(tmpdir(), 'ms-emulator-bench-'));
const child = spawn(process.execPath, ['--import', 'tsx', 'emulators/microsoft/main.ts', '--port', '0', '--content-port', '0', '--data-dir', dataDir, '--quiet'], {
	cwd: root,
	stdio: ['ignore', 'pipe', 'inherit']
});
try {
	const ready = await new Promise<{ url: string; contentUrl: string }>((resolve, reject) => {
		child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
		createInterface({ input: child.stdout! }).on('line', (line) => {
			if (line.startsWith('{')) resolve(JSON.parse(line));
		});
	});
	const pid = child.pid!;
	const json = <T>(r: Response) => r.json() as Promise<T>;
	const token = await fetch(`${ready.url}/common/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ client_id: CLIENT_ID, grant_type: 'password', username: 'alice@contoso.test', password: 'reeldrive-demo', scope: 'Files.ReadWrite' })
	}).then((r) => json<{ access_token: string }>(r));
	await fetch(`${ready.url}/_emulator/drives/alice@contoso.test/quota`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ total: 4 * 1024 * MiB }) });
	const session = await fetch(`${ready.url}/v1.0/me/drive/root:/bench.bin:/createUploadSession`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${token.access_token}`, 'Content-Type': 'application/json' },
		body: JSON.stringify({ item: { '@microsoft.graph.conflictBehavior': 'replace', fileSize: TOTAL } })
	}).then((r) => json<{ uploadUrl: string }>(r));

	const before = memory(pid);
	let peakRss = before.rss;
	const sampler = setInterval(() => (peakRss = Math.max(peakRss, memory(pid).rss)), 100);
	const buffer = Buffer.alloc(FRAGMENT);
	const hash = new QuickXorHash();
	const started = performance.now();
	let final: { file?: { hashes?: { quickXorHash?: string } } } | undefined;
	for (let offset = 0; offset < TOTAL; offset += FRAGMENT) {
		const length = Math.min(FRAGMENT, TOTAL - offset);
		const fragment = buffer.subarray(0, length);
		fragment.fill(offset / FRAGMENT);
		fragment.writeUInt32BE(offset >>> 0, 0);
		hash.update(fragment);
		const response = await fetch(session.uploadUrl, { method: 'PUT', headers: { 'Content-Range': `bytes ${offset}-${offset + length - 1}/${TOTAL}` }, body: fragment });
		const body = await json<NonNullable<typeof final>>(response);
		if (response.status >= 300) throw new Error(`fragment at ${offset}: ${response.status} ${JSON.stringify(body)}`);
		final = body;
	}
	const seconds = (performance.now() - started) / 1000;
	clearInterval(sampler);
	const after = memory(pid);
	peakRss = Math.max(peakRss, after.rss);
	const matches = final?.file?.hashes?.quickXorHash === hash.digestBase64();
	console.log(`uploaded ${TOTAL / MiB} MiB in ${Math.ceil(TOTAL / FRAGMENT)} fragments of ${FRAGMENT / MiB} MiB in ${seconds.toFixed(1)} s`);
	console.log(`throughput: ${(TOTAL / 1e6 / seconds).toFixed(0)} MB/s (${(TOTAL / MiB / seconds).toFixed(0)} MiB/s), client hashing and fragment generation included`);
	console.log(`emulator RSS: ${before.rss.toFixed(0)} MiB before the upload, ${peakRss.toFixed(0)} MiB peak during it (sampled every 100 ms), ${after.rss.toFixed(0)} MiB after; VmHWM ${after.hwm.toFixed(0)} MiB`);
	figure({ name: 'node-loop.throughput', unit: 'MB/s', runs: [TOTAL / 1e6 / seconds], note: `Node fetch loop, ${FRAGMENT / MiB} MiB fragments, ${TOTAL / MiB} MiB to the emulator (no browser)` });
	figure({ name: 'emulator.rss-peak', unit: 'MiB', runs: [peakRss], note: 'Microsoft emulator resident memory during that upload' });
	console.log(`quickXorHash ${matches ? 'matches' : 'DOES NOT MATCH'} (${final?.file?.hashes?.quickXorHash})`);
	if (!matches) process.exitCode = 1;
} finally {
	child.kill('SIGTERM');
	await new Promise((resolve) => child.once('exit', resolve));
	await rm(dataDir, { recursive: true, force: true });
}
