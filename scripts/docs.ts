// Regenerates the generated documents under docs/.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { renderManPages } from '../src/cli/man-pages.js';
import { renderReasonCodes } from '../src/report/reason-codes-doc.js';
import { openApiText } from '../src/server/openapi-document.js';

writeFileSync(new URL('../docs/reason-codes.md', import.meta.url), renderReasonCodes());
writeFileSync(new URL('../docs/openapi.json', import.meta.url), await openApiText());

// Manual pages, from the commands' own --help definitions.
const man = new URL('../docs/man/', import.meta.url);
rmSync(man, { recursive: true, force: true });
mkdirSync(man, { recursive: true });
for (const [name, text] of renderManPages()) writeFileSync(new URL(name, man), text);
