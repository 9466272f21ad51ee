/**
 * Starts the Microsoft emulator with the local defaults: http://localhost:4010 (identity, Graph,
 * control API) and http://localhost:4011 (upload and download URLs), data in .local/microsoft.
 * Flags: --port N, --content-port N, --data-dir DIR, --quiet. Prints one JSON line once listening.
 */
import { fileURLToPath } from 'node:url';
import { startMicrosoftEmulator } from './src/index';

function flag(name: string): string | undefined {
	const index = process.argv.indexOf(`--${name}`);
	return index >= 0 ? process.argv[index + 1] : undefined;
}

const port = flag('port');
const contentPort = flag('content-port');
const emulator = await startMicrosoftEmulator({
	port: port !== undefined ? Number(port) : undefined,
	contentPort: contentPort !== undefined ? Number(contentPort) : undefined,
	// The repository's .local/microsoft, whatever the working directory.
	dataDir: flag('data-dir') ?? fileURLToPath(new URL('../../.local/microsoft', import.meta.url)),
	quiet: process.argv.includes('--quiet')
});
console.log(JSON.stringify({ ready: true, url: emulator.url, contentUrl: emulator.contentUrl, pid: process.pid }));

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.on(signal, () => {
		if (stopping) return;
		stopping = true;
		emulator.close().then(
			() => process.exit(0),
			() => process.exit(1)
		);
	});
}
