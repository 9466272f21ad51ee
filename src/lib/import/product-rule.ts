/**
 * Which product folder import proposes for a video it found. The rule (also in the README,
 * "Folder import"), first match wins:
 *
 * 1. **ASIN.** An ASIN is `B0` and 8 more letters or digits, in any case, standing alone: the
 *    characters either side are not letters or digits (so `clip_B0ABCDEF12.mp4` and
 *    `Kettle (b0abcdef12)` hold one, `XB0ABCDEF12` does not). The file's own name is looked at
 *    first, then its folders from the deepest up to the chosen folder. The product with that ASIN
 *    is proposed; if there is none, a new product with it, titled by the folder that holds the
 *    ASIN (or, for an ASIN in a file name, the file's folder) with the ASIN taken out, and with
 *    that folder's parent as brand when the parent is below the chosen folder.
 * 2. **Title.** A folder whose name matches an existing product's title, ignoring case, accents,
 *    spaces and punctuation, deepest folder first. A title two products share matches neither.
 * 3. **Brand/Product.** A video at least two folders below the chosen folder: the first folder
 *    is the brand and the second the product (deeper folders are takes or days of that product),
 *    proposed as a new product.
 * 4. Otherwise **No product**.
 *
 * The chosen folder's own name is never taken as a brand or a new product's title: it is
 * usually a container ("Videos"). Names are only ever used as Map keys or compared, so a folder
 * named `__proto__` or `constructor` is a name like any other.
 */

/** The characters around an ASIN must not be letters or digits; `_`, spaces and brackets are fine. */
const ASIN_IN_TEXT = /(?<![A-Za-z0-9])B0[A-Za-z0-9]{8}(?![A-Za-z0-9])/gi;
const TITLE_MAX = 200;

/** The first ASIN in a name, upper-cased, or null. */
export function findAsin(name: string): string | null {
	const match = name.match(ASIN_IN_TEXT);
	return match ? match[0].toUpperCase() : null;
}

/** A title as compared: accents, case, spaces and punctuation do not count. */
export function normaliseTitle(text: string): string {
	return text
		.normalize('NFKD')
		.replace(/\p{M}/gu, '')
		.toLowerCase()
		.replace(/[^\p{L}\p{N}]+/gu, ' ')
		.trim();
}

/** A folder or file name as a product title or brand: ASINs and leftover brackets taken out. */
export function cleanName(text: string): string {
	let cleaned = text.replace(/\s+/g, ' ');
	if (findAsin(cleaned)) {
		// Only where an ASIN came out: the separators it leaves ("Kettle_", "- Kettle", "()") go too.
		cleaned = cleaned
			.replace(ASIN_IN_TEXT, ' ')
			.replace(/\(\s*\)|\[\s*\]|\{\s*\}/g, ' ')
			.replace(/\s+/g, ' ')
			.replace(/^[\s\-_.,;:#|/]+|[\s\-_.,;:#|/]+$/g, '');
	}
	return Array.from(cleaned.trim()).slice(0, TITLE_MAX).join('').trim();
}

/** A file name less its extension. */
export function stem(name: string): string {
	const dot = name.lastIndexOf('.');
	return dot > 0 ? name.slice(0, dot) : name;
}

export interface CatalogueProduct {
	id: string;
	title: string;
	asin: string | null;
	brand: string | null;
}

/** The person's products, looked up by ASIN and by normalised title. */
export class ProductCatalogue {
	readonly #byAsin = new Map<string, CatalogueProduct>();
	/** null: more than one product has this title, so a folder name cannot say which. */
	readonly #byTitle = new Map<string, CatalogueProduct | null>();
	readonly #byId = new Map<string, CatalogueProduct>();

	constructor(products: Iterable<CatalogueProduct>) {
		for (const product of products) this.add(product);
	}

	add(product: CatalogueProduct): void {
		this.#byId.set(product.id, product);
		if (product.asin) this.#byAsin.set(product.asin.toUpperCase(), product);
		const title = normaliseTitle(product.title);
		if (title) this.#byTitle.set(title, this.#byTitle.has(title) ? null : product);
	}

	byAsin(asin: string): CatalogueProduct | undefined {
		return this.#byAsin.get(asin.toUpperCase());
	}

	byTitle(name: string): CatalogueProduct | undefined {
		const key = normaliseTitle(name);
		return key ? (this.#byTitle.get(key) ?? undefined) : undefined;
	}

	byId(id: string): CatalogueProduct | undefined {
		return this.#byId.get(id);
	}

	get all(): CatalogueProduct[] {
		return [...this.#byId.values()];
	}
}

/** Where a found video sits: its folders from the chosen folder (first) down to its own. */
export interface FoundFile {
	folders: string[];
	name: string;
}

export type ProposalReason = 'asin-in-file-name' | 'asin-in-folder-name' | 'title-match' | 'brand-product-path' | 'no-match';

export type Proposal =
	| { kind: 'existing'; productId: string; reason: ProposalReason; source: string }
	| { kind: 'new'; draft: ProductDraft; reason: ProposalReason; source: string }
	| { kind: 'none'; reason: 'no-match' };

/** A product the import would create. Drafts with the same key are one product. */
export interface ProductDraft {
	key: string;
	title: string;
	brand: string | null;
	asin: string | null;
}

export function proposeProduct(file: FoundFile, catalogue: ProductCatalogue): Proposal {
	const folders = file.folders;
	const last = folders.length - 1;

	// 1. ASIN: the file's name, then its folders from the deepest up.
	const fileAsin = findAsin(stem(file.name));
	let asin = fileAsin;
	let holder = fileAsin ? last : -1;
	if (!asin) {
		for (let i = last; i >= 0; i--) {
			asin = findAsin(folders[i]!);
			if (asin) {
				holder = i;
				break;
			}
		}
	}
	if (asin) {
		const reason: ProposalReason = fileAsin ? 'asin-in-file-name' : 'asin-in-folder-name';
		const source = fileAsin ? file.name : folders[holder]!;
		const existing = catalogue.byAsin(asin);
		if (existing) return { kind: 'existing', productId: existing.id, reason, source };
		// The chosen folder (index 0) names neither product nor brand.
		const titleFrom = holder >= 1 ? cleanName(folders[holder]!) : '';
		const title = titleFrom || (fileAsin ? cleanName(stem(file.name)) : '') || asin;
		const brandIndex = holder - 1;
		const brand = brandIndex >= 1 && !findAsin(folders[brandIndex]!) ? cleanName(folders[brandIndex]!) || null : null;
		return { kind: 'new', draft: { key: `asin:${asin}`, title, brand, asin }, reason, source };
	}

	// 2. A folder named like an existing product, deepest first.
	for (let i = last; i >= 0; i--) {
		const match = catalogue.byTitle(folders[i]!);
		if (match) return { kind: 'existing', productId: match.id, reason: 'title-match', source: folders[i]! };
	}

	// 3. Brand/Product below the chosen folder.
	if (folders.length >= 3) {
		const brand = cleanName(folders[1]!);
		const title = cleanName(folders[2]!);
		if (brand && title) {
			return {
				kind: 'new',
				draft: { key: `title:${normaliseTitle(brand)}|${normaliseTitle(title)}`, title, brand, asin: null },
				reason: 'brand-product-path',
				source: `${folders[1]}/${folders[2]}`
			};
		}
	}

	return { kind: 'none', reason: 'no-match' };
}
