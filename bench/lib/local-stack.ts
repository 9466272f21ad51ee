/**
 * The whole local stack (app, Microsoft emulator, Supabase API) for a bench, on the usual ports,
 * with its data in a fresh temporary folder: started, waited for, and stopped with its data removed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalStack {
	/** The data folder: also a marker on the stack's command line (for memory sampling). */
	dataDir: string;
	stop(): Promise<void>;
}

export async function startLocalStack(options: { build: boolean }): Promise<LocalStack> {
	const dataDir = mkdtempSync(join(tmpdir(), 'reeldrive-bench-'));
	const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/stack.ts', '--data-dir', dataDir, '--fresh', ...(options.build ? [] : ['--no-build'])], {
		stdio: ['ignore', 'pipe', 'inherit']
	});
	child.stdout!.resume();
	const exited = new Promise((resolve) => child.once('exit', resolve));
	const stop = async () => {
		if (child.exitCode === null) {
			child.kill('SIGTERM');
			await exited;
		}
		removeQuietly(dataDir);
	};
	for (let i = 0; ; i++) {
		try {
			if ((await fetch('http://localhost:5173/manifest.webmanifest')).ok) break;
		} catch {
			// Not up yet.
		}
		if (i > 240 || child.exitCode !== null) {
			await stop();
			throw new Error('the local stack did not start');
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	return { dataDir, stop };
}

/** Chromium may still be writing its profile for a moment: retry, and only warn. */
export function removeQuietly(dir: string): void {
	try {
		rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
	} catch (error) {
		console.warn(`could not remove ${dir}: ${String(error)}`);
	}
}
