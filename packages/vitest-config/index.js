// Plain JavaScript on purpose: vitest loads config files before any TypeScript source condition applies.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

// Tests read workspace packages from source (the "@otpgate/source" export condition), never from dist.
// The rest is Vite's default server conditions without "module": vitest 4.1's 'vitest/config' does not
// re-export `defaultServerConditions`, and "module" would make Node load the AWS SDK's extensionless
// `dist-es` files for externalized dependencies.
const conditions = ['@otpgate/source', 'node', 'development|production'];

/** Files that start servers, processes or browsers: left out of unit runs. */
const INTEGRATION_FILES = '**/*.int.test.ts';

/** @param {import('./index.d.ts').OtpgateVitestOptions} [options] */
export function otpgateVitestConfig(options = {}) {
  // graphql 16 ships `index.mjs` (its "module" field, which Vite follows for our source files) beside
  // `index.js` (what Node, and so type-graphql and Apollo Server, load). Two copies break `instanceof`
  // ("another module or realm"): point every bare `graphql` import at the one Node uses.
  const alias = [
    ...(options.graphqlFrom
      ? [{ find: /^graphql$/, replacement: createRequire(options.graphqlFrom).resolve('graphql') }]
      : []),
    ...Object.entries(options.sourceOf ?? {}).map(([name, file]) => ({
      find: new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`),
      replacement: file instanceof URL ? fileURLToPath(file) : file,
    })),
  ];
  // `vitest run --mode unit` (each package's test:unit script): no *.int.test.ts files, and any test
  // that still starts a server, opens a connection or runs a program fails (see no-servers.js).
  return defineConfig(({ mode }) => {
    const unit = mode === 'unit';
    return {
      resolve: { conditions, alias },
      ssr: { resolve: { conditions } },
      test: {
        include: options.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
        exclude: unit ? [...configDefaults.exclude, INTEGRATION_FILES] : configDefaults.exclude,
        setupFiles: unit ? [new URL('./no-servers.js', import.meta.url).pathname] : [],
        // Unit runs have nothing to wait for: a package without unit tests is not an error.
        passWithNoTests: unit,
        // Two cores shared by every suite: two forks at most. Integration files start their own
        // emulators, redis-server processes and gateways on free ports, so files never share state.
        pool: 'forks',
        maxWorkers: 2,
        testTimeout: options.testTimeout ?? 30_000,
        hookTimeout: options.hookTimeout ?? 60_000,
        // The AWS SDK warns once per process that its 2027 releases need Node 22; a test run is not the
        // place for it (the gateway still shows it to operators).
        env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    };
  });
}
