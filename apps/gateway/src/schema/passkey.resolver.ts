import 'reflect-metadata';
import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../context.js';
import { timed } from './auth.resolver.js';
import { AuthStep } from './auth-step.type.js';
import { CompletePasskeyRegistrationInput } from './complete-passkey-registration.input.js';
import { JSONScalar } from './json.scalar.js';
import { Passkey } from './passkey.type.js';
import { bearerToken, requireWebAuthnOrigin } from './passkey-guards.js';
import { presentStep } from './present.js';
import { VerifyPasskeyInput } from './verify-passkey.input.js';

/**
 * Passkeys (docs/API.md section 1b): sign-in with a passkey on a handle, and the signed-in user's
 * passkeys. Ceremonies need a request `Origin` among the profile's webAuthnOrigins; the account
 * operations need a verified Bearer access token. The engine does the rest.
 */
@Resolver()
export class PasskeyResolver {
  @Query(() => [Passkey])
  async passkeys(@Ctx() context: GatewayContext): Promise<Passkey[]> {
    const accessToken = await bearerToken(context);
    return timed(context, 'listPasskeys', (engine) => engine.listPasskeys({ accessToken }, context.request));
  }

  @Mutation(() => AuthStep)
  async verifyPasskey(
    @Arg('input', () => VerifyPasskeyInput) input: VerifyPasskeyInput,
    @Ctx() context: GatewayContext,
  ): Promise<AuthStep> {
    requireWebAuthnOrigin(context);
    const step = await timed(context, 'verifyPasskey', (engine) =>
      engine.verifyPasskey({ handle: input.handle, credential: input.credential }, context.request),
    );
    return presentStep(step, context);
  }

  @Mutation(() => JSONScalar)
  async startPasskeyRegistration(@Ctx() context: GatewayContext): Promise<Record<string, unknown>> {
    requireWebAuthnOrigin(context);
    const accessToken = await bearerToken(context);
    return timed(context, 'startPasskeyRegistration', (engine) =>
      engine.startPasskeyRegistration({ accessToken }, context.request),
    );
  }

  @Mutation(() => Passkey)
  async completePasskeyRegistration(
    @Arg('input', () => CompletePasskeyRegistrationInput) input: CompletePasskeyRegistrationInput,
    @Ctx() context: GatewayContext,
  ): Promise<Passkey> {
    requireWebAuthnOrigin(context);
    const accessToken = await bearerToken(context);
    return timed(context, 'completePasskeyRegistration', (engine) =>
      engine.completePasskeyRegistration({ accessToken, credential: input.credential }, context.request),
    );
  }

  @Mutation(() => Boolean)
  async deletePasskey(@Arg('id', () => ID) id: string, @Ctx() context: GatewayContext): Promise<boolean> {
    const accessToken = await bearerToken(context);
    return timed(context, 'deletePasskey', (engine) =>
      engine.deletePasskey({ accessToken, id }, context.request),
    );
  }
}
