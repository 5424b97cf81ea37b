import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// The generated IPC types live beside the Rust that defines them.
const bindings = fileURLToPath(new URL('../src-tauri/bindings', import.meta.url));
const agentBindings = fileURLToPath(new URL('../crates/agent/bindings', import.meta.url));
// The wire protocol's types, shared with the join page: imported, never copied.
const protocol = fileURLToPath(new URL('../crates/protocol/bindings', import.meta.url));

export default defineConfig({
  plugins: [svelte()],
  resolve: {
    alias: { $bindings: bindings, '$agent-bindings': agentBindings, $protocol: protocol },
    conditions: process.env.VITEST ? ['browser'] : undefined,
  },
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: 'es2022',
    // No inline data: the CSP allows scripts and styles from 'self' only.
    assetsInlineLimit: 0,
    sourcemap: false,
    // Stable names: the built UI is committed (the Rust build embeds it), so a rebuild
    // of the same sources changes nothing.
    rollupOptions: {
      output: {
        entryFileNames: 'assets/app.js',
        chunkFileNames: 'assets/[name].js',
        assetFileNames: 'assets/[name][extname]',
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
});
