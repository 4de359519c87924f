import { otpgateVitestConfig } from '@otpgate/vitest-config';

export default otpgateVitestConfig();
