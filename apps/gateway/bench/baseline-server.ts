import { ApolloServer } from '@apollo/server';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify from 'fastify';

/**
 * The benchmark's baseline: a bare Apollo Server 5 on Fastify with one trivial mutation, nothing of
 * the gateway (no logger, plugins, armor, CORS, engine). The gateway's CPU per mutation is reported as
 * a multiple of this server's CPU per `echo`, so the ratio says what the gateway adds on top of the
 * GraphQL stack itself, on the same machine and in the same run.
 *
 * Same stack versions and the same production settings the gateway uses where they change per-request
 * work (production mode, CSRF prevention on, batching off), so the only difference is our code.
 * Prints `{"url": ...}` on stdout once listening; stops on SIGTERM.
 */

const typeDefs = `#graphql
  input EchoInput { value: String! }
  type Echo { ok: Boolean!, value: String! }
  type Query { ok: Boolean! }
  type Mutation { echo(input: EchoInput!): Echo! }
`;

const resolvers = {
  Query: { ok: () => true },
  Mutation: {
    echo: (_parent: unknown, args: { input: { value: string } }) => ({ ok: true, value: args.input.value }),
  },
};

const apollo = new ApolloServer({
  typeDefs,
  resolvers,
  csrfPrevention: true,
  allowBatchedHttpRequests: false,
  introspection: false,
  nodeEnv: 'production',
  stopOnTerminationSignals: false,
});
await apollo.start();

const app = Fastify({ logger: false, keepAliveTimeout: 65_000 });
app.route({ method: ['GET', 'POST'], url: '/graphql', handler: fastifyApolloHandler(apollo) });
app.addHook('onClose', async () => {
  await apollo.stop();
});

const url = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ url })}\n`);

process.once('SIGTERM', () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
