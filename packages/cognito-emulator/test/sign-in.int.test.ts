// InitiateAuth USER_AUTH and RespondToAuthChallenge as docs/COGNITO.md describes them, through the real SDK.
import {
  AdminSetUserMFAPreferenceCommand,
  type AuthFlowType,
  type ChallengeNameType,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addClient,
  addPool,
  answer,
  confirm,
  confirmedUser,
  expectTokens,
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

const MINUTE = 60 * 1000;

describe('USER_AUTH sign-in', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h[Symbol.asyncDispose]();
  });

  it('sign-in codes are 8 digits, sent with kind SIGN_IN', async () => {
    const email = newEmail();
    await confirmedUser(h, email);
    await startSignIn(h, email);
    const [message] = h.emulator.messages(email);
    expect(message).toMatchObject({ to: email, medium: 'EMAIL', kind: 'SIGN_IN' });
    expect(message?.code).toMatch(/^\d{8}$/);
  });

  it('Sessions are opaque strings of about a kilobyte beginning AYAB', async () => {
    const email = newEmail();
    await confirmedUser(h, email);
    const { Session } = await startSignIn(h, email);
    expect(Session).toMatch(/^AYAB[A-Za-z0-9+/=]+$/);
    expect(Session?.length).toBeGreaterThan(800);
    expect(Session?.length).toBeLessThanOrEqual(2048);
  });

  it('SELECT_CHALLENGE when the user has a verified email and a phone and no PREFERRED_CHALLENGE; ANSWER picks', async () => {
    const email = newEmail();
    const phone = newPhone();
    await confirmedUser(h, email, { phone });
    const sentBefore = h.emulator.messages().length;
    const started = await startSignIn(h, email);
    expect(started).toMatchObject({
      ChallengeName: 'SELECT_CHALLENGE',
      Session: expect.stringMatching(/^AYAB/),
      ChallengeParameters: {},
      AvailableChallenges: ['EMAIL_OTP', 'SMS_OTP'],
    });
    expect(h.emulator.messages()).toHaveLength(sentBefore);

    const picked = await h.sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: h.clientId,
        ChallengeName: 'SELECT_CHALLENGE',
        Session: started.Session,
        ChallengeResponses: { USERNAME: email, ANSWER: 'SMS_OTP' },
      }),
    );
    expect(picked).toMatchObject({
      ChallengeName: 'SMS_OTP',
      ChallengeParameters: {
        CODE_DELIVERY_DELIVERY_MEDIUM: 'SMS',
        CODE_DELIVERY_DESTINATION: expect.stringMatching(/5678$/),
      },
      AvailableChallenges: ['EMAIL_OTP', 'SMS_OTP'],
    });
    expect(picked.Session).not.toBe(started.Session);
    const done = await answer(h, picked.Session, email, h.lastCode(phone), 'SMS_OTP');
    expectTokens(done.AuthenticationResult);
  });

  it('PREFERRED_CHALLENGE SMS_OTP sends the code by SMS, the phone masked to its last four digits', async () => {
    const email = newEmail();
    const phone = '+819012345678';
    await confirmedUser(h, email, { phone });
    const started = await startSignIn(h, email, { PREFERRED_CHALLENGE: 'SMS_OTP' });
    expect(started).toMatchObject({
      ChallengeName: 'SMS_OTP',
      ChallengeParameters: {
        CODE_DELIVERY_DELIVERY_MEDIUM: 'SMS',
        CODE_DELIVERY_DESTINATION: '+********5678',
      },
      AvailableChallenges: ['EMAIL_OTP', 'SMS_OTP'],
    });
    const [sms] = h.emulator.messages(phone);
    expect(sms).toMatchObject({ medium: 'SMS', kind: 'SIGN_IN', code: expect.stringMatching(/^\d{8}$/) });
    // The phone number signs in as well as the email.
    const done = await answer(h, started.Session, phone, sms?.code ?? '', 'SMS_OTP');
    expectTokens(done.AuthenticationResult);
  });

  it('a PREFERRED_CHALLENGE the user does not have is answered SELECT_CHALLENGE, and nothing is sent', async () => {
    const email = newEmail();
    await confirmedUser(h, email);
    const before = h.emulator.messages(email).length;
    const started = await startSignIn(h, email, { PREFERRED_CHALLENGE: 'SMS_OTP' });
    expect(started).toMatchObject({ ChallengeName: 'SELECT_CHALLENGE', AvailableChallenges: ['EMAIL_OTP'] });
    expect(h.emulator.messages(email)).toHaveLength(before);
    await expect(startSignIn(h, email, { PREFERRED_CHALLENGE: 'CARRIER_PIGEON' })).rejects.toMatchObject(
      rejection('InvalidParameterException', /PREFERRED_CHALLENGE/),
    );
  });

  it('a user who signed up with a password gets SELECT_CHALLENGE with PASSWORD and PASSWORD_SRP listed', async () => {
    const email = newEmail();
    await confirmedUser(h, email, { password: 'Secr3t!pass' });
    const started = await startSignIn(h, email);
    expect(started).toMatchObject({
      ChallengeName: 'SELECT_CHALLENGE',
      AvailableChallenges: ['PASSWORD', 'PASSWORD_SRP', 'EMAIL_OTP'],
    });
    const picked = await h.sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: h.clientId,
        ChallengeName: 'SELECT_CHALLENGE',
        Session: started.Session,
        ChallengeResponses: { USERNAME: email, ANSWER: 'EMAIL_OTP' },
      }),
    );
    expect(picked.ChallengeName).toBe('EMAIL_OTP');
    await expect(startSignIn(h, email, { PREFERRED_CHALLENGE: 'PASSWORD' })).rejects.toMatchObject(
      rejection('InvalidParameterException', /not emulated/),
    );
  });

  it('an UNCONFIRMED user: UserNotConfirmedException', async () => {
    const email = newEmail();
    await signUp(h, email);
    await expect(startSignIn(h, email)).rejects.toMatchObject(rejection('UserNotConfirmedException'));
  });

  it('a wrong code is CodeMismatchException and the same Session stays usable', async () => {
    const email = newEmail();
    await confirmedUser(h, email);
    const { Session } = await startSignIn(h, email);
    const code = h.lastCode(email);
    await expect(answer(h, Session, email, wrong(code))).rejects.toMatchObject(
      rejection('CodeMismatchException', 'Invalid code received for user'),
    );
    expectTokens((await answer(h, Session, email, code)).AuthenticationResult);
  });

  it('a Session takes 3 wrong codes, then it is dead even for the right code', async () => {
    const email = newEmail();
    await confirmedUser(h, email);
    const { Session } = await startSignIn(h, email);
    const code = h.lastCode(email);
    for (let i = 0; i < 3; i++) {
      await expect(answer(h, Session, email, wrong(code))).rejects.toMatchObject(
        rejection('CodeMismatchException'),
      );
    }
    await expect(answer(h, Session, email, code)).rejects.toMatchObject(INVALID_SESSION);
  });

  it('a Session completes once: reusing it is NotAuthorizedException', async () => {
    const email = newEmail();
    await confirmedUser(h, email);
    const { Session } = await startSignIn(h, email);
    const code = h.lastCode(email);
    await answer(h, Session, email, code);
    await expect(answer(h, Session, email, code)).rejects.toMatchObject(INVALID_SESSION);
  });

  it('the sign-in Session and its code expire after AuthSessionValidity (3 minutes)', async () => {
    const email = newEmail();
    await confirmedUser(h, email);
    const first = await startSignIn(h, email);
    const firstCode = h.lastCode(email);
    h.clock.advance(3 * MINUTE - 1);
    const second = await startSignIn(h, email);
    await expect(answer(h, first.Session, email, firstCode)).resolves.toBeDefined();
    h.clock.advance(3 * MINUTE);
    await expect(answer(h, second.Session, email, h.lastCode(email))).rejects.toMatchObject(INVALID_SESSION);
  });

  it('calling InitiateAuth again resends: new code, new Session; the earlier Session keeps its own code', async () => {
    const email = newEmail();
    await confirmedUser(h, email);
    const first = await startSignIn(h, email);
    const firstCode = h.lastCode(email);
    const second = await startSignIn(h, email);
    const secondCode = h.lastCode(email);
    expect(second.Session).not.toBe(first.Session);
    expect(h.emulator.messages(email).filter((m) => m.kind === 'SIGN_IN')).toHaveLength(2);
    if (firstCode !== secondCode) {
      await expect(answer(h, second.Session, email, firstCode)).rejects.toMatchObject(
        rejection('CodeMismatchException'),
      );
    }
    expectTokens((await answer(h, second.Session, email, secondCode)).AuthenticationResult);
    expectTokens((await answer(h, first.Session, email, firstCode)).AuthenticationResult);
  });

  it('the ConfirmSignUp Session signs in once, within AuthSessionValidity, and only as that user', async () => {
    const email = newEmail();
    const other = newEmail();
    const session = await confirmedUser(h, email);
    const otherSession = await confirmedUser(h, other);
    await expect(startSignIn(h, other, {}, undefined, session)).rejects.toMatchObject(INVALID_SESSION);
    expectTokens((await startSignIn(h, email, {}, undefined, session)).AuthenticationResult);
    await expect(startSignIn(h, email, {}, undefined, session)).rejects.toMatchObject(INVALID_SESSION);
    h.clock.advance(3 * MINUTE);
    await expect(startSignIn(h, other, { SESSION: otherSession ?? '' })).rejects.toMatchObject(
      INVALID_SESSION,
    );
  });

  it('the automatic sign-in window runs from SignUp: a confirmation after it yields a Session USER_AUTH refuses', async () => {
    const onTime = newEmail();
    const late = newEmail();
    await signUp(h, onTime);
    await signUp(h, late);
    h.clock.advance(2 * MINUTE);
    const inWindow = await confirm(h, onTime, h.lastCode(onTime));
    expectTokens((await startSignIn(h, onTime, {}, undefined, inWindow.Session)).AuthenticationResult);
    h.clock.advance(2 * MINUTE);
    const afterWindow = await confirm(h, late, h.lastCode(late));
    // Confirmed all the same, and a Session comes back, but it is SignUp's window that has passed.
    expect(userIn(h, late).status).toBe('CONFIRMED');
    expect(afterWindow.Session?.length).toBeGreaterThan(20);
    await expect(startSignIn(h, late, {}, undefined, afterWindow.Session)).rejects.toMatchObject(
      INVALID_SESSION,
    );
  });

  it("with autoSignInWindowFrom 'confirmation' the ConfirmSignUp Session opens a fresh window", async () => {
    await using fresh = await harness({}, { behaviour: { autoSignInWindowFrom: 'confirmation' } });
    const email = newEmail();
    await signUp(fresh, email);
    fresh.clock.advance(10 * MINUTE);
    const { Session } = await confirm(fresh, email, fresh.lastCode(email));
    expectTokens((await startSignIn(fresh, email, {}, undefined, Session)).AuthenticationResult);
  });

  it('a sign-in challenge Session cannot stand in for the ConfirmSignUp one', async () => {
    const email = newEmail();
    await confirmedUser(h, email);
    const { Session } = await startSignIn(h, email);
    await expect(startSignIn(h, email, {}, undefined, Session)).rejects.toMatchObject(INVALID_SESSION);
  });

  it('USERNAME must be the Session user, and ChallengeName its challenge', async () => {
    const email = newEmail();
    const other = newEmail();
    await confirmedUser(h, email);
    await confirmedUser(h, other);
    const { Session } = await startSignIn(h, email);
    const code = h.lastCode(email);
    await expect(answer(h, Session, other, code)).rejects.toMatchObject(INVALID_SESSION);
    await expect(answer(h, Session, email, code, 'SMS_OTP')).rejects.toMatchObject(
      rejection('InvalidParameterException', /ChallengeName SMS_OTP/),
    );
    await expect(
      h.sdk.send(
        new RespondToAuthChallengeCommand({
          ClientId: h.clientId,
          ChallengeName: 'EMAIL_OTP',
          Session,
          ChallengeResponses: { USERNAME: email },
        }),
      ),
    ).rejects.toMatchObject(
      rejection('InvalidParameterException', 'Missing required parameter EMAIL_OTP_CODE'),
    );
    // The user's email in another case is the same user.
    expectTokens((await answer(h, Session, email.toUpperCase(), code)).AuthenticationResult);
  });

  it('a Session is bound to its app client', async () => {
    const email = newEmail();
    await confirmedUser(h, email);
    const other = await addClient(h);
    const { Session } = await startSignIn(h, email);
    await expect(answer(h, Session, email, h.lastCode(email), 'EMAIL_OTP', other)).rejects.toMatchObject(
      INVALID_SESSION,
    );
  });

  it('bad input: InvalidParameterException naming the field, never a crash', async () => {
    const send = (input: Record<string, unknown>) =>
      h.sdk.send(
        new InitiateAuthCommand({
          AuthFlow: 'USER_AUTH',
          ClientId: h.clientId,
          AuthParameters: {},
          ...input,
        }),
      );
    await expect(send({})).rejects.toMatchObject(
      rejection('InvalidParameterException', 'Missing required parameter USERNAME'),
    );
    await expect(send({ AuthFlow: 'MAGIC' as AuthFlowType })).rejects.toMatchObject(
      rejection('InvalidParameterException', /'authFlow'/),
    );
    await expect(send({ AuthParameters: { USERNAME: 'a b' } })).rejects.toMatchObject(
      rejection('InvalidParameterException', /'authParameters.USERNAME'/),
    );
    await expect(send({ AuthParameters: { USERNAME: newEmail() }, Session: 'short' })).rejects.toMatchObject(
      rejection('InvalidParameterException', /'session'/),
    );
    await expect(
      h.sdk.send(
        new RespondToAuthChallengeCommand({
          ClientId: h.clientId,
          ChallengeName: 'NOPE' as ChallengeNameType,
          Session: 'x'.repeat(40),
          ChallengeResponses: { USERNAME: newEmail() },
        }),
      ),
    ).rejects.toMatchObject(rejection('InvalidParameterException', /'challengeName'/));
    await expect(
      h.sdk.send(
        new RespondToAuthChallengeCommand({
          ClientId: h.clientId,
          ChallengeName: 'EMAIL_OTP',
          ChallengeResponses: { USERNAME: newEmail(), EMAIL_OTP_CODE: '12345678' },
        }),
      ),
    ).rejects.toMatchObject(rejection('InvalidParameterException', /'session'/));
  });

  it('the password and custom flows are not emulated', async () => {
    for (const AuthFlow of ['USER_PASSWORD_AUTH', 'USER_SRP_AUTH', 'CUSTOM_AUTH'] as const) {
      await expect(
        h.sdk.send(
          new InitiateAuthCommand({
            AuthFlow,
            ClientId: h.clientId,
            AuthParameters: { USERNAME: newEmail() },
          }),
        ),
      ).rejects.toMatchObject(rejection('InvalidParameterException', /not emulated/));
    }
  });

  it('USER_AUTH needs ALLOW_USER_AUTH on the client', async () => {
    const client = await addClient(h, {
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH'],
    });
    await expect(startSignIn(h, newEmail(), {}, client)).rejects.toMatchObject(
      rejection('InvalidParameterException', 'USER_AUTH flow not enabled for this client'),
    );
  });

  it('USER_AUTH needs the ESSENTIALS tier or higher: FeatureUnavailableInTierException on LITE', async () => {
    const poolId = await addPool(h, { UserPoolTier: 'LITE' });
    const client = await addClient(h, {}, poolId);
    await expect(startSignIn(h, newEmail(), {}, client)).rejects.toMatchObject(
      rejection('FeatureUnavailableInTierException'),
    );
  });
});

