import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildGatewaySchema } from './index.js';

/** The SDL committed as apps/gateway/schema.graphql: sorted, so only real changes show in review. */
export function printGatewaySchema(): string {
  return `${printSchema(lexicographicSortSchema(buildGatewaySchema()))}\n`;
}
