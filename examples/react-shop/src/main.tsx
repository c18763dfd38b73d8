import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { PerfwatchProvider } from '@perfwatch/react';
import { App } from './App';
import { monitoring } from './monitoring';
import './shop.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <PerfwatchProvider app={import.meta.env.VITE_PERFWATCH_APP || 'react-shop'} sampleRate={1} memoryInterval={5000} {...monitoring}>
      <App />
    </PerfwatchProvider>
  </StrictMode>,
);
