/** Accounts of the emulated tenant(s), with deterministic ids derived from the e-mail address. */
import { createHash } from 'node:crypto';

export interface Account {
	/** Object id (oid), also Graph's /me id and client_info uid. */
	id: string;
	email: string;
	password: string;
	displayName: string;
	givenName: string;
	surname: string;
	tenantId: string;
	driveId: string;
	/** Consented Graph scopes per client id, lower-cased. */
	consents: Record<string, string[]>;
	/** Refresh tokens issued at or before this emulator time (ms) are revoked. */
	refreshTokensRevokedBefore?: number;
}

export const DEMO_PASSWORD = 'reeldrive-demo';
export const DEMO_ACCOUNTS = [
	{ email: 'alice@contoso.test', displayName: 'Alice Demo' },
	{ email: 'bob@contoso.test', displayName: 'Bob Demo' },
	{ email: 'carol@contoso.test', displayName: 'Carol Demo' }
];

function guidFrom(text: string): string {
	const hex = createHash('sha256').update(text).digest('hex');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function newAccount(input: { email: string; password: string; displayName?: string; tenantId?: string }): Account {
	const email = input.email.toLowerCase();
	const local = email.split('@')[0] ?? email;
	const domain = email.split('@')[1] ?? 'contoso.test';
	const displayName = input.displayName ?? local.charAt(0).toUpperCase() + local.slice(1);
	const [givenName = displayName, ...rest] = displayName.split(' ');
	return {
		id: guidFrom(`oid:${email}`),
		email,
		password: input.password,
		displayName,
		givenName,
		surname: rest.join(' '),
		// Users of one domain share a tenant, as users of one organisation do.
		tenantId: input.tenantId ?? guidFrom(`tenant:${domain}`),
		driveId: createHash('sha256').update(`drive:${email}`).digest('hex').slice(0, 16).toUpperCase(),
		consents: {}
	};
}

export function isEmail(value: unknown): value is string {
	return typeof value === 'string' && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}
