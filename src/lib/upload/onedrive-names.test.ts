import { describe, expect, it } from 'vitest';
import { MAX_NAME_LENGTH, sanitiseOneDriveName } from './onedrive-names';

describe('sanitiseOneDriveName', () => {
	it('leaves a good name alone', () => {
		expect(sanitiseOneDriveName('Spring launch #2 (final) 100%.mp4')).toEqual({
			name: 'Spring launch #2 (final) 100%.mp4',
			changed: false,
			fixes: []
		});
	});

	it.each([
		['a"b*c:d<e>f?g/h\\i|j.mp4', 'a_b_c_d_e_f_g_h_i_j.mp4', ['forbidden-characters']],
		['  clip.mp4  ', 'clip.mp4', ['surrounding-spaces']],
		['clip.mp4.', 'clip.mp4', ['trailing-dots']],
		['clip.mp4. . ', 'clip.mp4', ['surrounding-spaces', 'trailing-dots']],
		['tab\there.mp4', 'tabhere.mp4', ['control-characters']],
		['CON', 'CON_', ['reserved-name']],
		['con.mp4', 'con_.mp4', ['reserved-name']],
		['Lpt9.MOV', 'Lpt9_.MOV', ['reserved-name']],
		['COM0.webm', 'COM0_.webm', ['reserved-name']],
		['nul', 'nul_', ['reserved-name']],
		['desktop.ini', '_desktop.ini', ['reserved-name']],
		['.lock', '_.lock', ['reserved-name']],
		['~$draft.mp4', '~_draft.mp4', ['reserved-prefix']],
		['my_vti_clip.mp4', 'my_vti-clip.mp4', ['reserved-fragment']],
		['...', 'video', ['trailing-dots', 'empty']],
		['', 'video', ['empty']]
	] as const)('fixes %j → %j', (input, expected, fixes) => {
		const result = sanitiseOneDriveName(input);
		expect(result.name).toBe(expected);
		expect(result.changed).toBe(true);
		expect(result.fixes).toEqual(fixes);
	});

	it('does not mistake names that merely contain a device name', () => {
		for (const name of ['CONcert.mp4', 'console.mp4', 'com10.mp4', 'auxiliary.mov', 'my desktop.ini.mp4']) {
			expect(sanitiseOneDriveName(name).changed, name).toBe(false);
		}
	});

	it('shortens long names and keeps the extension', () => {
		const long = `${'é'.repeat(300)}.mp4`;
		const result = sanitiseOneDriveName(long);
		expect(result.name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
		expect(result.name.endsWith('.mp4')).toBe(true);
		expect(result.fixes).toEqual(['too-long']);
	});

	it('never splits a surrogate pair when shortening', () => {
		const result = sanitiseOneDriveName(`${'🎬'.repeat(200)}.mp4`);
		expect(result.name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
		expect(/[\ud800-\udbff](?![\udc00-\udfff])/.test(result.name)).toBe(false);
	});

	it('is idempotent', () => {
		for (const name of ['a:b.mp4 ', 'CON.mp4', '~$x', '_vti_', `${'x'.repeat(400)}.mov`, '  . ']) {
			const once = sanitiseOneDriveName(name).name;
			expect(sanitiseOneDriveName(once)).toEqual({ name: once, changed: false, fixes: [] });
		}
	});
});
