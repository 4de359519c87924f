import type { Clock } from './clock.js';
import { CognitoError } from './errors.js';

/** Cognito's request-rate quota categories (per account and region), for the operations we emulate. */
export type QuotaCategory =
  | 'UserAuthentication'
  | 'UserCreation'
  | 'UserAccountRecovery'
  | 'UserRead'
  | 'UserToken'
  | 'UserUpdate'
  | 'UserList'
  | 'UserPoolRead'
  | 'UserPoolUpdate'
  | 'UserPoolCreate';

const CATEGORY: Record<string, QuotaCategory> = {
  InitiateAuth: 'UserAuthentication',
  RespondToAuthChallenge: 'UserAuthentication',
  SignUp: 'UserCreation',
  ConfirmSignUp: 'UserCreation',
  ResendConfirmationCode: 'UserAccountRecovery',
  GetUser: 'UserRead',
  AdminGetUser: 'UserRead',
  GetTokensFromRefreshToken: 'UserToken',
  RevokeToken: 'UserToken',
  GlobalSignOut: 'UserToken',
  AdminDeleteUser: 'UserUpdate',
  AdminSetUserMFAPreference: 'UserUpdate',
  ListUsers: 'UserList',
  StartWebAuthnRegistration: 'UserUpdate',
  CompleteWebAuthnRegistration: 'UserUpdate',
  DeleteWebAuthnCredential: 'UserUpdate',
  ListWebAuthnCredentials: 'UserRead',
  GetUserPoolMfaConfig: 'UserPoolRead',
  SetUserPoolMfaConfig: 'UserPoolUpdate',
  DescribeUserPool: 'UserPoolRead',
  DescribeUserPoolClient: 'UserPoolRead',
  CreateUserPool: 'UserPoolCreate',
  CreateUserPoolClient: 'UserPoolUpdate',
};

/**
 * Requests per second per category, counted in windows of one second of the emulator's clock, so a
 * test fills a window and moves the clock instead of racing real time. Unset categories are unlimited
 * (the default): a test or a developer opts in to throttling.
 */
export class Quotas {
  #limits: Partial<Record<QuotaCategory, number>>;
  #window = -1;
  #used = new Map<QuotaCategory, number>();

  constructor(
    private readonly clock: Clock,
    limits: Partial<Record<QuotaCategory, number>> = {},
  ) {
    this.#limits = { ...limits };
  }

  set(limits: Partial<Record<QuotaCategory, number>>): void {
    this.#limits = { ...limits };
  }

  /** Counts one call of `operation`; throws TooManyRequestsException past its category's rate. */
  take(operation: string): void {
    const category = CATEGORY[operation];
    const limit = category === undefined ? undefined : this.#limits[category];
    if (category === undefined || limit === undefined) return;
    const window = Math.floor(this.clock.now() / 1000);
    if (window !== this.#window) {
      this.#window = window;
      this.#used.clear();
    }
    const used = this.#used.get(category) ?? 0;
    if (used >= limit) throw new CognitoError('TooManyRequestsException', 'Rate exceeded');
    this.#used.set(category, used + 1);
  }
}
