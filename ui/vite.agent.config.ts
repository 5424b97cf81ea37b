import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vite';
import app from './vite.config';

// The agent's window (crates/agent): its own page and bundle, with the desktop UI's
// styles, i18n helpers and error type, embedded into lifeline-agent from dist-agent.
export default mergeConfig(
  app,
  defineConfig({
    server: { port: 5174 },
    build: {
      outDir: 'dist-agent',
      rollupOptions: {
        input: fileURLToPath(new URL('./agent.html', import.meta.url)),
        output: { entryFileNames: 'assets/agent.js' },
      },
    },
  }),
);
