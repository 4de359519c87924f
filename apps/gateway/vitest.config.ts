import { otpgateVitestConfig } from '@otpgate/vitest-config';

export default otpgateVitestConfig({ graphqlFrom: import.meta.url });
