export { type Clock, ManualClock, systemClock } from './clock.js';
export {
  type Emulator,
  type EmulatorOptions,
  type PasswordlessPool,
  type PasswordlessPoolOptions,
  startEmulator,
} from './emulator.js';
export { secretHash } from './operations/context.js';
export type { QuotaCategory } from './quotas.js';
export { DEFAULT_BEHAVIOUR, type DevMessage, type EmulatorBehaviour } from './state.js';
