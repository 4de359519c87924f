import 'reflect-metadata';
import { Ctx, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../context.js';
import { gatewayError } from '../errors.js';
import { User } from './user.type.js';

@Resolver()
export class MeResolver {
  /**
   * The signed-in user, from `Authorization: Bearer <access token>`: null without the header;
   * UNAUTHENTICATED for a malformed, forged, expired, foreign-profile or revoked token. The token is
   * verified locally first (JWKS signature, issuer, this profile's app client), then the engine asks
   * Cognito (GetUser, under the engine's request limit and timeout), which is what tells a revoked
   * token and gives the attributes an access token does not carry (email, phone number).
   */
  @Query(() => User, { nullable: true })
  async me(@Ctx() context: GatewayContext): Promise<User | null> {
    const { authorization } = context;
    if (authorization.kind === 'none') return null;
    if (authorization.kind === 'invalid')
      throw gatewayError('UNAUTHENTICATED', 'The access token is not valid.');
    await context.services.accessTokens.verify(authorization.token, context.profile);
    const end = context.services.metrics.engineDuration.startTimer({ operation: 'getUser' });
    try {
      return await context.services.engine.getUser({ accessToken: authorization.token }, context.request);
    } finally {
      end();
    }
  }
}
