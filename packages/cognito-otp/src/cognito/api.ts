import { createHmac } from 'node:crypto';
import {
  type CognitoIdentityProviderClient,
  CompleteWebAuthnRegistrationCommand,
  ConfirmSignUpCommand,
  type ConfirmSignUpCommandOutput,
  DeleteWebAuthnCredentialCommand,
  GetTokensFromRefreshTokenCommand,
  type GetTokensFromRefreshTokenCommandOutput,
  GetUserCommand,
  type GetUserCommandOutput,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  type InitiateAuthCommandOutput,
  ListWebAuthnCredentialsCommand,
  type ListWebAuthnCredentialsCommandOutput,
  ResendConfirmationCodeCommand,
  type ResendConfirmationCodeCommandOutput,
  RespondToAuthChallengeCommand,
  type RespondToAuthChallengeCommandOutput,
  RevokeTokenCommand,
  SignUpCommand,
  type SignUpCommandOutput,
  StartWebAuthnRegistrationCommand,
  type StartWebAuthnRegistrationCommandOutput,
} from '@aws-sdk/client-cognito-identity-provider';
import type { OtpLogger } from '../options.js';
import { assertSingleAttempt } from './client.js';
import { type CognitoStep, cognitoErrorName, translateCognitoError } from './translate.js';

/** Base64(HMAC-SHA256(key: client secret, message: username + client id)), as Cognito defines it. */
export function secretHash(clientSecret: string, username: string, clientId: string): string {
  return createHmac('sha256', clientSecret)
    .update(username + clientId)
    .digest('base64');
}

export type OtpChallengeName = 'EMAIL_OTP' | 'SMS_OTP';

export interface CognitoApiOptions {
  client: CognitoIdentityProviderClient;
  /** For the OtpConfigError of a client with retries. */
  clientOption: string;
  clientId: string;
  clientSecret?: string;
  timeoutMs: number;
  profile: string;
  logger?: OtpLogger;
  /** Called with every call's duration, for the latency padding of made-up answers. */
  onDuration?: (step: CognitoStep, ms: number, ok: boolean) => void;
}

/** What an engine call tells Cognito about the end user: their IP (threat protection) and locale. */
export interface CallContext {
  /** The end user's IP address; '' when the caller had none that parses (then no UserContextData). */
  ip: string;
  locale?: string;
}

/**
 * The one way the engine talks to Cognito, for one client profile. Every call: a timeout of its own
 * (so a slow Cognito cannot hold a handle's lock past its lease), SECRET_HASH when the
 * app client has a secret, UserContextData with the end user's IP where the operation takes it, and
 * failures translated by the one table (./translate.ts) into OtpError, the original as `cause`.
 */
export class CognitoApi {
  constructor(private readonly options: CognitoApiOptions) {}

  private hash(username: string): string | undefined {
    const { clientSecret, clientId } = this.options;
    return clientSecret === undefined ? undefined : secretHash(clientSecret, username, clientId);
  }

  /** AuthParameters / ChallengeResponses with SECRET_HASH added when the client has a secret. */
  private withHash(username: string, entries: Record<string, string>): Record<string, string> {
    const hash = this.hash(username);
    return hash === undefined
      ? { USERNAME: username, ...entries }
      : { USERNAME: username, ...entries, SECRET_HASH: hash };
  }

  private userContext(call: CallContext): { IpAddress: string } | undefined {
    return call.ip === '' ? undefined : { IpAddress: call.ip };
  }

  private metadata(call: CallContext): Record<string, string> | undefined {
    return call.locale === undefined ? undefined : { locale: call.locale };
  }

