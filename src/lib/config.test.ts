import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePublicConfig } from './config';
import { buildConfigError, CONFIG_PROBLEMS_ADVICE, CONFIG_PROBLEMS_TITLE, describeConfigProblem } from './config-rules';

const valid = {
	PUBLIC_MS_CLIENT_ID: '5e2f7c1a-9b3d-4c8e-a1f0-7d6b2e9c4a10',
	PUBLIC_MS_AUTHORITY: 'https://login.microsoftonline.com/common',
	PUBLIC_MS_REDIRECT_URI: 'https://reeldrive.example/auth/microsoft',
	PUBLIC_GRAPH_BASE_URL: 'https://graph.microsoft.com/v1.0/',
	PUBLIC_SUPABASE_URL: 'https://abcd.supabase.co',
	PUBLIC_SUPABASE_ANON_KEY: 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl'
};

const settings = (env: Record<string, string>) => {
	const result = parsePublicConfig(env);
	return result.ok ? [] : result.problems.map((p) => p.setting);
};

describe('parsePublicConfig', () => {
	it('accepts a production configuration and normalises trailing slashes', () => {
		const result = parsePublicConfig(valid);
		expect(result.ok).toBe(true);
		if (!result.ok) return;
		expect(result.config.graphBaseUrl).toBe('https://graph.microsoft.com/v1.0');
		expect(result.config.microsoft.knownAuthorities).toEqual([]);
		expect(result.config.microsoft.scopes).toEqual(['User.Read', 'Files.ReadWrite', 'offline_access']);
	});

	it('names every missing setting at once', () => {
		expect(settings({})).toEqual([
			'PUBLIC_MS_CLIENT_ID',
			'PUBLIC_MS_AUTHORITY',
			'PUBLIC_MS_REDIRECT_URI',
			'PUBLIC_GRAPH_BASE_URL',
			'PUBLIC_SUPABASE_URL',
			'PUBLIC_SUPABASE_ANON_KEY'
		]);
	});

	it('refuses an http authority, even on localhost, because MSAL does', () => {
		expect(settings({ ...valid, PUBLIC_MS_AUTHORITY: 'http://localhost:4010/common' })).toEqual(['PUBLIC_MS_AUTHORITY']);
	});

	it('allows plain http only for endpoints on this computer', () => {
		expect(settings({ ...valid, PUBLIC_GRAPH_BASE_URL: 'http://localhost:4010/v1.0' })).toEqual([]);
		expect(settings({ ...valid, PUBLIC_SUPABASE_URL: 'http://db.example.com' })).toEqual(['PUBLIC_SUPABASE_URL']);
	});

	it('rejects a client id that is not a GUID and an anon key that is not a JWT', () => {
		expect(settings({ ...valid, PUBLIC_MS_CLIENT_ID: 'my-app', PUBLIC_SUPABASE_ANON_KEY: 'secret' })).toEqual([
			'PUBLIC_MS_CLIENT_ID',
			'PUBLIC_SUPABASE_ANON_KEY'
		]);
	});

	it('requires authority metadata to be JSON with every endpoint and its host to be a known authority', () => {
		const local = { ...valid, PUBLIC_MS_AUTHORITY: 'https://login.reeldrive.invalid/common' };
		expect(settings({ ...local, PUBLIC_MS_AUTHORITY_METADATA: '{oops' })).toEqual(['PUBLIC_MS_AUTHORITY_METADATA']);
		const metadata = JSON.stringify({
			issuer: 'x',
			authorization_endpoint: 'http://localhost:4010/common/oauth2/v2.0/authorize',
			token_endpoint: 'http://localhost:4010/common/oauth2/v2.0/token',
			end_session_endpoint: 'http://localhost:4010/common/oauth2/v2.0/logout',
			jwks_uri: 'http://localhost:4010/common/discovery/v2.0/keys'
		});
		expect(settings({ ...local, PUBLIC_MS_AUTHORITY_METADATA: metadata })).toEqual(['PUBLIC_MS_KNOWN_AUTHORITIES']);
		expect(
			settings({ ...local, PUBLIC_MS_AUTHORITY_METADATA: metadata, PUBLIC_MS_KNOWN_AUTHORITIES: 'login.reeldrive.invalid' })
		).toEqual([]);
	});
});

describe('buildConfigError (what stops a production build)', () => {
	it('lets a complete configuration build', () => {
		expect(buildConfigError(valid)).toBeUndefined();
	});

	it('stops a build with no settings, in the words of the configuration page, naming every setting', () => {
		const text = buildConfigError({});
		expect(text).toBeDefined();
		expect(text!.startsWith(`${CONFIG_PROBLEMS_TITLE}.`)).toBe(true);
		expect(text).toContain(CONFIG_PROBLEMS_ADVICE);
		const result = parsePublicConfig({});
		expect(result.ok).toBe(false);
		if (result.ok) return;
		for (const problem of result.problems) expect(text).toContain(describeConfigProblem(problem));
		expect(describeConfigProblem(result.problems[0]!)).toBe('PUBLIC_MS_CLIENT_ID is not set.');
	});

	it('stops a build with one bad setting and names only that one', () => {
		const text = buildConfigError({ ...valid, PUBLIC_SUPABASE_URL: 'http://db.example.com' })!;
		expect(text).toContain('PUBLIC_SUPABASE_URL must use https unless it points at this computer (localhost).');
		expect(text).not.toContain('PUBLIC_MS_CLIENT_ID');
	});

	it('builds with the committed .env.development, as npm start and the end-to-end suite do', () => {
		const env: Record<string, string> = {};
		for (const line of readFileSync(new URL('../../.env.development', import.meta.url), 'utf8').split('\n')) {
			const match = /^(PUBLIC_[A-Z_]+)=(.*)$/.exec(line);
			if (match) env[match[1]!] = match[2]!;
		}
		expect(Object.keys(env).length).toBeGreaterThan(5);
		expect(buildConfigError(env)).toBeUndefined();
	});
});
