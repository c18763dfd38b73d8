// Vite config of the example shop. /api goes to perfwatch ($PERFWATCH_URL, default the demo's
// http://127.0.0.1:9797), so beacons, the score and the alert stream are same-origin;
// /shop-api goes to the shop API (examples/express-api, $SHOP_API_URL, default
// http://127.0.0.1:3000) without the prefix, so its calls are same-origin and traced.
// dedupe: @perfwatch/react is linked from sdk/react (file: dependency), whose own
// node_modules holds a React for its tests: the app's copy must be the only one.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const target = process.env.PERFWATCH_URL || 'http://127.0.0.1:9797';
const shopApi = process.env.SHOP_API_URL || 'http://127.0.0.1:3000';
const proxy = {
  '/api': { target, changeOrigin: true },
  '/shop-api': { target: shopApi, changeOrigin: true, rewrite: (p: string) => p.replace(/^\/shop-api/, '') || '/' },
};

export default defineConfig({
  plugins: [react()],
  resolve: { dedupe: ['react', 'react-dom', '@perfwatch/rum'] },
  server: { proxy },
  preview: { proxy },
});
