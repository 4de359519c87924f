import { otpgateVitestConfig } from '@otpgate/vitest-config';

// The engine's own tests use @otpgate/testing, which depends on the engine: declaring it here would
// make a workspace cycle, so the tests reach its source by path (tsconfig.json `paths` says the same).
export default otpgateVitestConfig({
  sourceOf: { '@otpgate/testing': new URL('../testing/src/index.ts', import.meta.url) },
});
