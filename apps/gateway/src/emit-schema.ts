import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printGatewaySchema } from './schema/print.js';

/**
 * `pnpm --filter @otpgate/gateway schema:emit`: writes schema.graphql from the built schema. Commit
 * the result; schema.test.ts fails while it differs from the build.
 */
const target = fileURLToPath(new URL('../schema.graphql', import.meta.url));
writeFileSync(target, printGatewaySchema());
process.stdout.write(`wrote ${target}\n`);
