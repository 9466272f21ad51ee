// `npm run reset`: wipes the local stack's data (.local/): drives, database, accounts.
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';

const dir = resolve(import.meta.dirname, '..', '.local');
rmSync(dir, { recursive: true, force: true });
console.log(`Removed ${dir}. The next npm start seeds the demo data again.`);
