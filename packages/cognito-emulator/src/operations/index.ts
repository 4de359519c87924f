import { confirmSignUp } from './confirm-sign-up.js';

export type { Operation, OperationContext } from './context.js';

import type { Operation } from './context.js';
import { initiateAuth } from './initiate-auth.js';
import {
  createUserPool,
  createUserPoolClient,
  describeUserPool,
  describeUserPoolClient,
} from './pool-admin.js';
import { resendConfirmationCode } from './resend-confirmation-code.js';
import { respondToAuthChallenge } from './respond-to-auth-challenge.js';
import { signUp } from './sign-up.js';
import { getTokensFromRefreshToken, getUser, globalSignOut, revokeToken } from './token-operations.js';
import { adminDeleteUser, adminGetUser, adminSetUserMfaPreference, listUsers } from './user-admin.js';
import {
  completeWebAuthnRegistration,
  deleteWebAuthnCredential,
  getUserPoolMfaConfig,
  listWebAuthnCredentials,
  setUserPoolMfaConfig,
  startWebAuthnRegistration,
} from './webauthn.js';

/** Every operation the emulator answers, by its X-Amz-Target name. Anything else: UnknownOperationException. */
export const operations: Record<string, Operation> = {
  // Unsigned user operations (the passwordless flows).
  SignUp: signUp,
  ConfirmSignUp: confirmSignUp,
  ResendConfirmationCode: resendConfirmationCode,
  InitiateAuth: initiateAuth,
  RespondToAuthChallenge: respondToAuthChallenge,
  GetTokensFromRefreshToken: getTokensFromRefreshToken,
  RevokeToken: revokeToken,
  GlobalSignOut: globalSignOut,
  GetUser: getUser,
  // Passkeys, authorised by the user's access token.
  StartWebAuthnRegistration: startWebAuthnRegistration,
  CompleteWebAuthnRegistration: completeWebAuthnRegistration,
  ListWebAuthnCredentials: listWebAuthnCredentials,
  DeleteWebAuthnCredential: deleteWebAuthnCredential,
  // Signed admin and pool-management operations (the signature is not checked).
  CreateUserPool: createUserPool,
  CreateUserPoolClient: createUserPoolClient,
  DescribeUserPool: describeUserPool,
  DescribeUserPoolClient: describeUserPoolClient,
  SetUserPoolMfaConfig: setUserPoolMfaConfig,
  GetUserPoolMfaConfig: getUserPoolMfaConfig,
  AdminGetUser: adminGetUser,
  AdminDeleteUser: adminDeleteUser,
  AdminSetUserMFAPreference: adminSetUserMfaPreference,
  ListUsers: listUsers,
};
