import { fileURLToPath } from 'node:url';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const at = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  // Main process: ESM (package.json "type": "module"), out/main/index.js. Dependencies stay external
  // (externalizeDeps, on by default): keytar is a native module and the rest load from node_modules in the asar.
  main: {
    build: {
      outDir: at('./out/main'),
      externalizeDeps: true,
      rolldownOptions: {
        input: { index: at('./main/index.ts') },
        external: ['keytar'],
      },
    },
  },

  // Preload: ONE CommonJS file. A sandboxed preload cannot load ESM or other files of ours, so everything but
  // 'electron' is bundled in (externalizeDeps off) and code splitting is off.
  preload: {
    build: {
      outDir: at('./out/preload'),
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: at('./preload/index.ts') },
        output: {
          format: 'cjs',
          entryFileNames: '[name].cjs',
          codeSplitting: false,
        },
      },
    },
  },

  // Renderer: Svelte 5 app rooted at renderer/, served by the app:// protocol from out/renderer.
  renderer: {
    root: at('./renderer'),
    base: './',
    plugins: [svelte()],
    build: {
      outDir: at('./out/renderer'),
      emptyOutDir: true,
      rolldownOptions: {
        input: { index: at('./renderer/index.html') },
      },
    },
  },
});
