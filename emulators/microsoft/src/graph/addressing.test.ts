import { describe, expect, it } from 'vitest';
import { AddressError, parseGraphPath } from './addressing';

describe('parseGraphPath', () => {
	it('reads the user, the drive and the root', () => {
		expect(parseGraphPath('/me')).toEqual({ kind: 'me' });
		expect(parseGraphPath('/me/drive')).toMatchObject({ kind: 'drive', drive: { me: true }, action: [] });
		expect(parseGraphPath('/drives/ABC')).toMatchObject({ kind: 'drive', drive: { id: 'ABC' } });
		expect(parseGraphPath('/me/drive/root')).toMatchObject({ kind: 'item', base: { root: true }, path: null, action: [] });
	});

	it('reads items by id, with %21 in the id', () => {
		expect(parseGraphPath('/me/drive/items/ABC%21105/children')).toMatchObject({ base: { id: 'ABC!105' }, action: ['children'] });
	});

	it('reads path addressing with and without the closing colon', () => {
		expect(parseGraphPath('/me/drive/root:/Videos/My%20clip.mp4')).toMatchObject({ path: ['Videos', 'My clip.mp4'], action: [] });
		expect(parseGraphPath('/me/drive/root:/Videos/My%20clip.mp4:')).toMatchObject({ path: ['Videos', 'My clip.mp4'], action: [] });
		expect(parseGraphPath('/me/drive/root:/Videos/a.mp4:/createUploadSession')).toMatchObject({ path: ['Videos', 'a.mp4'], action: ['createUploadSession'] });
		expect(parseGraphPath('/drives/D/items/D!101:/new%23name.mp4:/content')).toMatchObject({ base: { id: 'D!101' }, path: ['new#name.mp4'], action: ['content'] });
		expect(parseGraphPath('/me/drive/root:/:/children')).toMatchObject({ path: [], action: ['children'] });
	});

	it('reads function calls', () => {
		expect(parseGraphPath("/me/drive/root/search(q='it''s%20here')")).toMatchObject({ action: ['search'], call: { name: 'search', args: new Map([['q', "it's here"]]) } });
		expect(parseGraphPath("/me/drive/root/delta(token='abc')")).toMatchObject({ action: ['delta'], call: { args: new Map([['token', 'abc']]) } });
		expect(parseGraphPath('/me/drive/root/delta()')).toMatchObject({ action: ['delta'], call: { args: new Map() } });
		expect(parseGraphPath("/me/drive/search(q='x')")).toMatchObject({ kind: 'drive', action: ['search'] });
	});

	it('rejects what is not a drive URL or not decodable', () => {
		expect(parseGraphPath('/users')).toBeUndefined();
		expect(() => parseGraphPath('/me/drive/root:/bad%E0%A4%A')).toThrow(AddressError);
	});
});
