import type { ViteUserConfig } from 'vitest/config';

export interface OtpgateVitestOptions {
  /** Test files. @default ['src/**\/*.test.ts', 'test/**\/*.test.ts'] */
  include?: string[];
  /** Milliseconds per test. @default 30000 */
  testTimeout?: number;
  /** Milliseconds per hook (servers and clusters start in hooks). @default 60000 */
  hookTimeout?: number;
  /**
   * For suites that load the gateway from source: a `package.json` URL whose `graphql` dependency every
   * bare `graphql` import is pinned to (one copy for type-graphql, Apollo Server and the tests).
   */
  graphqlFrom?: URL | string;
}

/** The shared vitest configuration; a package's vitest.config.ts only says what differs. */
export function otpgateVitestConfig(options?: OtpgateVitestOptions): ViteUserConfig;
