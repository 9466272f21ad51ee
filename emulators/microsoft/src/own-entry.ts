/**
 * `record[key]` for a key that came from outside (a URL, a file name, bytes of a file), counting
 * only the record's own entries: "constructor" or "__proto__" must not find what every object
 * inherits from Object.prototype.
 */
export function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
	return Object.hasOwn(record, key) ? record[key] : undefined;
}