describe('per-user lockout after wrong sign-in codes', () => {
  it('locks out for 2^(n-5) seconds from the 5th consecutive failure, NotAuthorizedException meanwhile', async () => {
    await using h = await harness();
    const email = newEmail();
    await confirmedUser(h, email);
    const failOnce = async (session: string | undefined) =>
      expect(answer(h, session, email, wrong(h.lastCode(email)))).rejects.toMatchObject(
        rejection('CodeMismatchException'),
      );

    const first = await startSignIn(h, email);
    for (let i = 0; i < 3; i++) await failOnce(first.Session);
    const second = await startSignIn(h, email);
    await failOnce(second.Session);
    await failOnce(second.Session); // the 5th: locked for 2^0 = 1 s
    const locked = rejection('NotAuthorizedException', 'Password attempts exceeded');
    await expect(startSignIn(h, email)).rejects.toMatchObject(locked);
    await expect(answer(h, second.Session, email, h.lastCode(email))).rejects.toMatchObject(locked);

    h.clock.advance(1000);
    const third = await startSignIn(h, email);
    await failOnce(third.Session); // the 6th: 2 s
    h.clock.advance(1999);
    await expect(startSignIn(h, email)).rejects.toMatchObject(locked);
    h.clock.advance(1);
    const fourth = await startSignIn(h, email);
    expectTokens((await answer(h, fourth.Session, email, h.lastCode(email))).AuthenticationResult);
    expect(userIn(h, email)).toMatchObject({ failedSignIns: 0, lockedUntil: 0 });
  });

  it('never locks out for more than 15 minutes', async () => {
    await using h = await harness();
    const email = newEmail();
    await confirmedUser(h, email);
    userIn(h, email).failedSignIns = 40;
    const { Session } = await startSignIn(h, email);
    await expect(answer(h, Session, email, wrong(h.lastCode(email)))).rejects.toMatchObject(
      rejection('CodeMismatchException'),
    );
    h.clock.advance(15 * MINUTE - 1);
    await expect(startSignIn(h, email)).rejects.toMatchObject(rejection('NotAuthorizedException'));
    h.clock.advance(1);
    await expect(startSignIn(h, email)).resolves.toMatchObject({ ChallengeName: 'EMAIL_OTP' });
  });
});

