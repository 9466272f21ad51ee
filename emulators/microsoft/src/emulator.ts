/**
 * The emulator's state in one place: clock, accounts, drives, signing keys, registered redirect
 * URIs, token lifetimes and faults. Listeners receive it and keep no state of their own.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { EmulatorClock } from './clock';
import { FaultSchedule } from './control/faults';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, newAccount, type Account } from './identity/accounts';
import { QuickXorHash } from './quick-xor-hash';
import { DriveStore } from './storage/drive-store';
import { readJsonFile, writeJsonFile } from './storage/json-file';
import { mimeTypeFor } from './storage/names';
import { readVideoFacet } from './video-facet';

export const CLIENT_ID = '5e2f7c1a-9b3d-4c8e-a1f0-7d6b2e9c4a10';
export const APP_NAME = 'Reeldrive (local)';
export const DEFAULT_REDIRECT_URIS = ['http://localhost:5173/auth/microsoft', 'http://localhost:5173/'];
export const DEFAULT_QUOTA_BYTES = 5 * 1024 * 1024 * 1024;

export interface TokenLifetimes {
	/** Access-token lifetime; unset means a random 60-90 minutes, like Entra's default. */
	accessSeconds?: number;
	/** Sliding inactivity lifetime of refresh tokens not bound to a SPA redirect URI. */
	refreshSeconds: number;
	/** Fixed lifetime of SPA refresh tokens, counted from the original sign-in. */
	spaRefreshSeconds: number;
	codeSeconds: number;
	uploadSessionIdleSeconds: number;
	uploadUrlSeconds: number;
	downloadUrlSeconds: number;
	/**
	 * Sliding inactivity lifetime of the browser session kept after "Stay signed in?" → Yes (its
	 * cookie's Max-Age). Microsoft: "Persistent tokens have a lifetime of 90 days. Anytime an SSO
	 * session token is used within its validity period, the validity period is extended another
	 * ... 90 days" (Configurable token lifetimes, "Single sign-on session tokens"); the identity
	 * reference is silent on it.
	 */
	persistentSessionSeconds: number;
}

export const DEFAULT_LIFETIMES: TokenLifetimes = {
	refreshSeconds: 90 * 24 * 3600,
	spaRefreshSeconds: 24 * 3600,
	codeSeconds: 600,
	uploadSessionIdleSeconds: 15 * 60,
	uploadUrlSeconds: 24 * 3600,
	downloadUrlSeconds: 3600,
	persistentSessionSeconds: 90 * 24 * 3600
};

export interface EmulatorSettings {
	/** Real Graph does not expose Retry-After to pages; turn this on to let a browser app read it. */
	exposeRetryAfter: boolean;
	/** Let the sign-in page skip the consent step (consent is recorded as given). */
	autoConsent: boolean;
	/**
	 * Ask "Stay signed in?" after a password sign-in, as Entra does unless the tenant's branding
	 * turns "Show option to remain signed in" off (then the session is never persistent).
	 */
	staySignedInPrompt: boolean;
}

export const DEFAULT_SETTINGS: EmulatorSettings = { exposeRetryAfter: false, autoConsent: false, staySignedInPrompt: true };

/** One PUT received on an upload URL, for the control API's fragment log (times are wall-clock ms, not the emulator clock). */
export interface FragmentLogEntry {
	driveId: string;
	sessionId: string;
	contentRange: string | null;
	receivedAt: number;
	/** When the response was sent or the connection closed; null while the request is in flight. */
	endedAt: number | null;
	/** The status sent, or null when the connection closed before a response (dropped or aborted). */
	status: number | null;
}

/** The fragment log keeps this many of the newest entries. */
export const FRAGMENT_LOG_LIMIT = 10_000;

export interface EmulatorOptions {
	dataDir: string;
	appOrigins?: string[];
	tokenLifetimes?: Partial<TokenLifetimes>;
	fixturesDir?: string;
	quiet?: boolean;
}

interface PersistedIdentity {
	version: 1;
	accounts: Account[];
}

interface PersistedKeys {
	privateJwk: JWK;
	kid: string;
	secret: string;
}

/** Which sample videos each demo drive gets in its Videos folder. */
const DEMO_VIDEOS: Record<string, string[]> = {
	'alice@contoso.test': ['clip-h264-aac-640x360-5s.mp4', 'clip-h264-1280x720-3s-moov-at-end.mp4', 'clip-vp9-320x240-4s.webm'],
	'bob@contoso.test': ['clip-quicktime-1280x720-3s.mov', 'portrait-1080x1920-2s.mp4', 'tiny-64x64-1s.mp4'],
	'carol@contoso.test': ['clip-h264-aac-640x360-5s.mp4', 'portrait-1080x1920-2s.mp4', 'clip-vp9-320x240-4s.webm']
};

