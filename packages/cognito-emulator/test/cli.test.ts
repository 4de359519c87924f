import { describe, expect, it } from 'vitest';
import { banner, parseCliArgs, summary, UsageError } from '../src/cli-options.js';

const files = (contents: Record<string, string>) => (path: string) => {
  const text = contents[path];
  if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
  return text;
};

function usageError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('cognito-emulator command line', () => {
  it('defaults: 127.0.0.1:4002, us-east-1, the passwordless pool, no quotas', () => {
    expect(parseCliArgs([])).toEqual({
      port: 4002,
      host: '127.0.0.1',
      region: 'us-east-1',
      pool: {},
      printJson: false,
      quotas: {},
      behaviour: {},
      emailQuota: undefined,
      help: false,
    });
  });

  it('ignores a leading `--` (pnpm and npm pass theirs on), not one later', () => {
    expect(parseCliArgs(['--', '--print-json', '--port', '0'])).toMatchObject({ printJson: true, port: 0 });
    expect(usageError(() => parseCliArgs(['--print-json', '--', '--port', '0']))).toMatch(/positional/i);
  });

  it('PORT sets the port and --port overrides it', () => {
    expect(parseCliArgs([], { PORT: '4000' }).port).toBe(4000);
    expect(parseCliArgs(['--port', '0'], { PORT: '4000' }).port).toBe(0);
    expect(parseCliArgs(['--port=5000', '--host', '0.0.0.0']).host).toBe('0.0.0.0');
  });

  it('pool settings come from --config, and flags override the file', () => {
    const read = files({
      'pool.json': JSON.stringify({
        poolName: 'shop',
        clientName: 'web',
        generateSecret: false,
        authSessionValidity: 10,
        preventUserExistenceErrors: 'LEGACY',
        allowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'],
      }),
    });
    expect(
      parseCliArgs(['--config', 'pool.json', '--secret', '--session-validity', '5'], {}, read).pool,
    ).toEqual({
      poolName: 'shop',
      clientName: 'web',
      generateSecret: true,
      authSessionValidity: 5,
      preventUserExistenceErrors: 'LEGACY',
      allowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'],
    });
    expect(parseCliArgs(['--factors', 'PASSWORD,SMS_OTP']).pool).toEqual({
      allowedFirstAuthFactors: ['PASSWORD', 'SMS_OTP'],
    });
    expect(parseCliArgs(['--no-pool']).pool).toBe(false);
  });

  it('--passkey-rp-id turns passkeys on; webAuthnExtraOrigins takes a comma-separated list', () => {
    expect(
      parseCliArgs(['--passkey-rp-id', 'localhost', '--passkey-user-verification', 'required']).pool,
    ).toEqual({ webAuthn: { relyingPartyId: 'localhost', userVerification: 'required' } });
    expect(
      parseCliArgs(['--config', 'p.json'], {}, () => '{"webAuthn":{"relyingPartyId":"shop.example"}}').pool,
    ).toEqual({ webAuthn: { relyingPartyId: 'shop.example' } });
    expect(
      parseCliArgs(['--behaviour', 'webAuthnExtraOrigins=android:apk-key-hash:abc, https://x.example'])
        .behaviour,
    ).toEqual({ webAuthnExtraOrigins: ['android:apk-key-hash:abc', 'https://x.example'] });
    expect(() => parseCliArgs(['--passkey-user-verification', 'required'])).toThrow(/needs --passkey-rp-id/);
    expect(() => parseCliArgs(['--passkey-rp-id', 'https://shop.example'])).toThrow(/host name/);
    expect(() =>
      parseCliArgs(['--passkey-rp-id', 'localhost', '--passkey-user-verification', 'discouraged']),
    ).toThrow(/required or preferred/);
  });

  it('--quota and --behaviour are typed and checked', () => {
    const options = parseCliArgs([
      '--quota',
      'UserAuthentication=120',
      '--quota',
      'UserCreation=50',
      '--behaviour',
      'wrongCodesPerSession=5',
      '--behaviour',
      'newSessionAfterWrongCode=true',
      '--behaviour',
      'mfaRestriction=select-challenge',
    ]);
    expect(options.quotas).toEqual({ UserAuthentication: 120, UserCreation: 50 });
    expect(options.behaviour).toEqual({
      wrongCodesPerSession: 5,
      newSessionAfterWrongCode: true,
      mfaRestriction: 'select-challenge',
    });
  });

  it.each([
    [['--port', '70000'], /--port must be an integer from 0 to 65535/],
    [['--port', 'http'], /--port/],
    [[], /--port/, { PORT: 'abc' }],
    [['--session-validity', '2'], /--session-validity must be an integer from 3 to 15/],
    [['--prevent-user-existence-errors', 'ON'], /ENABLED or LEGACY/],
    [['--factors', 'PASSWORD,MAGIC_LINK'], /unknown factor "MAGIC_LINK"/],
    [['--quota', 'Logins=5'], /unknown category Logins/],
    [['--quota', 'UserAuthentication'], /key=value/],
    [['--behaviour', 'speed=9'], /unknown key speed/],
    [['--behaviour', 'newSessionAfterWrongCode=yes'], /true or false/],
    [['--no-pool', '--secret'], /--no-pool cannot be combined/],
    [['--region', 'mars'], /not a region/],
    [['--prot', '1'], /Unknown option '--prot'/],
    [['extra'], /positional/i],
  ] as Array<[string[], RegExp, Record<string, string>?]>)(
    'refuses %j with a clear message',
    (argv, message, env) => {
      expect(usageError(() => parseCliArgs(argv, env ?? {}))).toMatch(message);
    },
  );

  it('refuses a config file that is missing, not JSON, or has unknown keys or bad values', () => {
    const read = files({
      'bad.json': '{ poolName: ',
      'typo.json': '{"poolname": "x"}',
      'range.json': '{"authSessionValidity": 30}',
    });
    expect(usageError(() => parseCliArgs(['--config', 'none.json'], {}, read))).toMatch(/none\.json.*ENOENT/);
    expect(usageError(() => parseCliArgs(['--config', 'bad.json'], {}, read))).toMatch(/bad\.json/);
    expect(usageError(() => parseCliArgs(['--config', 'typo.json'], {}, read))).toMatch(
      /unknown key\(s\) poolname/,
    );
    expect(usageError(() => parseCliArgs(['--config', 'range.json'], {}, read))).toMatch(
      /authSessionValidity/,
    );
  });

  it('the banner names the endpoint, region, ids, secret, mailbox and a command to paste', () => {
    const text = banner(
      summary('http://127.0.0.1:4002', 'us-east-1', {
        userPoolId: 'us-east-1_abcdefghi',
        clientId: 'client123',
        clientSecret: 'shh',
        region: 'us-east-1',
      }),
    );
    expect(text).toContain('http://127.0.0.1:4002');
    expect(text).toContain('us-east-1_abcdefghi');
    expect(text).toContain('client123');
    expect(text).toContain('shh');
    expect(text).toContain('http://127.0.0.1:4002/_dev/mailbox');
    expect(text).toMatch(
      /aws cognito-idp sign-up --endpoint-url http:\/\/127\.0\.0\.1:4002 .*\n.*--client-id client123/,
    );
    expect(banner(summary('http://127.0.0.1:4002', 'us-east-1', undefined))).toContain('--no-pool');
  });
});
