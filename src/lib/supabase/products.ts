/** The signed-in user's products, with how many videos each has. RLS keeps them their own. */
import type { Database } from './database.types';
import type { ReeldriveSupabase } from './client';
import { fromPostgrestError } from './errors';

type ProductTable = Database['public']['Tables']['products'];
export type ProductRow = ProductTable['Row'];

export interface ProductFields {
	title: string;
	asin: string | null;
	brand: string | null;
	notes: string | null;
}

/** A product as lists show it: the row less its owner, plus its video count. */
export interface ProductSummary {
	id: string;
	title: string;
	asin: string | null;
	brand: string | null;
	notes: string | null;
	created_at: string;
	updated_at: string;
	video_count: number;
}

const COLUMNS = 'id,title,asin,brand,notes,created_at,updated_at';
/** Supabase's max_rows: a read answers at most this many rows, so longer lists are paged. */
const PAGE_ROWS = 1000;

type Counted = Omit<ProductSummary, 'video_count'> & { videos: { count: number }[] };

function summary(row: Counted): ProductSummary {
	const { videos, ...rest } = row;
	return { ...rest, video_count: videos[0]?.count ?? 0 };
}

export class ProductRepository {
	constructor(private readonly db: ReeldriveSupabase) {}

	async list(): Promise<ProductSummary[]> {
		const all: ProductSummary[] = [];
		for (let from = 0; ; from += PAGE_ROWS) {
			const { data, error } = await this.db
				.from('products')
				.select(`${COLUMNS},videos(count)`)
				.order('title')
				.order('id')
				.range(from, from + PAGE_ROWS - 1);
			if (error) throw fromPostgrestError(error, 'Your products');
			all.push(...(data as unknown as Counted[]).map(summary));
			if (data.length < PAGE_ROWS) return all;
		}
	}

	/** One product, or null when it does not exist or is not this user's (RLS hides it). */
	async get(id: string): Promise<ProductSummary | null> {
		if (!isUuid(id)) return null;
		const { data, error } = await this.db.from('products').select(`${COLUMNS},videos(count)`).eq('id', id).maybeSingle();
		if (error) throw fromPostgrestError(error, 'That product');
		return data ? summary(data as unknown as Counted) : null;
	}

	async create(fields: ProductFields): Promise<ProductSummary> {
		const { data, error } = await this.db.from('products').insert(fields).select(COLUMNS).single();
		if (error) throw fromPostgrestError(error, asinWhat(fields));
		return { ...data, video_count: 0 };
	}

	async update(id: string, fields: ProductFields): Promise<Omit<ProductSummary, 'video_count'>> {
		const { data, error } = await this.db.from('products').update(fields).eq('id', id).select(COLUMNS).single();
		if (error) throw fromPostgrestError(error, error.code === 'PGRST116' ? 'That product' : asinWhat(fields));
		return data;
	}

	/** Deletes the product; its videos stay, with product_id cleared by the foreign key. */
	async delete(id: string): Promise<void> {
		const { error } = await this.db.from('products').delete().eq('id', id);
		if (error) throw fromPostgrestError(error, 'That product');
	}
}

function asinWhat(fields: ProductFields): string {
	return fields.asin ? `A product with ASIN ${fields.asin}` : 'That product';
}

export function isUuid(value: string): boolean {
	return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
