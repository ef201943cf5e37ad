// Builds the pages served at /playground (GraphiQL), /playground/chat (the chat console) and
// /playground/desk (the front desk) into dist/, which the server compiles into its binary.
// Everything is bundled: the pages load nothing from other hosts.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  base: '/playground/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The committed build must be reproducible from the sources alone.
    sourcemap: false,
    // Monaco is large; this is a tool served from localhost, not a public site.
    chunkSizeWarningLimit: 6000,
    modulePreload: { polyfill: false },
    rollupOptions: {
      output: {
        // Libraries in chunks of their own, so a change to the pages' code leaves their names
        // (content hashes) and the committed files alone.
        manualChunks(id) {
          if (!id.includes('/node_modules/')) return undefined;
          // Prettier stays lazy (GraphiQL loads it to prettify). graphql-ws, and graphql-js
          // which it imports, are shared with the chat console, which needs nothing else of
          // GraphiQL's: were graphql-js in GraphiQL's chunk, the console would load all of it,
          // styles included, to run graphql-js's modules first.
          if (/\/node_modules\/prettier\//.test(id)) return undefined;
          if (/\/node_modules\/graphql(-ws)?\//.test(id)) return 'graphql';
          return 'graphiql';
        },
      },
      onwarn(warning, warn) {
        // GraphiQL's React-compiler hints ("use no memo") mean nothing to the bundler.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
      input: {
        index: resolve(import.meta.dirname, 'index.html'),
        chat: resolve(import.meta.dirname, 'chat.html'),
        desk: resolve(import.meta.dirname, 'desk.html'),
      },
    },
  },
  worker: { format: 'es' },
});
