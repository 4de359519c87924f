import { otpgateVitestConfig } from '@otpgate/vitest-config';

// Each test file starts its own emulator on port 0.
export default otpgateVitestConfig({ testTimeout: 20_000 });
