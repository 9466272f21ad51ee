/** Resident memory of process trees from /proc (Linux), for the browser benches. */
import { readdirSync, readFileSync } from 'node:fs';

const read = (path: string) => {
	try {
		return readFileSync(path, 'utf8');
	} catch {
		return ''; // The process ended while we looked.
	}
};

export interface TreeMemory {
	/** All processes whose command line mentions the marker, and their descendants (MiB). */
	total: number;
	/** Per Chromium process kind (--type=renderer, utility, gpu…; `main` for the browser): the largest one (MiB). */
	largest: Map<string, number>;
}

export function treeMemory(marker: string): TreeMemory {
	const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
	const parent = new Map(pids.map((pid) => [pid, read(`/proc/${pid}/stat`).split(') ')[1]?.split(' ')[1] ?? '']));
	const chosen = new Set(pids.filter((pid) => read(`/proc/${pid}/cmdline`).includes(marker)));
	for (let grew = true; grew; ) {
		grew = false;
		for (const pid of pids) {
			if (!chosen.has(pid) && chosen.has(parent.get(pid) ?? '')) {
				chosen.add(pid);
				grew = true;
			}
		}
	}
	const largest = new Map<string, number>();
	let total = 0;
	for (const pid of chosen) {
		const rss = Number(/VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`))?.[1] ?? 0) / 1024;
		const type = /--type=([\w-]+)/.exec(read(`/proc/${pid}/cmdline`))?.[1] ?? 'main';
		largest.set(type, Math.max(largest.get(type) ?? 0, rss));
		total += rss;
	}
	return { total, largest };
}
