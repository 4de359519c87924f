/**
 * Whose CPU a V8 sampling profile shows: each sample is given to one owner by the frames of its stack.
 *
 * - `sdk`: a frame of the AWS SDK (`@aws-sdk/*`, `@smithy/*`) anywhere on the stack: the Cognito call,
 *   the floor the engine cannot go under (it wins over the engine frames that called it).
 * - `engine`: otherwise a frame of the engine (`cognito-otp`) or of its Redis client (ioredis and the
 *   packages it parses replies with), which only the engine uses.
 * - `other`: the rest: HTTP, Fastify, Apollo, GraphQL, logging, metrics, and what V8 does not place
 *   in a stack (`(garbage collector)`, `(program)`). Garbage the engine allocates is collected there,
 *   so the engine's share is a lower bound.
 */

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export type Owner = 'sdk' | 'engine' | 'other';
export type Attribution = Record<Owner, number> & { idle: number };

const SDK = /\/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?@(aws-sdk|smithy)\//;
const ENGINE =
  /\/packages\/cognito-otp\/|\/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?(@otpgate\/cognito-otp|ioredis|redis-parser|redis-errors|standard-as-callback|denque|cluster-key-slot)\//;

function ownerOf(frame: CallFrame): Owner | undefined {
  if (SDK.test(frame.url)) return 'sdk';
  if (ENGINE.test(frame.url)) return 'engine';
  return undefined;
}

/** Microseconds of samples per owner (and idle) in `profile`. */
export function attribute(profile: CpuProfile): Attribution {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const owners = new Map<number, Owner | 'idle'>();
  const ownerOfNode = (id: number): Owner | 'idle' => {
    const known = owners.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    let owner: Owner | 'idle' = 'other';
    if (node?.callFrame.functionName === '(idle)') owner = 'idle';
    else {
      // The nearest SDK frame wins over engine frames; walk the whole stack once.
      let sawEngine = false;
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at)?.callFrame;
        const own = frame && ownerOf(frame);
        if (own === 'sdk') {
          sawEngine = false;
          owner = 'sdk';
          break;
        }
        if (own === 'engine') sawEngine = true;
      }
      if (sawEngine) owner = 'engine';
    }
    owners.set(id, owner);
    return owner;
  };
  const total: Attribution = { sdk: 0, engine: 0, other: 0, idle: 0 };
  for (let i = 0; i < profile.samples.length; i++) {
    total[ownerOfNode(profile.samples[i] as number)] += profile.timeDeltas[i] ?? 0;
  }
  return total;
}

/** The share of busy (not idle) time each owner had. */
export function shares(attribution: Attribution): Record<Owner, number> {
  const busy = attribution.sdk + attribution.engine + attribution.other;
  if (busy <= 0) return { sdk: Number.NaN, engine: Number.NaN, other: Number.NaN };
  return {
    sdk: attribution.sdk / busy,
    engine: attribution.engine / busy,
    other: attribution.other / busy,
  };
}
