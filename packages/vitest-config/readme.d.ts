/** A question the snippet asks on stdout, and what a reader would type. */
export interface SnippetPrompt {
  /** Matched against everything the snippet printed so far. */
  when: RegExp;
  /** The line to type (without the newline). */
  answer: (stdout: string) => string | Promise<string>;
}

export interface RunSnippetOptions {
  /** The package directory: the snippet is written there, so its imports resolve as the package's own. */
  cwd: string;
  /** The snippet's whole environment, besides PATH. */
  env?: Record<string, string | undefined>;
  prompts?: SnippetPrompt[];
  /** @default 30000 */
  timeoutMs?: number;
}

export interface SnippetResult {
  /** The exit status, or the signal that ended it. */
  exitCode: number | string | null;
  stdout: string;
  stderr: string;
}

/** The `index`-th (0-based) fenced ```ts block of a Markdown file. @throws Error when there is none */
export function readmeSnippet(readmePath: string, index?: number): string;

/**
 * Runs TypeScript source as a reader would run a README snippet: its own Node process (tsx, the
 * workspace's `@otpgate/source` condition), from a temporary file in `cwd` that is removed afterwards.
 * Killed after `timeoutMs`, and when this process ends.
 */
export function runSnippet(code: string, options: RunSnippetOptions): Promise<SnippetResult>;
