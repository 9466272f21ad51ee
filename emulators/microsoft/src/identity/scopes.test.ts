import { describe, expect, it } from 'vitest';
import { normalizeScope, resourceScopes, unknownScope } from './scopes';

describe('scopes', () => {
	it('treats the short and the resource-qualified spelling alike', () => {
		expect(normalizeScope('https://graph.microsoft.com/Files.ReadWrite')).toBe('files.readwrite');
		expect(normalizeScope('Files.ReadWrite')).toBe('files.readwrite');
	});

	it('keeps the requested spelling, drops OIDC scopes and expands .default', () => {
		expect(resourceScopes(['openid', 'Files.ReadWrite', 'offline_access', 'files.readwrite'])).toEqual(['Files.ReadWrite']);
		expect(resourceScopes(['https://graph.microsoft.com/.default'])).toEqual(['User.Read', 'Files.ReadWrite']);
	});

	it('finds scopes the emulator does not know', () => {
		expect(unknownScope(['openid', 'User.Read'])).toBeUndefined();
		expect(unknownScope(['openid', 'api://other/Thing.Do'])).toBe('api://other/Thing.Do');
	});
});
