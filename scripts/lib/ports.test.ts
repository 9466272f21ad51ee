import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { busyPorts, portIsFree } from './ports';

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
	await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function listen(): Promise<number> {
	const server = createServer();
	servers.push(server);
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

describe('port checks', () => {
	it('reports a port in use by name and a free one as free', async () => {
		const taken = await listen();
		expect(await portIsFree(taken)).toBe(false);
		const busy = await busyPorts([
			{ name: 'Microsoft emulator', port: taken },
			{ name: 'app', port: 1 + taken }
		]);
		expect(busy.map((entry) => entry.name)).toContain('Microsoft emulator');
		expect(busy.map((entry) => entry.name)).not.toContain('app');
	});
});
