/** The user's OneDrive connection row: status and ids only, never a token. */
import type { Database } from './database.types';
import type { ReeldriveSupabase } from './client';
import { fromPostgrestError } from './errors';

export type ConnectionRow = Database['public']['Tables']['onedrive_connections']['Row'];
export type ConnectionStatus = Database['public']['Enums']['onedrive_connection_status'];

export interface ConnectionFields {
	microsoft_account_id: string;
	microsoft_username: string | null;
	drive_id: string | null;
	drive_type: Database['public']['Enums']['onedrive_drive_type'] | null;
}

export class ConnectionRepository {
	constructor(private readonly db: ReeldriveSupabase) {}

	async get(): Promise<ConnectionRow | null> {
		const { data, error } = await this.db.from('onedrive_connections').select('*').maybeSingle();
		if (error) throw fromPostgrestError(error, 'Your OneDrive connection');
		return data;
	}

	/** Records a (re)connection. A different Microsoft account replaces the default folder. */
	async connect(fields: ConnectionFields, keepFolder: boolean): Promise<ConnectionRow> {
		const row = {
			...fields,
			status: 'connected' as const,
			connected_at: new Date().toISOString(),
			disconnected_at: null,
			...(keepFolder ? {} : { default_folder_id: null, default_folder_path: null })
		};
		const { data, error } = await this.db
			.from('onedrive_connections')
			.upsert(row, { onConflict: 'owner_id' })
			.select('*')
			.single();
		if (error) throw fromPostgrestError(error, 'Your OneDrive connection');
		return data;
	}

	async setStatus(status: ConnectionStatus): Promise<ConnectionRow> {
		const { data, error } = await this.db
			.from('onedrive_connections')
			.update({ status, disconnected_at: status === 'disconnected' ? new Date().toISOString() : null })
			.not('id', 'is', null)
			.select('*')
			.single();
		if (error) throw fromPostgrestError(error, 'Your OneDrive connection');
		return data;
	}

	async setDefaultFolder(folderId: string | null, folderPath: string | null): Promise<ConnectionRow> {
		const { data, error } = await this.db
			.from('onedrive_connections')
			.update({ default_folder_id: folderId, default_folder_path: folderPath })
			.not('id', 'is', null)
			.select('*')
			.single();
		if (error) throw fromPostgrestError(error, 'Your OneDrive connection');
		return data;
	}
}
