// Renders hooks under a PerfwatchProvider with react-test-renderer and exposes their latest
// result.
import TestRenderer, { act } from 'react-test-renderer';
import { PerfwatchProvider, type PerfwatchConfig } from '../src/index';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

export { act };

export async function renderHook<T>(hook: () => T, config: PerfwatchConfig = { app: 'shop' }) {
  const out = { current: undefined as T, renderer: undefined as any };
  function Probe() {
    out.current = hook();
    return null;
  }
  await act(async () => {
    out.renderer = TestRenderer.create(
      <PerfwatchProvider {...config}>
        <Probe />
      </PerfwatchProvider>,
    );
  });
  return out;
}

/** Lets pending promises (fetch stubs) and React updates settle. */
export const settle = () => act(async () => { for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0)); });