describe('configurable behaviours', () => {
  it('newSessionAfterWrongCode: a wrong code spends the Session, so the caller starts again', async () => {
    await using h = await harness({}, { behaviour: { newSessionAfterWrongCode: true } });
    const email = newEmail();
    await confirmedUser(h, email);
    const { Session } = await startSignIn(h, email);
    const code = h.lastCode(email);
    await expect(answer(h, Session, email, wrong(code))).rejects.toMatchObject(
      rejection('CodeMismatchException'),
    );
    await expect(answer(h, Session, email, code)).rejects.toMatchObject(INVALID_SESSION);
    const again = await startSignIn(h, email);
    expectTokens((await answer(h, again.Session, email, h.lastCode(email))).AuthenticationResult);
  });

  it('wrongCodesPerSession sets the budget of one Session', async () => {
    await using h = await harness({}, { behaviour: { wrongCodesPerSession: 1 } });
    const email = newEmail();
    await confirmedUser(h, email);
    const { Session } = await startSignIn(h, email);
    const code = h.lastCode(email);
    await expect(answer(h, Session, email, wrong(code))).rejects.toMatchObject(
      rejection('CodeMismatchException'),
    );
    await expect(answer(h, Session, email, code)).rejects.toMatchObject(INVALID_SESSION);
  });

  it('AuthSessionValidity of 15 minutes keeps the Session for 15 minutes', async () => {
    await using h = await harness({ authSessionValidity: 15 });
    const email = newEmail();
    await confirmedUser(h, email);
    const { Session } = await startSignIn(h, email);
    h.clock.advance(15 * MINUTE - 1);
    expectTokens((await answer(h, Session, email, h.lastCode(email))).AuthenticationResult);
    const late = await startSignIn(h, email);
    h.clock.advance(15 * MINUTE);
    await expect(answer(h, late.Session, email, h.lastCode(email))).rejects.toMatchObject(INVALID_SESSION);
  });
});

