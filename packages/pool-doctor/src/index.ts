export { diagnose } from './diagnose.js';
export { formatReport, summarizeReport } from './format.js';
export type {
  Check,
  CheckStatus,
  DiagnoseOptions,
  DoctorReport,
  Fix,
  PoolReport,
  ProfileReport,
  ProfileToCheck,
} from './types.js';
