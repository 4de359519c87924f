import { randomBytes } from 'node:crypto';
import type { DevMessage } from '../state.js';

/** How often the open page asks for new messages, in milliseconds. */
const REFRESH_MS = 2000;

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for HTML content and quoted attribute values: addresses are user input. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

function row(message: DevMessage): string {
  const code = escapeHtml(message.code);
  const to = escapeHtml(message.to);
  return `<tr>
<td class="to">${to}</td>
<td><span class="badge">${escapeHtml(message.medium)}</span></td>
<td><span class="badge ${message.kind === 'SIGN_UP' ? 'up' : 'in'}">${escapeHtml(message.kind)}</span></td>
<td><code class="code">${code}</code> <button type="button" class="copy" data-code="${code}" aria-label="Copy code ${code} sent to ${to}">Copy</button></td>
<td><time datetime="${escapeHtml(message.sentAt)}">${escapeHtml(message.sentAt)}</time></td>
</tr>`;
}

/**
 * The dev mailbox as one self-contained page: the server renders the current messages (so it works
 * without JavaScript), then a small script polls `/_dev/messages` and redraws the table with DOM text
 * nodes only. A per-page nonce in the Content-Security-Policy lets only our own script and style run,
 * a second line of defence should an address ever slip past escaping.
 */
