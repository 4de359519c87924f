// The browser helpers against a real WebAuthn verifier: the Cognito emulator's options go through
// createPasskey / getPasskey into a stand-in `navigator.credentials` backed by the emulator's software
// authenticator, and what the helpers produce is verified by the emulator (@simplewebauthn/server)
// through the real AWS SDK. A wrong base64url conversion anywhere fails the signature or the challenge.
import {
  CognitoIdentityProviderClient,
  CompleteWebAuthnRegistrationCommand,
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  ListWebAuthnCredentialsCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
  StartWebAuthnRegistrationCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { type Emulator, startEmulator } from '@otpgate/cognito-emulator';
import {
  type CreationOptionsJSON,
  type RequestOptionsJSON,
  SoftwareAuthenticator,
} from '@otpgate/cognito-emulator/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  base64urlToBuffer,
  bufferToBase64url,
  type CredentialCreationOptionsJSON,
  type CredentialRequestOptionsJSON,
  type CredentialsContainerLike,
  createPasskey,
  getPasskey,
} from '../src/index.js';

const ORIGIN = 'http://localhost:5173';

let emulator: Emulator;
let sdk: CognitoIdentityProviderClient;
let clientId: string;

beforeAll(async () => {
  emulator = await startEmulator();
  ({ clientId } = await emulator.createPasswordlessPool({
    webAuthn: { relyingPartyId: 'localhost', userVerification: 'required' },
  }));
  sdk = new CognitoIdentityProviderClient({
    endpoint: emulator.url,
    region: emulator.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  sdk?.destroy();
  await emulator?.close();
});

const toJson = (buffer: BufferSource | undefined) => (buffer === undefined ? '' : bufferToBase64url(buffer));
const bytes = (value: string) => base64urlToBuffer(value);

/**
 * `navigator.credentials` as a browser with one authenticator: it reads the ArrayBuffer options the
 * helpers built (turning them back into JSON for the software authenticator) and answers
 * PublicKeyCredential-shaped objects with ArrayBuffers.
 */
function browserWith(authenticator: SoftwareAuthenticator): CredentialsContainerLike {
  return {
    async create(options) {
      const publicKey = options.publicKey as PublicKeyCredentialCreationOptions;
      const json: CreationOptionsJSON = {
        challenge: toJson(publicKey.challenge),
        rp: { id: publicKey.rp.id, name: publicKey.rp.name },
        user: {
          id: toJson(publicKey.user.id),
          name: publicKey.user.name,
          displayName: publicKey.user.displayName,
        },
      };
      const made = authenticator.register(json, ORIGIN);
      return {
        id: made.id,
        rawId: bytes(made.rawId),
        type: 'public-key',
        authenticatorAttachment: made.authenticatorAttachment,
        getClientExtensionResults: () => ({}),
        response: {
          clientDataJSON: bytes(made.response.clientDataJSON),
          attestationObject: bytes(made.response.attestationObject),
          getTransports: () => made.response.transports,
        },
      } as unknown as Credential;
    },
    async get(options) {
      const publicKey = options.publicKey as PublicKeyCredentialRequestOptions;
      const json: RequestOptionsJSON = { challenge: toJson(publicKey.challenge), rpId: publicKey.rpId };
      const used = authenticator.assert(json, ORIGIN);
      return {
        id: used.id,
        rawId: bytes(used.rawId),
        type: 'public-key',
        authenticatorAttachment: used.authenticatorAttachment,
        getClientExtensionResults: () => ({}),
        response: {
          clientDataJSON: bytes(used.response.clientDataJSON),
          authenticatorData: bytes(used.response.authenticatorData),
          signature: bytes(used.response.signature),
          userHandle: used.response.userHandle ? bytes(used.response.userHandle) : null,
        },
      } as unknown as Credential;
    },
  };
}

async function signedInUser(email: string): Promise<string> {
  await sdk.send(
    new SignUpCommand({
      ClientId: clientId,
      Username: email,
      UserAttributes: [{ Name: 'email', Value: email }],
    }),
  );
  const code = emulator.messages(email)[0]?.code ?? '';
  const confirmed = await sdk.send(
    new ConfirmSignUpCommand({ ClientId: clientId, Username: email, ConfirmationCode: code }),
  );
  const signedIn = await sdk.send(
    new InitiateAuthCommand({
      AuthFlow: 'USER_AUTH',
      ClientId: clientId,
      AuthParameters: { USERNAME: email },
      Session: confirmed.Session,
    }),
  );
  return signedIn.AuthenticationResult?.AccessToken ?? '';
}

it.each(['ES256', 'RS256'] as const)(
  'registers and signs in with %s through the helpers',
  async (algorithm) => {
    const email = `helpers-${algorithm.toLowerCase()}@example.com`;
    const accessToken = await signedInUser(email);
    const browser = browserWith(new SoftwareAuthenticator({ algorithm, attestation: 'packed' }));

    const started = await sdk.send(new StartWebAuthnRegistrationCommand({ AccessToken: accessToken }));
    const credential = await createPasskey(
      started.CredentialCreationOptions as unknown as CredentialCreationOptionsJSON,
      {
        credentials: browser,
      },
    );
    await sdk.send(
      new CompleteWebAuthnRegistrationCommand({ AccessToken: accessToken, Credential: credential as never }),
    );
    const listed = await sdk.send(new ListWebAuthnCredentialsCommand({ AccessToken: accessToken }));
    expect(listed.Credentials?.map((c) => c.CredentialId)).toEqual([credential.id]);

    const challenge = await sdk.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_AUTH',
        ClientId: clientId,
        AuthParameters: { USERNAME: email, PREFERRED_CHALLENGE: 'WEB_AUTHN' },
      }),
    );
    const options = JSON.parse(
      challenge.ChallengeParameters?.CREDENTIAL_REQUEST_OPTIONS ?? '',
    ) as CredentialRequestOptionsJSON;
    const assertion = await getPasskey(options, { credentials: browser });
    const done = await sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: clientId,
        ChallengeName: 'WEB_AUTHN',
        Session: challenge.Session,
        ChallengeResponses: { USERNAME: email, CREDENTIAL: JSON.stringify(assertion) },
      }),
    );
    expect(done.AuthenticationResult?.AccessToken).toBeTruthy();
  },
);
