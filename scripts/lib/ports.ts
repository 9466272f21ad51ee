import { createServer } from 'node:net';

/** Resolves true when nothing listens on the port on this computer's loopback addresses. */
export function portIsFree(port: number): Promise<boolean> {
	const tryHost = (host: string) =>
		new Promise<boolean>((resolve) => {
			const probe = createServer();
			probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRNOTAVAIL'));
			probe.listen(port, host, () => probe.close(() => resolve(true)));
		});
	return Promise.all([tryHost('127.0.0.1'), tryHost('::1')]).then((free) => free.every(Boolean));
}

export interface NamedPort {
	name: string;
	port: number;
}

/** The ports among `wanted` that are already taken, for a message that names each one. */
export async function busyPorts(wanted: NamedPort[]): Promise<NamedPort[]> {
	const results = await Promise.all(wanted.map(async (entry) => ((await portIsFree(entry.port)) ? null : entry)));
	return results.filter((entry): entry is NamedPort => entry !== null);
}
