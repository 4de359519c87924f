import { createMemoryTokenStore, createOtpgateClient } from '@otpgate/client';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { readConfig } from './config.js';
import './styles.css';

const config = readConfig(document);
// Tokens live in memory only: a reload signs the user out, and nothing is left in localStorage.
const client = createOtpgateClient({
  url: config.graphqlUrl,
  ...(config.clientName !== undefined && { clientName: config.clientName }),
  tokenStore: createMemoryTokenStore(),
});

const root = document.getElementById('root');
if (!root) throw new Error('#root is missing from index.html');
createRoot(root).render(
  <StrictMode>
    <App client={client} config={config} />
  </StrictMode>,
);
