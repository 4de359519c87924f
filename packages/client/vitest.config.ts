import { otpgateVitestConfig } from '@otpgate/vitest-config';

// The integration tests start the gateway from source, and the documents are validated with graphql.
export default otpgateVitestConfig({ graphqlFrom: import.meta.url });