/**
 * A product-video tree for folder import, in the first demo drive under "Product videos": one
 * folder per brand and product, as people keep them, with ASINs in folder and file names. With
 * the local database's demo products it shows every step of the product rule (README, "Folder
 * import"): an ASIN in a folder name linking to an existing product, a folder named like an
 * existing product, an ASIN in a file name proposing a new product, a Brand/Product path
 * proposing one, and a loose video going to "No product".
 */
export const DEMO_TREE_ROOT = 'Product videos';
export const DEMO_TREE: Record<string, { path: string; source: string }[]> = {
	'alice@contoso.test': [
		{ path: 'Brewline/French press B00005LM0T/first-brew.mp4', source: 'clip-h264-aac-640x360-5s.mp4' },
		{ path: 'Greenhearth/Bamboo cutting board set/knife-test.mov', source: 'clip-quicktime-1280x720-3s.mov' },
		{ path: 'Stillbrook/Pour-over kettle/pour B0D2KTL7Q9.mp4', source: 'portrait-1080x1920-2s.mp4' },
		{ path: 'Lumora/Arc desk lamp/unboxing.mp4', source: 'clip-h264-1280x720-3s-moov-at-end.mp4' },
		{ path: 'Lumora/Arc desk lamp/night mode.webm', source: 'clip-vp9-320x240-4s.webm' },
		{ path: 'b-roll.mp4', source: 'tiny-64x64-1s.mp4' }
	]
};

export class Emulator {
	readonly clock = new EmulatorClock();
	readonly faults = new FaultSchedule();
	readonly appOrigins: string[];
	readonly fixturesDir: string;
	lifetimes: TokenLifetimes;
	settings: EmulatorSettings = { ...DEFAULT_SETTINGS };
	extraRedirectUris: string[] = [];
	url = '';
	contentUrl = '';
	private accounts: Account[] = [];
	private drives = new Map<string, DriveStore>();
	private keys!: { privateKey: CryptoKey; publicJwk: JWK; kid: string; secret: Buffer };
	/** Fragment PUTs received on upload URLs, oldest first (GET /_emulator/drives/{account}/fragments). */
	readonly fragmentLog: FragmentLogEntry[] = [];
	/** Called on reset so the identity side can drop sessions and codes. */
	readonly resetListeners: Array<() => void> = [];
	/** Called when an account's sign-in sessions are revoked; each returns how many browser sessions it ended. */
	readonly sessionRevokers: Array<(accountId: string) => number> = [];

	constructor(readonly options: EmulatorOptions) {
		this.appOrigins = options.appOrigins ?? ['http://localhost:5173'];
		this.fixturesDir = options.fixturesDir ?? fileURLToPath(new URL('../../../tests/fixtures/videos/', import.meta.url));
		this.lifetimes = { ...DEFAULT_LIFETIMES, ...options.tokenLifetimes };
	}

	get dataDir(): string {
		return this.options.dataDir;
	}

	log(message: string): void {
		if (!this.options.quiet) console.log(`[microsoft-emulator] ${message}`);
	}

	async load(): Promise<void> {
		mkdirSync(this.dataDir, { recursive: true });
		await this.loadKeys();
		const identity = readJsonFile<PersistedIdentity>(join(this.dataDir, 'identity.json'));
		if (!identity) {
			await this.seed();
			return;
		}
		this.accounts = identity.accounts;
		for (const account of this.accounts) {
			const drive = DriveStore.open(this.driveDir(account.driveId));
			if (drive) this.drives.set(account.driveId, drive);
			else this.drives.set(account.driveId, this.createDrive(account));
		}
	}

	private async loadKeys(): Promise<void> {
		const path = join(this.dataDir, 'keys.json');
		let stored = readJsonFile<PersistedKeys>(path);
		if (!stored) {
			const { privateKey } = await generateKeyPair('RS256', { extractable: true });
			stored = {
				privateJwk: await exportJWK(privateKey),
				kid: randomBytes(12).toString('base64url'),
				secret: randomBytes(32).toString('base64')
			};
			writeJsonFile(path, stored);
		}
		const privateKey = (await importJWK(stored.privateJwk, 'RS256')) as CryptoKey;
		const { kty, n, e } = stored.privateJwk;
		this.keys = { privateKey, publicJwk: { kty, n, e }, kid: stored.kid, secret: Buffer.from(stored.secret, 'base64') };
	}

	get signingKey() {
		return this.keys;
	}

	private driveDir(driveId: string): string {
		return join(this.dataDir, 'drives', driveId);
	}

	private createDrive(account: Account): DriveStore {
		const drive = DriveStore.create(this.driveDir(account.driveId), {
			id: account.driveId,
			ownerId: account.id,
			ownerName: account.displayName,
			quotaTotal: DEFAULT_QUOTA_BYTES,
			now: this.clock.stamp()
		});
		this.drives.set(account.driveId, drive);
		return drive;
	}

	persistAccounts(): void {
		writeJsonFile(join(this.dataDir, 'identity.json'), { version: 1, accounts: this.accounts } satisfies PersistedIdentity);
	}

