/**
 * Parses Graph drive URLs: /me, /me/drive, /drives/{id}, then /root or /items/{id}, optional
 * path addressing (`root:/a/b:` or `items/{id}:/rel/path:`), then sub-resources such as
 * /children, /content, /createUploadSession, /thumbnails/..., /delta and /search(q='...').
 */

export type DriveSelector = { me: true } | { id: string };

export interface FunctionCall {
	name: string;
	/** Argument names come from the URL, hence a Map rather than an object. */
	args: Map<string, string>;
}

export type GraphTarget =
	| { kind: 'me' }
	| { kind: 'drive'; drive: DriveSelector; action: string[]; call?: FunctionCall }
	| { kind: 'item'; drive: DriveSelector; base: { root: true } | { id: string }; path: string[] | null; action: string[]; call?: FunctionCall };

import { decodeComponent, MalformedEncodingError } from '../http-util';

export class AddressError extends Error {}

function decode(segment: string): string {
	try {
		return decodeComponent(segment);
	} catch (error) {
		if (error instanceof MalformedEncodingError) throw new AddressError(`The path segment '${segment}' is not valid percent-encoding.`);
		throw error;
	}
}

/** `search(q='a ''b''')` -> { name: 'search', args: Map { q => "a 'b'" } }. */
export function parseFunctionCall(segment: string): FunctionCall | undefined {
	const match = /^([A-Za-z.]+)\((.*)\)$/s.exec(segment);
	if (!match) return undefined;
	const args = new Map<string, string>();
	const argText = match[2]!.trim();
	if (argText) {
		const pattern = /\s*(\w+)\s*=\s*'((?:[^']|'')*)'\s*(,|$)/gy;
		let consumed = 0;
		for (let m = pattern.exec(argText); m; m = pattern.exec(argText)) {
			args.set(m[1]!, m[2]!.replace(/''/g, "'"));
			consumed = pattern.lastIndex;
			if (consumed >= argText.length) break;
		}
		if (consumed < argText.length) throw new AddressError(`The function arguments '${argText}' are not valid.`);
	}
	return { name: match[1]!.replace(/^microsoft\.graph\./, ''), args };
}

function splitAction(rest: string): { action: string[]; call?: FunctionCall } {
	const action = rest.split('/').filter(Boolean).map(decode);
	const last = action[action.length - 1];
	const call = last !== undefined ? parseFunctionCall(last) : undefined;
	if (call) action[action.length - 1] = call.name;
	return { action, call };
}

export function parseGraphPath(pathname: string): GraphTarget | undefined {
	let rest = pathname;
	if (rest === '/me' || rest === '/me/') return { kind: 'me' };
	let drive: DriveSelector;
	const drives = /^\/drives\/([^/]+)/.exec(rest);
	if (rest === '/me/drive' || rest.startsWith('/me/drive/')) {
		drive = { me: true };
		rest = rest.slice('/me/drive'.length);
	} else if (drives) {
		drive = { id: decode(drives[1]!) };
		rest = rest.slice(drives[0].length);
	} else {
		return undefined;
	}
	let base: { root: true } | { id: string };
	if (rest === '/root' || rest.startsWith('/root/') || rest.startsWith('/root:')) {
		base = { root: true };
		rest = rest.slice('/root'.length);
	} else {
		const items = /^\/items\/([^/:]+)/.exec(rest);
		if (!items) return { kind: 'drive', drive, ...splitAction(rest) };
		base = { id: decode(items[1]!) };
		rest = rest.slice(items[0].length);
	}
	let path: string[] | null = null;
	if (rest.startsWith(':')) {
		rest = rest.slice(1);
		const end = rest.indexOf(':');
		const pathPart = end < 0 ? rest : rest.slice(0, end);
		rest = end < 0 ? '' : rest.slice(end + 1);
		path = pathPart.split('/').filter(Boolean).map(decode);
	}
	return { kind: 'item', drive, base, path, ...splitAction(rest) };
}
