/**
 * The last-known product list and galleries, so Reeldrive can show them offline. A store of
 * its own (not the upload database): it is a disposable copy of Supabase rows, wiped on
 * sign-out, and wiping it can never touch a queued upload's bytes. Entries are keyed by the
 * app user, and reads always name the user, so one person never sees another's copy.
 */
import Dexie, { type EntityTable } from 'dexie';

export interface CachedSnapshot<T = unknown> {
	/** `${appUserId}|${name}`, e.g. "…|products" or "…|product:<id>". */
	key: string;
	appUserId: string;
	savedAt: number;
	data: T;
}

export class LibraryCacheDb extends Dexie {
	snapshots!: EntityTable<CachedSnapshot, 'key'>;

	constructor(name = 'reeldrive-library-cache', options?: { indexedDB?: IDBFactory; IDBKeyRange?: typeof IDBKeyRange }) {
		super(name, options);
		this.version(1).stores({ snapshots: 'key, appUserId' });
	}
}

/** Plain get/put/clear over the snapshots; failures (private mode, quota) just mean "no copy". */
export class LibraryCache {
	constructor(private readonly db: LibraryCacheDb = new LibraryCacheDb()) {}

	async read<T>(appUserId: string, name: string): Promise<CachedSnapshot<T> | null> {
		try {
			const entry = await this.db.snapshots.get(`${appUserId}|${name}`);
			return entry && entry.appUserId === appUserId ? (entry as CachedSnapshot<T>) : null;
		} catch {
			return null;
		}
	}

	async write<T>(appUserId: string, name: string, data: T, now = Date.now()): Promise<void> {
		try {
			// $state proxies and class instances cannot be cloned into IndexedDB: store plain data.
			const plain = JSON.parse(JSON.stringify(data)) as T;
			await this.db.snapshots.put({ key: `${appUserId}|${name}`, appUserId, savedAt: now, data: plain });
		} catch {
			// A copy we cannot keep only costs the offline view.
		}
	}

	async forget(appUserId: string, name: string): Promise<void> {
		await this.db.snapshots.delete(`${appUserId}|${name}`).catch(() => {});
	}

	/** Everything, for everyone (on sign-out: the next person starts with nothing). */
	async clear(): Promise<void> {
		await this.db.snapshots.clear().catch(() => {});
	}
}