	/** First start (and reset): the demo accounts, each with a Videos folder of real sample videos. */
	private async seed(): Promise<void> {
		rmSync(join(this.dataDir, 'drives'), { recursive: true, force: true });
		this.accounts = [];
		this.drives.clear();
		for (const demo of DEMO_ACCOUNTS) {
			const account = this.addAccount({ email: demo.email, password: DEMO_PASSWORD, displayName: demo.displayName });
			const drive = this.driveOf(account);
			const videos = drive.createFolder(drive.rootId, 'Videos', this.clock.stamp());
			for (const name of DEMO_VIDEOS[demo.email] ?? []) {
				const source = join(this.fixturesDir, name);
				if (!existsSync(source)) continue;
				await this.importFile(drive, videos.id, name, source);
			}
			const tree = DEMO_TREE[demo.email] ?? [];
			if (tree.length === 0) continue;
			const folders = new Map<string, string>([['', drive.createFolder(drive.rootId, DEMO_TREE_ROOT, this.clock.stamp()).id]]);
			for (const { path, source } of tree) {
				const parts = path.split('/');
				const name = parts.pop()!;
				let parent = '';
				for (const part of parts) {
					const here = parent ? `${parent}/${part}` : part;
					if (!folders.has(here)) folders.set(here, drive.createFolder(folders.get(parent)!, part, this.clock.stamp()).id);
					parent = here;
				}
				const file = join(this.fixturesDir, source);
				if (existsSync(file)) await this.importFile(drive, folders.get(parent)!, name, file);
			}
		}
		this.log(`seeded ${this.accounts.length} demo accounts`);
	}

	/** Copies a file from disk into a drive (streamed), with its hash and video facet. */
	async importFile(drive: DriveStore, parentId: string, name: string, source: string) {
		const file = drive.newContentFileName();
		const target = drive.contentPath(file);
		await copyFile(source, target);
		const hash = new QuickXorHash();
		for await (const chunk of createReadStream(target)) hash.update(chunk as Buffer);
		const { size } = await stat(target);
		return drive.putFile(
			{
				parentId,
				name,
				size,
				content: { kind: 'file', file },
				mimeType: mimeTypeFor(name),
				quickXorHash: hash.digestBase64(),
				video: await readVideoFacet(target)
			},
			this.clock.stamp()
		).item;
	}

	async reset(): Promise<void> {
		this.faults.clear();
		this.fragmentLog.length = 0;
		this.clock.offsetMs = 0;
		this.extraRedirectUris = [];
		this.lifetimes = { ...DEFAULT_LIFETIMES, ...this.options.tokenLifetimes };
		this.settings = { ...DEFAULT_SETTINGS };
		for (const listener of this.resetListeners) listener();
		await this.seed();
	}

	addAccount(input: { email: string; password: string; displayName?: string; tenantId?: string; quotaTotal?: number }): Account {
		const account = newAccount(input);
		if (this.accountByEmail(account.email)) throw new Error(`account ${account.email} already exists`);
		this.accounts.push(account);
		const drive = this.createDrive(account);
		if (input.quotaTotal !== undefined) drive.quotaTotal = input.quotaTotal;
		this.persistAccounts();
		return account;
	}

	listAccounts(): Account[] {
		return [...this.accounts];
	}

	accountByEmail(email: string): Account | undefined {
		const wanted = email.toLowerCase();
		return this.accounts.find((a) => a.email === wanted);
	}

	accountById(id: string): Account | undefined {
		return this.accounts.find((a) => a.id === id);
	}

	driveOf(account: Account): DriveStore {
		const drive = this.drives.get(account.driveId);
		if (!drive) throw new Error(`no drive for ${account.email}`);
		return drive;
	}

	driveById(id: string): DriveStore | undefined {
		return this.drives.get(id) ?? [...this.drives.values()].find((d) => d.id.toLowerCase() === id.toLowerCase());
	}

	allDrives(): DriveStore[] {
		return [...this.drives.values()];
	}

	redirectUris(): string[] {
		return [...DEFAULT_REDIRECT_URIS, ...this.extraRedirectUris];
	}

	/** Origins allowed to call the token endpoint: the app's, and those of registered redirect URIs. */
	tokenOrigins(): Set<string> {
		const origins = new Set(this.appOrigins);
		for (const uri of this.redirectUris()) origins.add(new URL(uri).origin);
		return origins;
	}

	/** Leftover temporary upload files from a crash are useless: remove the ones no session owns. */
	cleanOrphanUploads(): void {
		for (const drive of this.drives.values()) {
			const dir = join(drive.dir, 'uploads');
			if (!existsSync(dir)) continue;
			const live = new Set(drive.sessions().map((s) => `${s.id}.part`));
			for (const name of readdirSync(dir)) if (!live.has(name)) rmSync(join(dir, name), { force: true });
		}
	}
}
