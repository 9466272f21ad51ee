/** The emulator's clock: real time plus an offset that tests move forward through the control API. */
export class EmulatorClock {
	constructor(public offsetMs = 0) {}

	now(): number {
		return Date.now() + this.offsetMs;
	}

	nowSeconds(): number {
		return Math.floor(this.now() / 1000);
	}

	advance(seconds: number): void {
		this.offsetMs += Math.round(seconds * 1000);
	}

	iso(ms = this.now()): string {
		return new Date(ms).toISOString();
	}

	/** Item timestamps, to the second as OneDrive shows them (2016-03-21T20:01:37Z). */
	stamp(ms = this.now()): string {
		return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
	}
}
