// Vite build of the dashboard: web/dist/index.html + web/dist/assets/*.{js,css} (names
// carry a content hash), embedded into the binary by cmake/frontend.cmake.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    reportCompressedSize: false,
    modulePreload: { polyfill: false },
  },
});
