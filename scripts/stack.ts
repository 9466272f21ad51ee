/**
 * `npm start`: the whole product on this computer, with no accounts — the built app with its
 * service worker, the Microsoft emulator (identity + OneDrive) and the Supabase-compatible API
 * over an embedded Postgres. `npm run emulators` starts only the two emulators.
 *
 * Options: --emulators-only, --no-build (serve the existing build/), --data-dir DIR (default .local),
 * --fresh (wipe DIR first; the e2e suite uses it).
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { busyPorts, type NamedPort } from './lib/ports';
import { serveStatic } from './lib/static-server';

export const PORTS = {
	app: 5173,
	microsoft: 4010,
	microsoftContent: 4011,
	supabase: 54321
} as const;

interface Running {
	name: string;
	url: string;
	close(): Promise<void>;
}

const args = process.argv.slice(2);
const emulatorsOnly = args.includes('--emulators-only');
const skipBuild = args.includes('--no-build');
const dataDirIndex = args.indexOf('--data-dir');
const dataDir = resolve(dataDirIndex >= 0 ? (args[dataDirIndex + 1] ?? '.local') : '.local');
const root = resolve(import.meta.dirname, '..');

function buildApp(): Promise<void> {
	console.log('Building the app against the local stack (.env.development)…');
	return new Promise((resolveBuild, reject) => {
		const child = spawn(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
			cwd: root,
			stdio: 'inherit',
			env: { ...process.env, NODE_ENV: 'production', REELDRIVE_ENV_MODE: 'development' }
		});
		child.once('error', reject);
		child.once('exit', (code) => (code === 0 ? resolveBuild() : reject(new Error(`vite build exited with ${code}`))));
	});
}

/** Starts an emulator if its code is present in this checkout (the runner starts what exists). */
async function startIfPresent(
	name: string,
	entry: string,
	start: (module: Record<string, unknown>) => Promise<Running>
): Promise<Running | null> {
	const file = join(root, entry);
	if (!existsSync(file)) {
		console.log(`(${name} is not in this checkout yet; skipped)`);
		return null;
	}
	return start((await import(pathToFileURL(file).href)) as Record<string, unknown>);
}

async function main(): Promise<void> {
	const wanted: NamedPort[] = [
		{ name: 'Microsoft emulator', port: PORTS.microsoft },
		{ name: 'Microsoft emulator (upload and download URLs)', port: PORTS.microsoftContent },
		{ name: 'Supabase-compatible API', port: PORTS.supabase }
	];
	if (!emulatorsOnly) wanted.unshift({ name: 'Reeldrive app', port: PORTS.app });
	const busy = await busyPorts(wanted);
	if (busy.length > 0) {
		for (const entry of busy) console.error(`Port ${entry.port} (${entry.name}) is already in use.`);
		console.error('Stop whatever holds it (another `npm start`?) and try again.');
		process.exit(1);
	}

	// Only now, with the ports known to be ours: never wipe the data of a stack that is running.
	if (args.includes('--fresh')) rmSync(dataDir, { recursive: true, force: true });
	if (!emulatorsOnly && !skipBuild) await buildApp();

	const running: Running[] = [];
	let stopping = false;
	const stop = async (code: number) => {
		if (stopping) return;
		stopping = true;
		console.log('\nStopping…');
		await Promise.allSettled(running.reverse().map((service) => service.close()));
		process.exit(code);
	};
	process.on('SIGINT', () => void stop(0));
	process.on('SIGTERM', () => void stop(0));

	try {
		const microsoft = await startIfPresent('Microsoft emulator', 'emulators/microsoft/src/index.ts', async (module) => {
			const start = module.startMicrosoftEmulator as (options: object) => Promise<{ url: string; close(): Promise<void> }>;
			const server = await start({ port: PORTS.microsoft, contentPort: PORTS.microsoftContent, dataDir: join(dataDir, 'microsoft') });
			return { name: 'Microsoft emulator', url: server.url, close: () => server.close() };
		});
		if (microsoft) running.push(microsoft);

		const supabase = await startIfPresent('Supabase-compatible API', 'emulators/supabase/src/index.ts', async (module) => {
			const start = module.startSupabaseApi as (options: object) => Promise<{ url: string; close(): Promise<void> }>;
			const server = await start({ port: PORTS.supabase, dataDir: join(dataDir, 'supabase'), seed: true });
			return { name: 'Supabase-compatible API', url: server.url, close: () => server.close() };
		});
		if (supabase) running.push(supabase);

		if (!emulatorsOnly) {
			const app = await serveStatic(join(root, 'build'), PORTS.app);
			running.push({ name: 'Reeldrive', ...app });
		}
	} catch (error) {
		console.error(`Could not start the local stack: ${error instanceof Error ? error.message : String(error)}`);
		await stop(1);
		return;
	}

	console.log('\nReeldrive local stack is running:');
	for (const service of running) console.log(`  ${service.name.padEnd(26)} ${service.url}`);
	console.log(`  Local data                 ${dataDir} (wipe with npm run reset)`);
	console.log('\nDemo accounts (password reeldrive-demo):');
	console.log('  Reeldrive (app sign-in):  alice@reeldrive.test, bob@reeldrive.test');
	console.log('  Microsoft (OneDrive):     alice@contoso.test, bob@contoso.test, carol@contoso.test');
	console.log('\nPress Ctrl-C to stop.');
}

await main();
