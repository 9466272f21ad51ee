/** Shared helpers for the HTTP suites: a throwaway emulator, tokens, Graph and control calls, a scripted sign-in. */
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON checked by assertions, not by static types */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT_ID, startMicrosoftEmulator, type MicrosoftEmulator, type MicrosoftEmulatorOptions } from '../src/index';

export { CLIENT_ID };
export const APP_ORIGIN = 'http://localhost:5173';
export const REDIRECT_URI = 'http://localhost:5173/auth/microsoft';
export const PASSWORD = 'reeldrive-demo';

export interface Harness {
	em: MicrosoftEmulator;
	dataDir: string;
	stop(): Promise<void>;
}

export async function startHarness(options: Partial<MicrosoftEmulatorOptions> = {}): Promise<Harness> {
	const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'ms-emulator-test-')));
	const em = await startMicrosoftEmulator({ port: 0, contentPort: 0, quiet: true, ...options, dataDir });
	return {
		em,
		dataDir,
		async stop() {
			await em.close();
			if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
		}
	};
}

export async function control(em: MicrosoftEmulator, method: string, path: string, body?: unknown): Promise<any> {
	const response = await fetch(`${em.url}/_emulator${path}`, {
		method,
		// The control API wants this on every change, bodiless ones (reset, DELETE) included.
		headers: { 'Content-Type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`control ${method} ${path} -> ${response.status} ${text}`);
	return text ? JSON.parse(text) : undefined;
}

export async function tokenRequest(em: MicrosoftEmulator, fields: Record<string, string>, headers: Record<string, string> = {}) {
	const response = await fetch(`${em.url}/common/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8', ...headers },
		body: new URLSearchParams(fields).toString()
	});
	return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

/** Resource-owner password grant: how scripts and tests get tokens without a browser. */
export async function passwordToken(em: MicrosoftEmulator, email = 'alice@contoso.test', scope = 'Files.ReadWrite User.Read offline_access openid profile'): Promise<string> {
	const { status, body } = await tokenRequest(em, { client_id: CLIENT_ID, grant_type: 'password', username: email, password: PASSWORD, scope });
	if (status !== 200) throw new Error(`password grant failed: ${JSON.stringify(body)}`);
	return body.access_token as string;
}

export async function graph(em: MicrosoftEmulator, token: string | undefined, path: string, init: RequestInit & { json?: unknown } = {}) {
	const headers = new Headers(init.headers);
	if (token) headers.set('Authorization', `Bearer ${token}`);
	let body = init.body;
	if (init.json !== undefined) {
		headers.set('Content-Type', 'application/json');
		body = JSON.stringify(init.json);
	}
	const response = await fetch(path.startsWith('http') ? path : `${em.url}/v1.0${path}`, { ...init, headers, body, redirect: 'manual' });
	const text = await response.text();
	let json: any;
	try {
		json = text ? JSON.parse(text) : undefined;
	} catch {
		json = undefined;
	}
	return { status: response.status, headers: response.headers, body: json, text };
}

export function pkce(): { verifier: string; challenge: string } {
	const verifier = randomBytes(32).toString('base64url');
	return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(em: MicrosoftEmulator, params: Record<string, string | undefined>): string {
	const query = new URLSearchParams();
	for (const [k, v] of Object.entries({ client_id: CLIENT_ID, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'Files.ReadWrite User.Read openid profile offline_access', ...params })) {
		if (v !== undefined) query.set(k, v);
	}
	return `${em.url}/common/oauth2/v2.0/authorize?${query}`;
}

export function formContext(html: string): string {
	const match = /name="ctx" value="([^"]+)"/.exec(html);
	if (!match) throw new Error(`no sign-in context in page: ${html.slice(0, 300)}`);
	return match[1]!;
}

/** Parameters the authorize endpoint sent back in a redirect, from the query or the fragment. */
export function redirectParams(location: string): URLSearchParams {
	const url = new URL(location);
	return new URLSearchParams(url.hash ? url.hash.slice(1) : url.search);
}

/** One Set-Cookie header: name, value and attributes (lower-case names; flags map to true). */
export function parseSetCookie(line: string): { name: string; value: string; attributes: Map<string, string | true> } {
	const [pair = '', ...rest] = line.split(';');
	const eq = pair.indexOf('=');
	const attributes = new Map<string, string | true>();
	for (const part of rest) {
		const at = part.indexOf('=');
		if (at < 0) attributes.set(part.trim().toLowerCase(), true);
		else attributes.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
	}
	return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

/**
 * A cookie jar and the emulator's HTML forms, without a browser. Like a browser it keeps a cookie
 * with Max-Age or Expires across `restart()` and drops session cookies there.
 */
export class Browserless {
	cookies = new Map<string, { value: string; persistent: boolean }>();

	constructor(private readonly em: MicrosoftEmulator) {}

	private cookieHeader(): string {
		return [...this.cookies].map(([k, c]) => `${k}=${c.value}`).join('; ');
	}

	private remember(response: Response): void {
		for (const line of response.headers.getSetCookie()) {
			const { name, value, attributes } = parseSetCookie(line);
			const maxAge = attributes.get('max-age');
			const expires = attributes.get('expires');
			const expiresAt = typeof expires === 'string' ? Date.parse(expires) : undefined;
			if ((typeof maxAge === 'string' && Number(maxAge) <= 0) || (maxAge === undefined && expiresAt !== undefined && expiresAt <= Date.now())) {
				this.cookies.delete(name);
			} else {
				this.cookies.set(name, { value, persistent: maxAge !== undefined || expiresAt !== undefined });
			}
		}
	}

	/** The browser closes and opens again: persistent cookies stay, session cookies are gone. */
	restart(): void {
		for (const [name, cookie] of this.cookies) if (!cookie.persistent) this.cookies.delete(name);
	}

	async get(url: string): Promise<Response> {
		const response = await fetch(url, { redirect: 'manual', headers: { Cookie: this.cookieHeader() } });
		this.remember(response);
		return response;
	}

	async post(url: string, form: Record<string, string>): Promise<Response> {
		const response = await fetch(url, {
			method: 'POST',
			redirect: 'manual',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: this.cookieHeader() },
			body: new URLSearchParams(form).toString()
		});
		this.remember(response);
		return response;
	}

	/**
	 * Signs in through the HTML pages and returns the final redirect's Location. "Stay signed in?"
	 * is answered No unless `staySignedIn` says otherwise.
	 */
	async signIn(params: Record<string, string | undefined>, email = 'alice@contoso.test', password = PASSWORD, options: { staySignedIn?: boolean } = {}): Promise<string> {
		const action = `${this.em.url}/common/oauth2/v2.0/authorize`;
		let response = await this.get(authorizeUrl(this.em, params));
		if (response.status === 302) return response.headers.get('location')!;
		let html = await response.text();
		if (html.includes('name="step" value="signin"')) {
			response = await this.post(action, { ctx: formContext(html), step: 'signin', action: 'signin', login: email, password });
			if (response.status === 302) return response.headers.get('location')!;
			html = await response.text();
		}
		if (html.includes('name="step" value="kmsi"')) {
			response = await this.post(action, { ctx: formContext(html), step: 'kmsi', action: options.staySignedIn ? 'yes' : 'no' });
			if (response.status === 302) return response.headers.get('location')!;
			html = await response.text();
		}
		if (html.includes('name="step" value="consent"')) {
			response = await this.post(action, { ctx: formContext(html), step: 'consent', action: 'accept' });
			if (response.status === 302) return response.headers.get('location')!;
		}
		throw new Error(`sign-in did not finish: ${response.status} ${html.slice(0, 400)}`);
	}
}

/** A complete browser-style sign-in and code redemption: returns the token response. */
export async function codeFlowTokens(em: MicrosoftEmulator, email = 'alice@contoso.test') {
	const { verifier, challenge } = pkce();
	const browser = new Browserless(em);
	const location = await browser.signIn({ code_challenge: challenge, code_challenge_method: 'S256', response_mode: 'fragment', state: 's', nonce: 'n', client_info: '1' }, email);
	const code = redirectParams(location).get('code')!;
	const result = await tokenRequest(
		em,
		{ client_id: CLIENT_ID, grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier, scope: 'Files.ReadWrite User.Read openid profile offline_access', client_info: '1' },
		{ Origin: APP_ORIGIN }
	);
	return { ...result, browser };
}
