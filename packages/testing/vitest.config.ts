import { otpgateVitestConfig } from '@otpgate/vitest-config';

// The process tests start tiny Node children; the Redis tests start redis-server and a cluster.
export default otpgateVitestConfig();