describe('MFA restriction', () => {
  const enableMfa = (h: Harness, email: string) =>
    h.sdk.send(
      new AdminSetUserMFAPreferenceCommand({
        UserPoolId: h.poolId,
        Username: email,
        SoftwareTokenMfaSettings: { Enabled: true },
      }),
    );

  it('a user with MFA enabled is not offered EMAIL_OTP or SMS_OTP: InvalidParameterException by default', async () => {
    await using h = await harness();
    const email = newEmail();
    await confirmedUser(h, email);
    await enableMfa(h, email);
    await expect(startSignIn(h, email)).rejects.toMatchObject(
      rejection('InvalidParameterException', /not available to a user with MFA enabled/),
    );
  });

  it('a pool that requires MFA offers no passwordless first factor', async () => {
    await using h = await harness();
    const email = newEmail();
    await confirmedUser(h, email);
    const pool = h.emulator.state.pools.get(h.poolId);
    if (pool) pool.mfaConfiguration = 'ON';
    await expect(startSignIn(h, email)).rejects.toMatchObject(
      rejection('InvalidParameterException', /the user pool requires MFA/),
    );
  });

  it("mfaRestriction 'select-challenge': SELECT_CHALLENGE without the OTP factors", async () => {
    await using h = await harness({}, { behaviour: { mfaRestriction: 'select-challenge' } });
    const withPassword = newEmail();
    await confirmedUser(h, withPassword, { password: 'Secr3t!pass' });
    await enableMfa(h, withPassword);
    await expect(startSignIn(h, withPassword)).resolves.toMatchObject({
      ChallengeName: 'SELECT_CHALLENGE',
      AvailableChallenges: ['PASSWORD', 'PASSWORD_SRP'],
    });
    const passwordless = newEmail();
    await confirmedUser(h, passwordless);
    userIn(h, passwordless).mfa.smsEnabled = true;
    const started = await startSignIn(h, passwordless);
    expect(started).toMatchObject({ ChallengeName: 'SELECT_CHALLENGE', AvailableChallenges: [] });
    await expect(
      h.sdk.send(
        new RespondToAuthChallengeCommand({
          ClientId: h.clientId,
          ChallengeName: 'SELECT_CHALLENGE',
          Session: started.Session,
          ChallengeResponses: { USERNAME: passwordless, ANSWER: 'EMAIL_OTP' },
        }),
      ),
    ).rejects.toMatchObject(rejection('InvalidParameterException', /not one of the available challenges/));
  });
});

describe('sign-in over the daily email quota', () => {
  it('answers LimitExceededException and stores no Session', async () => {
    await using h = await harness({}, { defaultSenderDailyEmailQuota: 1 });
    const email = newEmail();
    await confirmedUser(h, email);
    const before = h.emulator.state.sessions.size;
    await expect(startSignIn(h, email)).rejects.toMatchObject(rejection('LimitExceededException'));
    expect(h.emulator.state.sessions.size).toBe(before);
  });
});
