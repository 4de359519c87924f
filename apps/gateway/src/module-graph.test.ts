import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const srcDir = dirname(fileURLToPath(import.meta.url));

/**
 * The packages a module loads when it is imported: its static, non-type-only imports, followed through
 * relative ones. Dynamic `import()` is left out on purpose: that is how optional parts stay unloaded.
 */
function staticPackages(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^'";]*?\bfrom\s+'([^']+)'/gms)) {
      const [, typeOnly, specifier] = match as unknown as [string, string | undefined, string];
      if (typeOnly) continue;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else packages.add(specifier);
    }
    for (const match of source.matchAll(/^\s*import\s+'([^']+)'/gm)) packages.add(match[1] as string);
  };
  visit(resolve(srcDir, entry));
  return packages;
}

describe('what the gateway loads', () => {
  it('main and the server never load the emulator statically (local mode imports it when it starts)', () => {
    const main = staticPackages('main.ts');
    // The walk itself works: the engine and Apollo are found.
    expect(main).toContain('@otpgate/cognito-otp');
    expect(main).toContain('@apollo/server');
    expect(main).not.toContain('@otpgate/cognito-emulator');
    expect(staticPackages('server.ts')).not.toContain('@otpgate/cognito-emulator');
    // ...and local mode does load it, so the check above is not vacuous.
    expect(staticPackages('local.ts')).toContain('@otpgate/cognito-emulator');
  });
});
