import { otpgateVitestConfig } from '@otpgate/vitest-config';

// The browser test starts the gateway from source; graphql is the gateway's dependency, not ours.
export default otpgateVitestConfig({
  graphqlFrom: new URL('../gateway/package.json', import.meta.url),
  testTimeout: 60_000,
  hookTimeout: 90_000,
});
