// SignUp, ConfirmSignUp and ResendConfirmationCode as docs/COGNITO.md describes them, through the real SDK.
import {
  ConfirmSignUpCommand,
  ResendConfirmationCodeCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUser } from '../src/operations/context.js';
import {
  addClient,
  addPool,
  confirm,
  confirmedUser,
  INVALID_SESSION,
  newEmail,
  newPhone,
  rejection,
  signUp,
  startSignIn,
  userIn,
  wrong,
} from './flows.js';
import { type Harness, harness } from './helpers.js';

const HOUR = 3600 * 1000;

describe('SignUp', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h[Symbol.asyncDispose]();
  });

  it('creates an UNCONFIRMED user with the sub as username and emails a 6-digit confirmation code', async () => {
    const email = newEmail();
    const out = await signUp(h, email);
    const user = userIn(h, email);
    expect(user).toMatchObject({ username: out.UserSub, sub: out.UserSub, status: 'UNCONFIRMED' });
    expect(Object.fromEntries(user.attributes)).toEqual({ sub: out.UserSub, email, email_verified: 'false' });
    const [message] = h.emulator.messages(email);
    expect(message).toMatchObject({ to: email, medium: 'EMAIL', kind: 'SIGN_UP' });
    expect(message?.code).toMatch(/^\d{6}$/);
  });

  it('masks the email destination as y***@e***', async () => {
    const out = await signUp(h, `y${newEmail()}`.replace('@example.com', '@elsewhere.org'));
    expect(out.CodeDeliveryDetails).toEqual({
      Destination: 'y***@e***',
      DeliveryMedium: 'EMAIL',
      AttributeName: 'email',
    });
  });

  it('sends the code by SMS, masked to the last four digits, when the user has only a phone number', async () => {
    const phone = newPhone();
    const out = await h.sdk.send(
      new SignUpCommand({
        ClientId: h.clientId,
        Username: phone,
        UserAttributes: [{ Name: 'phone_number', Value: phone }],
      }),
    );
    expect(out.CodeDeliveryDetails).toEqual({
      Destination: `+${'*'.repeat(phone.length - 5)}5678`,
      DeliveryMedium: 'SMS',
      AttributeName: 'phone_number',
    });
    expect(h.emulator.messages(phone)[0]).toMatchObject({ medium: 'SMS', kind: 'SIGN_UP' });
    // The phone number alone (no UserAttributes) becomes the attribute too.
    const other = newPhone();
    await h.sdk.send(new SignUpCommand({ ClientId: h.clientId, Username: other }));
    expect(userIn(h, other).attributes.get('phone_number')).toBe(other);
  });

  it('existing username: UsernameExistsException regardless of PreventUserExistenceErrors', async () => {
    const email = newEmail();
    await signUp(h, email);
    await expect(signUp(h, email)).rejects.toMatchObject(
      rejection('UsernameExistsException', 'An account with the given email already exists.'),
    );
    // Case does not make another account in a case-insensitive pool.
    await expect(signUp(h, email.toUpperCase())).rejects.toMatchObject(rejection('UsernameExistsException'));
    const legacy = await addClient(h, { PreventUserExistenceErrors: 'LEGACY' });
    await expect(signUp(h, email, { client: legacy })).rejects.toMatchObject(
      rejection('UsernameExistsException'),
    );
  });

  it('answers a Session only when the client allows USER_AUTH', async () => {
    const withUserAuth = await signUp(h, newEmail());
    expect(withUserAuth.Session).toMatch(/^AYAB/);
    const noUserAuth = await addClient(h, { ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'] });
    const email = newEmail();
    const out = await signUp(h, email, { client: noUserAuth });
    expect(out.Session).toBeUndefined();
    const confirmed = await confirm(h, email, h.lastCode(email), noUserAuth);
    expect(confirmed.Session).toBeUndefined();
  });

  it('needs an email or phone number as Username in a pool with those as username attributes', async () => {
    await expect(
      h.sdk.send(new SignUpCommand({ ClientId: h.clientId, Username: 'yuki', UserAttributes: [] })),
    ).rejects.toMatchObject(
      rejection('InvalidParameterException', 'Username should be either an email or a phone number.'),
    );
    const email = newEmail();
    await expect(
      h.sdk.send(
        new SignUpCommand({
          ClientId: h.clientId,
          Username: email,
          UserAttributes: [{ Name: 'email', Value: newEmail() }],
        }),
      ),
    ).rejects.toMatchObject(rejection('InvalidParameterException', /email attribute must be the same/));
  });

  it('refuses a second account with the phone number of another (both are usernames)', async () => {
    const phone = newPhone();
    await signUp(h, newEmail(), { phone });
    await expect(signUp(h, newEmail(), { phone })).rejects.toMatchObject(
      rejection('UsernameExistsException', 'An account with the given phone_number already exists.'),
    );
  });

  it('answers bad input with InvalidParameterException naming the field, and an unknown client with ResourceNotFound', async () => {
    const send = (input: Record<string, unknown>) =>
      h.sdk.send(new SignUpCommand({ ClientId: h.clientId, Username: newEmail(), ...input }));
    await expect(send({ ClientId: 'not a client id!' })).rejects.toMatchObject(
      rejection('InvalidParameterException', /'clientId'/),
    );
    await expect(send({ Username: `${'a'.repeat(130)}@example.com` })).rejects.toMatchObject(
      rejection('InvalidParameterException', /'username'/),
    );
    await expect(send({ UserAttributes: [{ Name: 'email', Value: 'not-an-email' }] })).rejects.toMatchObject(
      rejection('InvalidParameterException', 'Invalid email address format.'),
    );
    await expect(
      send({ UserAttributes: [{ Name: 'favourite_colour', Value: 'red' }] }),
    ).rejects.toMatchObject(
      rejection('InvalidParameterException', /favourite_colour: Attribute does not exist in the schema/),
    );
    await expect(send({ UserAttributes: [{ Name: 'email_verified', Value: 'true' }] })).rejects.toMatchObject(
      rejection('NotAuthorizedException', 'A client attempted to write unauthorized attribute'),
    );
    await expect(send({ Password: 'has spaces' })).rejects.toMatchObject(
      rejection('InvalidParameterException', /'password'/),
    );
    await expect(send({ ClientId: 'unknownclient' })).rejects.toMatchObject(
      rejection('ResourceNotFoundException'),
    );
  });

  it('without a Password only when the pool sign-in policy has an OTP factor', async () => {
    const poolId = await addPool(h, {
      UserPoolTier: 'ESSENTIALS',
      Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD'] } },
    });
    const client = await addClient(h, {}, poolId);
    const send = (Password?: string) =>
      h.sdk.send(
        new SignUpCommand({ ClientId: client.clientId, Username: newEmail().replace('@', '.'), Password }),
      );
    await expect(send()).rejects.toMatchObject(rejection('InvalidParameterException', /Password/));
    await expect(send('Secr3t!pass')).resolves.toMatchObject({ UserConfirmed: false });
  });
});

