// Regenerates the generated documents under docs/.
import { writeFileSync } from 'node:fs';
import { renderReasonCodes } from '../src/report/reason-codes-doc.js';
import { renderOpenApi } from '../src/server/openapi.js';

writeFileSync(new URL('../docs/reason-codes.md', import.meta.url), renderReasonCodes());
writeFileSync(new URL('../docs/openapi.json', import.meta.url), renderOpenApi());
