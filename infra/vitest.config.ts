import { otpgateVitestConfig } from '@otpgate/vitest-config';

// Each synth takes seconds on two cores; the CLI test starts a second Node process on top.
export default otpgateVitestConfig({ include: ['test/**/*.test.ts'], testTimeout: 60_000 });
