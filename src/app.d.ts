// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
	/** The PUBLIC_* settings, inlined by vite.config.ts and validated by src/lib/config.ts. */
	const __REELDRIVE_PUBLIC_ENV__: Record<string, string | undefined>;

	namespace App {
		interface Error {
			message: string;
			code?: string;
		}
	}
}

export {};
