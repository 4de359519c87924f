// Setup file of `vitest run --mode unit` (pnpm test:unit): a unit test may not open a socket, start a
// server or run a program. Anything that does is an integration test and belongs in a `*.int.test.ts`
// file, which unit runs leave out; this makes a mis-named one fail at once instead of quietly turning
// the fast run into a slow one. Plain JavaScript: it is loaded as is by every package's run.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

function refuse(what) {
  return function refused() {
    throw new Error(
      `${what} in a unit test: unit runs (pnpm test:unit) start no servers, open no connections and ` +
        'run no programs. Rename the file to *.int.test.ts (it then runs with pnpm test).',
    );
  };
}

net.Server.prototype.listen = refuse('net.Server.listen (starting a server)');
// net.connect, net.createConnection, http, fetch (undici) and ioredis all end in Socket#connect.
net.Socket.prototype.connect = refuse('net.Socket.connect (opening a connection)');
net.connect = refuse('net.connect (opening a connection)');
net.createConnection = refuse('net.createConnection (opening a connection)');
for (const name of ['spawn', 'spawnSync', 'fork', 'exec', 'execSync', 'execFile', 'execFileSync']) {
  childProcess[name] = refuse(`child_process.${name} (running a program)`);
}
// ESM imports of node:net and node:child_process see the replacements too.
syncBuiltinESMExports();
