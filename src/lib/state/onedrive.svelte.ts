/**
 * The signed-in user's OneDrive connection: who is connected, the drive and its quota, the
 * default folder, and whether Microsoft needs the person to sign in again. The database learns
 * only ids, names and status; tokens stay in MSAL's cache in this browser.
 */
import { AppError } from '$lib/errors';
import type { KnownAccount, MicrosoftAccount } from '$lib/auth/microsoft-auth';
import type { DriveItem, Quota } from '$lib/graph/onedrive-api';
import type { Services } from '$lib/services';
import { ConnectionRepository, type ConnectionRow } from '$lib/supabase/connections';
import { FolderBrowser } from './folder-browser.svelte';

export type ConnectionState =
	| 'loading'
	/** Never connected, or this browser holds no Microsoft sign-in for the recorded account. */
	| 'not-connected'
	| 'connected'
	| 'needs-reauth'
	| 'disconnected';

export const DEFAULT_FOLDER_NAME = 'Reeldrive';

export interface DefaultFolder {
	id: string;
	path: string;
}

/** The drive's space in bytes, when Graph reports both figures. */
export interface DriveSpace {
	used: number;
	total: number;
}

export function driveSpace(quota: Quota | null | undefined): DriveSpace | null {
	return typeof quota?.used === 'number' && typeof quota.total === 'number' ? { used: quota.used, total: quota.total } : null;
}

/** A drive item's path from the root, e.g. "/Videos/Blender", from its parentReference. */
export function itemPath(item: DriveItem): string {
	if (item.root) return '/';
	const parent = item.parentReference?.path ?? '';
	// Graph writes parent paths as "/drive/root:" or "/drives/{id}/root:/Videos".
	const afterRoot = parent.includes('root:') ? parent.slice(parent.indexOf('root:') + 5) : '';
	return `${decodeURIComponent(afterRoot).replace(/\/+$/, '')}/${item.name}`;
}

/**
 * The Microsoft account a silent sign-in may restore: the one the row names, unless the person
 * disconnected on purpose. Without a user name there is no login_hint to ask Microsoft with.
 */
export function knownAccount(row: ConnectionRow | null): KnownAccount | null {
	if (!row || row.status === 'disconnected' || !row.microsoft_username) return null;
	return { localAccountId: row.microsoft_account_id, username: row.microsoft_username };
}

export class OneDriveManager {
	state = $state<ConnectionState>('loading');
	row = $state<ConnectionRow | null>(null);
	account = $state<MicrosoftAccount | null>(null);
	quota = $state<DriveSpace | null>(null);
	/** Graph's driveType: "personal", "business" or "documentLibrary". */
	driveType = $state<string | null>(null);
	/** The chosen default folder was deleted or moved away: the person must choose again. */
	folderMissing = $state(false);
	/** After connecting: the Microsoft account differs from the one the existing videos live in. */
	accountChangedFrom = $state<string | null>(null);
	error = $state<AppError | null>(null);

	#services: Services | undefined;
	#repository: ConnectionRepository | undefined;
	#stopListening: (() => void) | undefined;

	get defaultFolder(): DefaultFolder | null {
		const row = this.row;
		return row?.default_folder_id && row.default_folder_path
			? { id: row.default_folder_id, path: row.default_folder_path }
			: null;
	}

	#deps(): { services: Services; repository: ConnectionRepository } {
		if (!this.#services || !this.#repository) throw new Error('OneDriveManager.start() was not called.');
		return { services: this.#services, repository: this.#repository };
	}

	/**
	 * Loads the connection for the signed-in user, completing a redirect sign-in if this page
	 * load is the return from Microsoft.
	 */
	async start(services: Services): Promise<void> {
		this.#services = services;
		this.#repository = new ConnectionRepository(services.supabase);
		this.state = 'loading';
		this.error = null;
		this.#stopListening?.();
		// A silent sign-in may also come from a Graph call or the upload worker's token loan.
		this.#stopListening = services.microsoft.onSilentSignIn((account) => this.#signedInSilently(account));
		try {
			await services.microsoft.initialize();
			const redirect = services.microsoft.takeRedirectOutcome();
			// A reconnect continues to Microsoft's sign-in page: this page is about to leave.
			if (redirect?.continuing) return;
			this.row = await this.#repository.get();
			services.microsoft.expectAccount(knownAccount(this.row));
			this.account = services.microsoft.account();
			if (redirect?.account && this.account) {
				await this.#recordConnection(this.account);
				return;
			}
			await this.refresh();
			if (redirect?.error) this.error = redirect.error;
		} catch (error) {
			this.#fail(error);
		}
	}

	/** Forgets everything about the previous user (on sign-out). */
	reset(): void {
		this.#services?.microsoft.expectAccount(null);
		this.state = 'loading';
		this.row = null;
		this.account = null;
		this.quota = null;
		this.driveType = null;
		this.folderMissing = false;
		this.accountChangedFrom = null;
		this.error = null;
	}

	/** Re-reads the drive (quota) and checks that the default folder still exists. */
	async refresh(): Promise<void> {
		const { services } = this.#deps();
		const row = this.row;
		if (!row || row.status === 'disconnected') {
			this.state = row ? 'disconnected' : 'not-connected';
			return;
		}
		if (!this.account || this.account.localAccountId !== row.microsoft_account_id) {
			// Connected, but this browser holds no Microsoft sign-in for it (another browser, or the
			// browser was closed and MSAL's session key with it). Microsoft's own session may sign
			// the account in silently; if not, the person signs in again.
			const restored = await services.microsoft.reconnectSilently();
			if (!restored || restored.localAccountId !== row.microsoft_account_id) {
				this.state = 'needs-reauth';
				return;
			}
			this.account = restored;
		}
		try {
			const drive = await services.graph.drive();
			this.quota = driveSpace(drive.quota);
			this.driveType = drive.driveType ?? null;
			if (row.status !== 'connected') this.row = await this.#deps().repository.setStatus('connected');
			this.state = 'connected';
			await this.verifyDefaultFolder();
		} catch (error) {
			await this.#handleGraphFailure(error);
		}
	}

	async connect(mode: 'redirect' | 'popup' = 'redirect'): Promise<void> {
		const { services } = this.#deps();
		this.error = null;
		try {
			const account = await services.microsoft.connect({
				mode,
				loginHint: this.row?.microsoft_username ?? undefined
			});
			// A redirect leaves the page; start() finishes the job when Microsoft sends us back.
			if (account) {
				this.account = account;
				await this.#recordConnection(account);
			}
		} catch (error) {
			this.#fail(error);
		}
	}

	/**
	 * "Reconnect OneDrive": one click for the account already connected, with no account picker.
	 * Leaves the page; Microsoft asks for the password only if its own session has ended.
	 */
	async reconnect(): Promise<void> {
		const { services } = this.#deps();
		const loginHint = this.row?.microsoft_username;
		if (!loginHint) return this.connect('redirect');
		this.error = null;
		try {
			await services.microsoft.reconnect(loginHint);
		} catch (error) {
			this.#fail(error);
		}
	}

	/** A silent sign-in restored the connected account (perhaps for a Graph call or an upload). */
	#signedInSilently(account: MicrosoftAccount): void {
		if (this.row?.microsoft_account_id !== account.localAccountId) return;
		this.account = account;
		if (this.state === 'needs-reauth') void this.refresh();
	}

