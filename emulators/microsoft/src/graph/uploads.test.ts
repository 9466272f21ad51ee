import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { QuickXorHash } from '../quick-xor-hash';
import { receive } from './uploads';

describe('receive', () => {
	it('keeps nothing, and does not throw, when the part file is gone (a session deleted while a PUT was on its way)', async () => {
		const body = Readable.from([Buffer.from('some fragment bytes')]) as unknown as IncomingMessage;
		const outcome = await receive(body, '/nonexistent/reeldrive/part-file.part', 0, new QuickXorHash(), { keep: 19 });
		expect(outcome).toEqual({ kept: 0, consumed: 0, aborted: true });
	});
});
