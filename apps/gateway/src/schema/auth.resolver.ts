import 'reflect-metadata';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { GatewayContext, GatewayEngine } from '../context.js';
import { gatewayError } from '../errors.js';
import { AuthStep } from './auth-step.type.js';
import { ConfirmSignUpInput } from './confirm-sign-up.input.js';
import { requireWebAuthnOrigin } from './passkey-guards.js';
import { optional, presentStep } from './present.js';
import { RefreshTokensInput } from './refresh-tokens.input.js';
import { ResendOtpInput } from './resend-otp.input.js';
import { SignOutInput } from './sign-out.input.js';
import { SignUpInput } from './sign-up.input.js';
import { StartSignInInput } from './start-sign-in.input.js';
import { VerifyOtpInput } from './verify-otp.input.js';

type Flow = keyof GatewayEngine;

/** Times one engine call for /metrics; the engine's own errors pass through untouched. */
export async function timed<T>(
  context: GatewayContext,
  flow: Flow,
  call: (engine: GatewayEngine) => Promise<T>,
): Promise<T> {
  const end = context.services.metrics.engineDuration.startTimer({ operation: flow });
  try {
    return await call(context.services.engine);
  } finally {
    end();
  }
}

/**
 * The seven flow mutations: translate GraphQL input to engine input, call the engine, present the
 * step. No flow logic lives here; every refusal comes from the engine as an OtpError and is mapped in
 * errors.ts. Input length caps run before (schema/input-limits.ts).
 */
@Resolver()
export class AuthResolver {
  @Mutation(() => AuthStep)
  async signUp(
    @Arg('input', () => SignUpInput) input: SignUpInput,
    @Ctx() context: GatewayContext,
  ): Promise<AuthStep> {
    const step = await timed(context, 'signUp', (engine) =>
      engine.signUp(
        {
          email: input.email,
          ...optional('phoneNumber', input.phoneNumber),
          ...optional('locale', input.locale),
        },
        context.request,
      ),
    );
    return presentStep(step, context);
  }

  @Mutation(() => AuthStep)
  async confirmSignUp(
    @Arg('input', () => ConfirmSignUpInput) input: ConfirmSignUpInput,
    @Ctx() context: GatewayContext,
  ): Promise<AuthStep> {
    const step = await timed(context, 'confirmSignUp', (engine) =>
      engine.confirmSignUp({ handle: input.handle, code: input.code }, context.request),
    );
    return presentStep(step, context);
  }

  @Mutation(() => AuthStep)
  async startSignIn(
    @Arg('input', () => StartSignInInput) input: StartSignInInput,
    @Ctx() context: GatewayContext,
  ): Promise<AuthStep> {
    if (input.method === 'PASSKEY') requireWebAuthnOrigin(context);
    const step = await timed(context, 'startSignIn', (engine) =>
      engine.startSignIn(
        {
          ...optional('email', input.email),
          ...optional('phoneNumber', input.phoneNumber),
          ...optional('channel', input.channel),
          ...optional('method', input.method),
        },
        context.request,
      ),
    );
    return presentStep(step, context);
  }

  @Mutation(() => AuthStep)
  async verifyOtp(
    @Arg('input', () => VerifyOtpInput) input: VerifyOtpInput,
    @Ctx() context: GatewayContext,
  ): Promise<AuthStep> {
    const step = await timed(context, 'verifyOtp', (engine) =>
      engine.verifyOtp({ handle: input.handle, code: input.code }, context.request),
    );
    return presentStep(step, context);
  }

  @Mutation(() => AuthStep)
  async resendOtp(
    @Arg('input', () => ResendOtpInput) input: ResendOtpInput,
    @Ctx() context: GatewayContext,
  ): Promise<AuthStep> {
    const step = await timed(context, 'resendOtp', (engine) =>
      engine.resendOtp({ handle: input.handle }, context.request),
    );
    return presentStep(step, context);
  }

  /** The refresh token comes from the input, else (cookie profiles) from the profile's cookie. */
  @Mutation(() => AuthStep)
  async refreshTokens(
    @Arg('input', () => RefreshTokensInput) input: RefreshTokensInput,
    @Ctx() context: GatewayContext,
  ): Promise<AuthStep> {
    const refreshToken = input.refreshToken || context.refreshCookie.read();
    if (!refreshToken) throw gatewayError('UNAUTHENTICATED', 'No refresh token.');
    const step = await timed(context, 'refreshTokens', (engine) =>
      engine.refreshTokens({ refreshToken }, context.request),
    );
    return presentStep(step, context);
  }

  /**
   * Revokes the refresh token (input or cookie); `global: true` also signs the user out everywhere,
   * with the Bearer access token, verified first so a token of another profile cannot be used. A
   * cookie profile's cookie is cleared whatever Cognito answers: the browser ends up signed out.
   */
  @Mutation(() => Boolean)
  async signOut(
    @Arg('input', () => SignOutInput) input: SignOutInput,
    @Ctx() context: GatewayContext,
  ): Promise<boolean> {
    const refreshToken = input.refreshToken || context.refreshCookie.read();
    try {
      let accessToken: string | undefined;
      if (input.global) {
        const { authorization } = context;
        if (authorization.kind !== 'bearer') {
          throw gatewayError(
            'UNAUTHENTICATED',
            'A global sign-out needs the access token in Authorization: Bearer.',
          );
        }
        await context.services.accessTokens.verify(authorization.token, context.profile);
        accessToken = authorization.token;
      }
      return await timed(context, 'signOut', (engine) =>
        engine.signOut(
          {
            ...optional('refreshToken', refreshToken),
            ...optional('accessToken', accessToken),
            global: input.global === true,
          },
          context.request,
        ),
      );
    } finally {
      context.refreshCookie.clear();
    }
  }
}