describe('SignUp over the daily email quota', () => {
  it('answers LimitExceededException and still creates the user', async () => {
    await using h = await harness({}, { defaultSenderDailyEmailQuota: 1 });
    await signUp(h, newEmail());
    const email = newEmail();
    await expect(signUp(h, email)).rejects.toMatchObject(rejection('LimitExceededException'));
    expect(userIn(h, email).status).toBe('UNCONFIRMED');
    expect(h.emulator.messages(email)).toEqual([]);
    await expect(signUp(h, email)).rejects.toMatchObject(rejection('UsernameExistsException'));
    // The quota is per day.
    h.clock.advance(24 * HOUR);
    await expect(
      h.sdk.send(new ResendConfirmationCodeCommand({ ClientId: h.clientId, Username: email })),
    ).resolves.toBeDefined();
  });
});

describe('usernames', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h[Symbol.asyncDispose]();
  });

  async function plainPool(caseSensitive: boolean) {
    const poolId = await addPool(h, {
      UserPoolTier: 'ESSENTIALS',
      Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } },
      AutoVerifiedAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: caseSensitive },
    });
    const client = await addClient(h, { PreventUserExistenceErrors: 'LEGACY' }, poolId);
    return { poolId, client };
  }

  it('are case-insensitive when the pool says so: Yuki, YUKI and yuki are one user', async () => {
    const { poolId, client } = await plainPool(false);
    const email = newEmail();
    await h.sdk.send(
      new SignUpCommand({
        ClientId: client.clientId,
        Username: 'Yuki',
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    const pool = h.emulator.state.pools.get(poolId);
    expect(pool && findUser(pool, 'yuki')?.username).toBe('Yuki');
    await expect(
      h.sdk.send(new SignUpCommand({ ClientId: client.clientId, Username: 'YUKI', UserAttributes: [] })),
    ).rejects.toMatchObject(rejection('UsernameExistsException', 'User already exists'));
    await confirm(h, 'YUKI', h.lastCode(email), client);
    const started = await startSignIn(h, 'yUkI', {}, client);
    expect(started.ChallengeName).toBe('EMAIL_OTP');
  });

  it('are case-sensitive when the pool says so', async () => {
    const { client } = await plainPool(true);
    const email = newEmail();
    await h.sdk.send(
      new SignUpCommand({
        ClientId: client.clientId,
        Username: 'Yuki',
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    await expect(confirm(h, 'yuki', h.lastCode(email), client)).rejects.toMatchObject(
      rejection('UserNotFoundException'),
    );
    await h.sdk.send(new SignUpCommand({ ClientId: client.clientId, Username: 'yuki', UserAttributes: [] }));
  });

  it('email usernames match whatever their case in a case-insensitive pool', async () => {
    const email = newEmail('Mixed');
    await confirmedUser(h, email);
    const started = await startSignIn(h, email.toUpperCase());
    expect(started.ChallengeName).toBe('EMAIL_OTP');
    expect(h.emulator.messages(email)[0]?.kind).toBe('SIGN_IN');
  });
});

describe('ConfirmSignUp', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h[Symbol.asyncDispose]();
  });

  it('a wrong code is CodeMismatchException; the right one confirms the user and verifies the email', async () => {
    const email = newEmail();
    await signUp(h, email);
    const code = h.lastCode(email);
    await expect(confirm(h, email, wrong(code))).rejects.toMatchObject(
      rejection('CodeMismatchException', 'Invalid verification code provided, please try again.'),
    );
    const out = await confirm(h, email, code);
    expect(out.Session).toMatch(/^AYAB/);
    expect(userIn(h, email).status).toBe('CONFIRMED');
    expect(userIn(h, email).attributes.get('email_verified')).toBe('true');
  });

  it('confirmation codes are valid 24 hours: ExpiredCodeException after', async () => {
    const early = newEmail();
    const late = newEmail();
    await signUp(h, early);
    await signUp(h, late);
    h.clock.advance(24 * HOUR - 1000);
    await expect(confirm(h, early, h.lastCode(early))).resolves.toBeDefined();
    h.clock.advance(1000);
    await expect(confirm(h, late, h.lastCode(late))).rejects.toMatchObject(
      rejection('ExpiredCodeException', 'Invalid code provided, please request a code again.'),
    );
  });

  it('already confirmed: NotAuthorizedException "User cannot be confirmed. Current status is CONFIRMED"', async () => {
    const email = newEmail();
    await confirmedUser(h, email);
    await expect(confirm(h, email, h.lastCode(email))).rejects.toMatchObject(
      rejection('NotAuthorizedException', 'User cannot be confirmed. Current status is CONFIRMED'),
    );
  });

  it('after 5 wrong codes: TooManyFailedAttemptsException, even for the right code, until a new code is sent', async () => {
    const email = newEmail();
    await signUp(h, email);
    const code = h.lastCode(email);
    for (let i = 0; i < 5; i++) {
      await expect(confirm(h, email, wrong(code))).rejects.toMatchObject(rejection('CodeMismatchException'));
    }
    await expect(confirm(h, email, code)).rejects.toMatchObject(rejection('TooManyFailedAttemptsException'));
    await h.sdk.send(new ResendConfirmationCodeCommand({ ClientId: h.clientId, Username: email }));
    await expect(confirm(h, email, h.lastCode(email))).resolves.toBeDefined();
  });

  it("accepts SignUp's Session and spends it; refuses a Session that is not this user's sign-up", async () => {
    const email = newEmail();
    const other = newEmail();
    const signedUp = await signUp(h, email);
    const otherSignUp = await signUp(h, other);
    await expect(confirm(h, email, h.lastCode(email), undefined, otherSignUp.Session)).rejects.toMatchObject(
      INVALID_SESSION,
    );
    await expect(confirm(h, email, h.lastCode(email), undefined, 'x'.repeat(40))).rejects.toMatchObject(
      INVALID_SESSION,
    );
    const out = await confirm(h, email, h.lastCode(email), undefined, signedUp.Session);
    expect(out.Session).toMatch(/^AYAB/);
    expect(h.emulator.state.sessions.has(signedUp.Session ?? '')).toBe(false);
  });

  it('a Session shorter than 20 characters is an InvalidParameterException naming session', async () => {
    const email = newEmail();
    await signUp(h, email);
    await expect(confirm(h, email, h.lastCode(email), undefined, 'short')).rejects.toMatchObject(
      rejection('InvalidParameterException', /'session'/),
    );
  });

  it('unknown user: UserNotFoundException under LEGACY, CodeMismatchException under ENABLED', async () => {
    const legacy = await addClient(h, { PreventUserExistenceErrors: 'LEGACY' });
    await expect(confirm(h, newEmail(), '123456', legacy)).rejects.toMatchObject(
      rejection('UserNotFoundException'),
    );
    await expect(confirm(h, newEmail(), '123456')).rejects.toMatchObject(rejection('CodeMismatchException'));
  });

  it('bad input names the field', async () => {
    await expect(
      h.sdk.send(
        new ConfirmSignUpCommand({ ClientId: h.clientId, Username: newEmail(), ConfirmationCode: '12 34' }),
      ),
    ).rejects.toMatchObject(rejection('InvalidParameterException', /'confirmationCode'/));
  });
});

describe('ResendConfirmationCode', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h[Symbol.asyncDispose]();
  });

  const resend = (Username: string, ClientId = h.clientId) =>
    h.sdk.send(new ResendConfirmationCodeCommand({ ClientId, Username }));

  it('sends a new 6-digit code and the previous one stops working', async () => {
    const email = newEmail();
    await signUp(h, email);
    const old = h.lastCode(email);
    const out = await resend(email);
    expect(out.CodeDeliveryDetails).toEqual({
      Destination: 'u***@e***',
      DeliveryMedium: 'EMAIL',
      AttributeName: 'email',
    });
    const fresh = h.lastCode(email);
    expect(fresh).toMatch(/^\d{6}$/);
    expect(h.emulator.messages(email)).toHaveLength(2);
    if (fresh !== old) {
      await expect(confirm(h, email, old)).rejects.toMatchObject(rejection('CodeMismatchException'));
    }
    await expect(confirm(h, email, fresh)).resolves.toBeDefined();
  });

  it('gives the new code a fresh 24 hours', async () => {
    const email = newEmail();
    await signUp(h, email);
    h.clock.advance(23 * HOUR);
    await resend(email);
    h.clock.advance(23 * HOUR);
    await expect(confirm(h, email, h.lastCode(email))).resolves.toBeDefined();
  });

  it('for a confirmed user: InvalidParameterException "User is already confirmed."', async () => {
    const email = newEmail();
    await confirmedUser(h, email);
    await expect(resend(email)).rejects.toMatchObject(
      rejection('InvalidParameterException', 'User is already confirmed.'),
    );
  });

  it('bad input names the field', async () => {
    await expect(resend(newEmail(), 'bad client')).rejects.toMatchObject(
      rejection('InvalidParameterException', /'clientId'/),
    );
  });
});
