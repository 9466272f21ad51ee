/**
 * Checking what a person typed into the product form, with messages that say how to fix it.
 * The database enforces the same rules (products_* constraints); this is the helpful first line.
 */
export interface ProductInput {
	title: string;
	asin: string;
	brand: string;
	notes: string;
}

export interface ProductFieldValues {
	title: string;
	asin: string | null;
	brand: string | null;
	notes: string | null;
}

export type ProductProblems = Partial<Record<keyof ProductInput, string>>;

export type ProductCheck = { ok: true; value: ProductFieldValues } | { ok: false; problems: ProductProblems };

/** Amazon's ASIN: ten capital letters or digits (ISBN-10 for books has the same form). */
const ASIN = /^[A-Z0-9]{10}$/;

/** Upper-cases and removes spaces and dashes people paste along with an ASIN. */
export function normaliseAsin(input: string): string {
	return input.replace(/[\s-]+/g, '').toUpperCase();
}

export function asinProblem(input: string): string | null {
	const asin = normaliseAsin(input);
	if (!asin) return null;
	if (/[^A-Z0-9]/.test(asin)) {
		return 'An ASIN has only letters and digits, like B08N5WRWNW. Check for stray characters.';
	}
	if (asin.length !== 10) {
		return `An ASIN is exactly 10 letters or digits, like B08N5WRWNW; this one has ${asin.length}.`;
	}
	return null;
}

export function checkProduct(input: ProductInput): ProductCheck {
	const problems: ProductProblems = {};
	const title = input.title.trim();
	if (!title) problems.title = 'Give the product a title, for example "Blender, 1.5 l".';
	else if (title.length > 200) problems.title = `Keep the title to 200 characters; it has ${title.length}.`;
	const asin = asinProblem(input.asin);
	if (asin) problems.asin = asin;
	const brand = input.brand.trim();
	if (brand.length > 200) problems.brand = `Keep the brand to 200 characters; it has ${brand.length}.`;
	const notes = input.notes.trim();
	if (notes.length > 10000) problems.notes = 'Keep the notes under 10,000 characters.';
	if (Object.keys(problems).length > 0) return { ok: false, problems };
	const normalisedAsin = normaliseAsin(input.asin);
	return {
		ok: true,
		value: { title, asin: ASIN.test(normalisedAsin) ? normalisedAsin : null, brand: brand || null, notes: notes || null }
	};
}