	async #recordConnection(account: MicrosoftAccount): Promise<void> {
		const { services, repository } = this.#deps();
		const [me, drive] = await Promise.all([services.graph.me(), services.graph.drive()]);
		if (!drive.id) throw new AppError('graph-failed', { what: 'Your OneDrive', detail: 'OneDrive did not say which drive is yours' });
		const previous = this.row;
		// MSAL's object id for the account: the same id every tab and the upload worker compare.
		const sameAccount = previous?.microsoft_account_id === account.localAccountId;
		this.accountChangedFrom =
			previous && !sameAccount ? (previous.microsoft_username ?? previous.microsoft_account_id) : null;
		this.row = await repository.connect(
			{
				microsoft_account_id: account.localAccountId,
				microsoft_username: me.userPrincipalName ?? account.username,
				drive_id: drive.id,
				drive_type: drive.driveType === 'personal' ? 'personal' : 'business'
			},
			sameAccount
		);
		services.microsoft.expectAccount(knownAccount(this.row));
		this.quota = driveSpace(drive.quota);
		this.driveType = drive.driveType ?? null;
		this.state = 'connected';
		this.folderMissing = false;
		await this.verifyDefaultFolder();
	}

	/** Removes this browser's Microsoft tokens; videos and OneDrive files stay untouched. */
	async disconnect(): Promise<void> {
		const { services, repository } = this.#deps();
		this.error = null;
		try {
			services.microsoft.expectAccount(null);
			await services.microsoft.disconnect();
			this.account = null;
			this.quota = null;
			if (this.row) this.row = await repository.setStatus('disconnected');
			this.state = 'disconnected';
		} catch (error) {
			this.#fail(error);
		}
	}

	/** A browser over this user's OneDrive folders, for the folder picker. */
	createFolderBrowser(): FolderBrowser {
		return new FolderBrowser(this.#deps().services.graph);
	}

	async chooseFolder(folder: DefaultFolder): Promise<void> {
		this.error = null;
		try {
			this.row = await this.#deps().repository.setDefaultFolder(folder.id, folder.path);
			this.folderMissing = false;
		} catch (error) {
			this.#fail(error);
		}
	}

	/** Notices a default folder deleted or moved away outside Reeldrive. */
	async verifyDefaultFolder(): Promise<void> {
		const folder = this.defaultFolder;
		if (!folder) return;
		try {
			const item = await this.#deps().services.graph.item(folder.id, 'Your default folder');
			this.folderMissing = !!item.deleted || itemPath(item) !== folder.path;
		} catch (error) {
			if (error instanceof AppError && error.code === 'graph-not-found') this.folderMissing = true;
			else throw error;
		}
	}

	async #handleGraphFailure(error: unknown): Promise<void> {
		if (error instanceof AppError && (error.code === 'microsoft-reauth-required' || error.code === 'graph-unauthorized')) {
			this.state = 'needs-reauth';
			if (this.row && this.row.status !== 'needs_reauth') {
				this.row = await this.#deps().repository.setStatus('needs_reauth');
			}
			return;
		}
		this.#fail(error);
	}

	#fail(error: unknown): void {
		this.error = error instanceof AppError ? error : new AppError('graph-failed', {}, error);
		if (this.state === 'loading') this.state = this.row ? 'connected' : 'not-connected';
	}
}

export const onedrive = new OneDriveManager();
