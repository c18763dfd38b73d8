// Vite config of the example shop. /api goes to perfwatch ($PERFWATCH_URL, default the demo's
// http://127.0.0.1:9797), so beacons, the score and the alert stream are same-origin.
// dedupe: @perfwatch/react is linked from sdk/react (file: dependency), whose own
// node_modules holds a React for its tests: the app's copy must be the only one.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const target = process.env.PERFWATCH_URL || 'http://127.0.0.1:9797';
const proxy = { '/api': { target, changeOrigin: true } };

export default defineConfig({
  plugins: [react()],
  resolve: { dedupe: ['react', 'react-dom', '@perfwatch/rum'] },
  server: { proxy },
  preview: { proxy },
});
