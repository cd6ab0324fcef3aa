import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API to a Settle on :8080 (make run); the build goes to dist/,
// which `settle serve --web-root web/dist` serves with the SPA fallback.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    proxy: {
      '/rest': 'http://127.0.0.1:8080',
      '/auth': 'http://127.0.0.1:8080',
      '/pay': 'http://127.0.0.1:8080',
    },
  },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