export function mailboxPage(messages: DevMessage[], to?: string | null): string {
  const nonce = randomBytes(16).toString('base64');
  const filter = escapeHtml(to ?? '');
  const rows = messages.map(row).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; form-action 'self'">
<title>Dev mailbox · cognito-emulator</title>
<style nonce="${nonce}">
:root { color-scheme: light dark; --fg: #1d232b; --muted: #5d6773; --bg: #f6f7f9; --card: #fff; --line: #dde1e6; --accent: #2457c5; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ed; --muted: #9aa4ae; --bg: #14171b; --card: #1d2126; --line: #30363d; --accent: #7aa2ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 64rem; margin: 0 auto; padding: 1.5rem 1rem; }
h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
p.lead { margin: 0 0 1rem; color: var(--muted); }
form { display: flex; gap: .5rem; flex-wrap: wrap; align-items: end; margin-bottom: 1rem; }
label { display: flex; flex-direction: column; gap: .2rem; font-size: .85rem; color: var(--muted); }
label { flex: 1 1 16rem; max-width: 24rem; }
input { font: inherit; padding: .4rem .6rem; width: 100%; min-width: 0; border: 1px solid var(--line); border-radius: .4rem; background: var(--card); color: var(--fg); }
button { font: inherit; padding: .4rem .8rem; border: 1px solid var(--line); border-radius: .4rem; background: var(--card); color: var(--fg); cursor: pointer; }
button:hover { border-color: var(--accent); }
button:focus-visible, input:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
button.danger { color: #c42b2b; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: .5rem; overflow: hidden; }
caption { text-align: left; padding: .5rem 0; color: var(--muted); }
th, td { text-align: left; padding: .55rem .75rem; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
td.to { overflow-wrap: anywhere; }
time { white-space: nowrap; }
code.code { font: 600 1.15rem/1 ui-monospace, monospace; letter-spacing: .12em; }
.badge { font-size: .75rem; padding: .1rem .45rem; border-radius: 1rem; border: 1px solid var(--line); }
.badge.up { color: #1d7a46; } .badge.in { color: var(--accent); }
.copy { padding: .15rem .5rem; font-size: .8rem; margin-left: .4rem; }
#empty { padding: 2rem; text-align: center; color: var(--muted); background: var(--card); border: 1px dashed var(--line); border-radius: .5rem; }
[hidden] { display: none !important; }
#status { min-height: 1.5em; font-size: .85rem; color: var(--muted); }
/* A phone: one card per message (address, then badges, code and time) instead of five columns. */
@media (max-width: 40rem) {
  main { padding: 1rem .75rem; }
  table, tbody, td, caption { display: block; }
  caption { padding: .5rem .75rem; border-bottom: 1px solid var(--line); }
  thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  tr { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem .6rem; padding: .7rem .75rem; border-bottom: 1px solid var(--line); }
  td { padding: 0; border: 0; }
  td.to { flex-basis: 100%; font-weight: 600; }
  td:last-child { flex-basis: 100%; font-size: .8rem; color: var(--muted); }
}
</style>
</head>
<body>
<main>
<h1>Dev mailbox</h1>
<p class="lead">Codes the emulator has sent by email and SMS, newest first. Nothing leaves this machine.</p>
<form id="filter" method="get" action="/_dev/mailbox" role="search">
<label for="to">Recipient (email or phone number)
<input id="to" name="to" type="search" value="${filter}" placeholder="yuki@example.com" autocomplete="off"></label>
<button type="submit">Filter</button>
<button type="button" id="clear" class="danger">Clear mailbox</button>
</form>
<p id="status" role="status" aria-live="polite"></p>
<table id="messages"${messages.length === 0 ? ' hidden' : ''}>
<caption>Sent codes, refreshed every ${REFRESH_MS / 1000} seconds</caption>
<thead><tr><th scope="col">To</th><th scope="col">Medium</th><th scope="col">Kind</th><th scope="col">Code</th><th scope="col">Sent at</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p id="empty"${messages.length === 0 ? '' : ' hidden'}>No messages yet. Sign up or start a sign-in and the code shows up here.</p>
</main>
<script nonce="${nonce}">
(() => {
  const form = document.getElementById('filter');
  const input = document.getElementById('to');
  const table = document.getElementById('messages');
  const body = table.querySelector('tbody');
  const empty = document.getElementById('empty');
  const status = document.getElementById('status');
  let last = '';

  const filterValue = () => input.value.trim();
  const messagesUrl = () => {
    const to = filterValue();
    return '/_dev/messages' + (to ? '?to=' + encodeURIComponent(to) : '');
  };
  const say = (text) => { status.textContent = text; };

  const cell = (row, text, className) => {
    const td = row.insertCell();
    if (className) td.className = className;
    if (text !== undefined) td.textContent = text;
    return td;
  };
  const badge = (td, text, extra) => {
    const span = document.createElement('span');
    span.className = 'badge' + (extra ? ' ' + extra : '');
    span.textContent = text;
    td.append(span);
  };

  function render(messages) {
    body.replaceChildren();
    for (const m of messages) {
      const row = body.insertRow();
      cell(row, String(m.to), 'to');
      badge(cell(row), String(m.medium));
      badge(cell(row), String(m.kind), m.kind === 'SIGN_UP' ? 'up' : 'in');
      const codeCell = cell(row);
      const code = document.createElement('code');
      code.className = 'code';
      code.textContent = String(m.code);
      const copy = document.createElement('button');
      copy.type = 'button';
      copy.className = 'copy';
      copy.dataset.code = String(m.code);
      copy.textContent = 'Copy';
      copy.setAttribute('aria-label', 'Copy code ' + m.code + ' sent to ' + m.to);
      codeCell.append(code, ' ', copy);
      const time = document.createElement('time');
      time.dateTime = String(m.sentAt);
      time.textContent = String(m.sentAt);
      cell(row).append(time);
    }
    table.hidden = messages.length === 0;
    empty.hidden = messages.length !== 0;
  }

  async function refresh() {
    try {
      const response = await fetch(messagesUrl(), { cache: 'no-store' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const text = await response.text();
      // Redraw only on change, so a focused Copy button is not pulled out from under the keyboard.
      if (text !== last) {
        last = text;
        render(JSON.parse(text));
      }
      if (status.dataset.error) { delete status.dataset.error; say(''); }
    } catch (error) {
      status.dataset.error = '1';
      say('Cannot reach the emulator (' + error.message + '); retrying.');
    }
  }

  async function copyCode(code) {
    try {
      await navigator.clipboard.writeText(code);
    } catch {
      // Clipboard API needs a secure context; 127.0.0.1 usually is one, other hosts may not be.
      const area = document.createElement('textarea');
      area.value = code;
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    say('Copied ' + code + '.');
  }

  body.addEventListener('click', (event) => {
    const button = event.target.closest('button.copy');
    if (button) copyCode(button.dataset.code);
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const to = filterValue();
    history.replaceState(null, '', to ? '?to=' + encodeURIComponent(to) : location.pathname);
    last = '';
    refresh();
  });

  document.getElementById('clear').addEventListener('click', async () => {
    if (!confirm('Delete every message in the dev mailbox?')) return;
    const response = await fetch('/_dev/messages', { method: 'DELETE' });
    say(response.ok ? 'Mailbox cleared.' : 'Could not clear the mailbox (HTTP ' + response.status + ').');
    last = '';
    refresh();
  });

  input.value = new URLSearchParams(location.search).get('to') ?? input.value;
  setInterval(() => { if (!document.hidden) refresh(); }, ${REFRESH_MS});
  refresh();
})();
</script>
</body>
</html>
`;
}