  private async send<T>(step: CognitoStep, command: object, inputField?: string): Promise<T> {
    const { client, clientOption, timeoutMs, logger, profile, onDuration } = this.options;
    await assertSingleAttempt(client, clientOption);
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      // No per-call options: a client built with `cacheMiddleware` (createCognitoClient) then reuses
      // its resolved middleware stack instead of building it again for every call, which cost about
      // 100 µs of CPU per call (BENCHMARKS.md); per-call options would make the SDK skip that cache.
      // The timeout is therefore ours rather than an AbortSignal's: after `timeoutMs` we stop waiting
      // (a slow Cognito still cannot hold a handle's lock past its lease) and answer as for a timeout.
      // The abandoned request ends on its own: its late answer is ignored, and a Cognito that does not
      // answer at all is cut by the client's socket timeout (createCognitoClient's requestTimeoutMs).
      // biome-ignore lint/suspicious/noExplicitAny: one generic send for eight command types
      const pending = client.send(command as any) as Promise<T>;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          pending.catch(() => undefined);
          reject(
            Object.assign(new Error(`Cognito did not answer within ${timeoutMs} ms`), {
              name: 'TimeoutError',
            }),
          );
        }, timeoutMs);
      });
      const output = await Promise.race([pending, timeout]);
      const ms = performance.now() - started;
      onDuration?.(step, ms, true);
      logger?.({
        level: 'debug',
        event: 'cognito.call',
        profile,
        cognitoStep: step,
        durationMs: Math.round(ms),
      });
      return output;
    } catch (error) {
      const ms = performance.now() - started;
      onDuration?.(step, ms, false);
      const translated = translateCognitoError(error, step, inputField);
      logger?.({
        level: 'info',
        event: 'cognito.error',
        profile,
        cognitoStep: step,
        durationMs: Math.round(ms),
        cognitoError: cognitoErrorName(error) ?? (error instanceof Error ? error.name : 'unknown'),
        ...('code' in translated ? { errorCode: translated.code } : { signal: translated.kind }),
      });
      throw translated;
    } finally {
      clearTimeout(timer);
    }
  }

  signUp(
    call: CallContext,
    input: { username: string; email: string; phoneNumber?: string },
  ): Promise<SignUpCommandOutput> {
    const attributes = [{ Name: 'email', Value: input.email }];
    if (input.phoneNumber !== undefined) attributes.push({ Name: 'phone_number', Value: input.phoneNumber });
    return this.send(
      'SignUp',
      new SignUpCommand({
        ClientId: this.options.clientId,
        Username: input.username,
        SecretHash: this.hash(input.username),
        UserAttributes: attributes,
        ClientMetadata: this.metadata(call),
        UserContextData: this.userContext(call),
      }),
      'email',
    );
  }

  confirmSignUp(
    call: CallContext,
    input: { username: string; code: string; session?: string },
  ): Promise<ConfirmSignUpCommandOutput> {
    return this.send(
      'ConfirmSignUp',
      new ConfirmSignUpCommand({
        ClientId: this.options.clientId,
        Username: input.username,
        ConfirmationCode: input.code,
        SecretHash: this.hash(input.username),
        Session: input.session,
        ClientMetadata: this.metadata(call),
        UserContextData: this.userContext(call),
      }),
      'code',
    );
  }

  resendConfirmationCode(call: CallContext, username: string): Promise<ResendConfirmationCodeCommandOutput> {
    return this.send(
      'ResendConfirmationCode',
      new ResendConfirmationCodeCommand({
        ClientId: this.options.clientId,
        Username: username,
        SecretHash: this.hash(username),
        ClientMetadata: this.metadata(call),
        UserContextData: this.userContext(call),
      }),
    );
  }

  /** USER_AUTH asking for one factor: sends a code, issues WEB_AUTHN, or answers SELECT_CHALLENGE. */
  startUserAuth(
    call: CallContext,
    input: { username: string; preferred: OtpChallengeName | 'WEB_AUTHN'; inputField: string },
  ): Promise<InitiateAuthCommandOutput> {
    return this.send(
      'InitiateAuth',
      new InitiateAuthCommand({
        AuthFlow: 'USER_AUTH',
        ClientId: this.options.clientId,
        AuthParameters: this.withHash(input.username, { PREFERRED_CHALLENGE: input.preferred }),
        ClientMetadata: this.metadata(call),
        UserContextData: this.userContext(call),
      }),
      input.inputField,
    );
  }

  /** USER_AUTH with ConfirmSignUp's Session (top-level `Session`, the API model's field): tokens, no code. */
  autoSignIn(
    call: CallContext,
    input: { username: string; session: string },
  ): Promise<InitiateAuthCommandOutput> {
    return this.send(
      'AutoSignIn',
      new InitiateAuthCommand({
        AuthFlow: 'USER_AUTH',
        ClientId: this.options.clientId,
        AuthParameters: this.withHash(input.username, {}),
        Session: input.session,
        ClientMetadata: this.metadata(call),
        UserContextData: this.userContext(call),
      }),
    );
  }

  selectChallenge(
    call: CallContext,
    input: { username: string; session: string; answer: OtpChallengeName | 'WEB_AUTHN' },
  ): Promise<RespondToAuthChallengeCommandOutput> {
    return this.send(
      'SelectChallenge',
      new RespondToAuthChallengeCommand({
        ClientId: this.options.clientId,
        ChallengeName: 'SELECT_CHALLENGE',
        Session: input.session,
        ChallengeResponses: this.withHash(input.username, { ANSWER: input.answer }),
        ClientMetadata: this.metadata(call),
        UserContextData: this.userContext(call),
      }),
    );
  }

  respondToOtp(
    call: CallContext,
    input: { username: string; session: string; challenge: OtpChallengeName; code: string },
  ): Promise<RespondToAuthChallengeCommandOutput> {
    const field = input.challenge === 'EMAIL_OTP' ? 'EMAIL_OTP_CODE' : 'SMS_OTP_CODE';
    return this.send(
      'RespondToAuthChallenge',
      new RespondToAuthChallengeCommand({
        ClientId: this.options.clientId,
        ChallengeName: input.challenge,
        Session: input.session,
        ChallengeResponses: this.withHash(input.username, { [field]: input.code }),
        ClientMetadata: this.metadata(call),
        UserContextData: this.userContext(call),
      }),
      'code',
    );
  }

  /** RespondToAuthChallenge WEB_AUTHN: CREDENTIAL is the AuthenticationResponseJSON as a string. */
  respondToPasskey(
    call: CallContext,
    input: { username: string; session: string; credential: string },
  ): Promise<RespondToAuthChallengeCommandOutput> {
    return this.send(
      'RespondToPasskey',
      new RespondToAuthChallengeCommand({
        ClientId: this.options.clientId,
        ChallengeName: 'WEB_AUTHN',
        Session: input.session,
        ChallengeResponses: this.withHash(input.username, { CREDENTIAL: input.credential }),
        ClientMetadata: this.metadata(call),
        UserContextData: this.userContext(call),
      }),
      'credential',
    );
  }

  startWebAuthnRegistration(accessToken: string): Promise<StartWebAuthnRegistrationCommandOutput> {
    // Its only BAD_USER_INPUT is the passkey limit (LimitExceededException).
    return this.send(
      'StartWebAuthnRegistration',
      new StartWebAuthnRegistrationCommand({ AccessToken: accessToken }),
      'passkeys',
    );
  }

  /** `credential` is the RegistrationResponseJSON object (Cognito takes a document, not a string). */
  async completeWebAuthnRegistration(
    accessToken: string,
    credential: Record<string, unknown>,
  ): Promise<void> {
    await this.send(
      'CompleteWebAuthnRegistration',
      // biome-ignore lint/suspicious/noExplicitAny: the SDK types a JSON document loosely
      new CompleteWebAuthnRegistrationCommand({ AccessToken: accessToken, Credential: credential as any }),
      'credential',
    );
  }

  listWebAuthnCredentials(
    accessToken: string,
    nextToken?: string,
  ): Promise<ListWebAuthnCredentialsCommandOutput> {
    return this.send(
      'ListWebAuthnCredentials',
      new ListWebAuthnCredentialsCommand({ AccessToken: accessToken, NextToken: nextToken, MaxResults: 20 }),
    );
  }

  async deleteWebAuthnCredential(accessToken: string, credentialId: string): Promise<void> {
    await this.send(
      'DeleteWebAuthnCredential',
      new DeleteWebAuthnCredentialCommand({ AccessToken: accessToken, CredentialId: credentialId }),
      'id',
    );
  }

  getTokensFromRefreshToken(refreshToken: string): Promise<GetTokensFromRefreshTokenCommandOutput> {
    return this.send(
      'GetTokensFromRefreshToken',
      new GetTokensFromRefreshTokenCommand({
        ClientId: this.options.clientId,
        RefreshToken: refreshToken,
        ClientSecret: this.options.clientSecret,
      }),
    );
  }

  async revokeToken(refreshToken: string): Promise<void> {
    await this.send(
      'RevokeToken',
      new RevokeTokenCommand({
        ClientId: this.options.clientId,
        Token: refreshToken,
        ClientSecret: this.options.clientSecret,
      }),
    );
  }

  async getUser(accessToken: string): Promise<GetUserCommandOutput> {
    return this.send('GetUser', new GetUserCommand({ AccessToken: accessToken }));
  }

  async globalSignOut(accessToken: string): Promise<void> {
    await this.send('GlobalSignOut', new GlobalSignOutCommand({ AccessToken: accessToken }));
  }
}
