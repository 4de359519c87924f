import { describe } from 'vitest';
import { flowSuite } from './flow-suite.js';

describe('flows on the memory store', () => {
  flowSuite(() => ({ name: 'memory' }));
});
