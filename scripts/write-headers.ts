// After `vite build`: writes build/_headers so hosts that read it send the strict headers.
import { writeFileSync } from 'node:fs';
import { headersFile, headersForBuild } from './lib/security-headers';

writeFileSync('build/_headers', headersFile(headersForBuild('build')));
console.log('wrote build/_headers');
