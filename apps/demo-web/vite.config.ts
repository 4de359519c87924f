import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // @otpgate/client from source: the page builds without building the client first.
  resolve: { conditions: ['@otpgate/source', ...defaultClientConditions] },
  // `vite` (dev server): the page's default GraphQL URL is the relative /graphql, so hand it to a local
  // gateway (`pnpm start`); in local mode the gateway allows any loopback origin.
  server: { proxy: { '/graphql': 'http://127.0.0.1:4000' } },
  build: { target: 'es2022', reportCompressedSize: false },
});
