/** What the page needs to know about its gateway, read at runtime so one build serves every setup. */
export interface DemoConfig {
  /** The GraphQL endpoint; relative (same origin, or Vite's dev proxy) or absolute (another origin). */
  graphqlUrl: string;
  /** The client profile (`apollographql-client-name`); none means the gateway's `default`. */
  clientName?: string;
  /** Local mode: the emulator's dev mailbox, linked so codes are one click away. */
  mailboxUrl?: string;
}

/**
 * From `<meta>` tags, which the server of the page fills in (the gateway's local mode does; a real
 * deployment would template them or hard-code its gateway). No query-string override on purpose: a
 * crafted link must not point the sign-in form at someone else's server.
 */
export function readConfig(doc: Pick<Document, 'querySelector'>): DemoConfig {
  const meta = (name: string) =>
    doc.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content.trim() || undefined;
  const clientName = meta('otpgate-client-name');
  const mailboxUrl = meta('otpgate-dev-mailbox');
  return {
    graphqlUrl: meta('otpgate-graphql-url') ?? '/graphql',
    ...(clientName !== undefined && { clientName }),
    ...(mailboxUrl !== undefined && /^https?:\/\//.test(mailboxUrl) && { mailboxUrl }),
  };
}
