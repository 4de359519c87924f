import type { ViteUserConfigFnObject } from 'vitest/config';

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
  /**
   * Workspace packages a suite reaches by their source file instead of a declared dependency, for a
   * package whose tests use a helper package that itself depends on it (a dependency would be a cycle).
   */
  sourceOf?: Record<string, URL | string>;
}

/**
 * The shared vitest configuration; a package's vitest.config.ts only says what differs. With
 * `vitest run --mode unit` (the `test:unit` scripts) it leaves out `*.int.test.ts` files and loads
 * no-servers.js, which makes listening, connecting and spawning throw.
 */
export function otpgateVitestConfig(options?: OtpgateVitestOptions): ViteUserConfigFnObject;
