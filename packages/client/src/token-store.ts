import type { AuthTokens } from './types.js';

/**
 * Where the client keeps the tokens of the last `DONE` step, if anywhere. The client has no storage
 * policy of its own: pass `createMemoryTokenStore()` for tokens that live as long as the page, or your
 * own implementation (a mobile keychain, a server session); omit it and tokens are only returned.
 */
export interface TokenStore {
  get(): AuthTokens | null;
  /** null: forget them (after `signOut`). */
  set(tokens: AuthTokens | null): void;
}

/**
 * Tokens in a closure: gone on reload, out of reach of other tabs and of `localStorage` scrapers.
 * Pair it with a `cookie` profile to survive reloads (`refreshTokens()` reads the httpOnly cookie).
 */
export function createMemoryTokenStore(initial: AuthTokens | null = null): TokenStore {
  let tokens = initial;
  return {
    get: () => tokens,
    set(next) {
      tokens = next;
    },
  };
}
