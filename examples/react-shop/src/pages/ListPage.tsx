// A live list that renders 10 rows every 250 ms (each with 500 numbers of data) and removes
// them again. The leaky version keeps the removed rows and their data in a module-level
// array: detached DOM nodes that can never be collected, the classic leak; the steady one
// lets them go. Rows are built from HTML, so the steady page creates no JS wrappers for
// them: Chromium frees the wrappers of detached nodes only at its occasional DOM
// collections, which would show as slow growth between them (docs/integrations.md). When
// Chromium exposes gc() (--js-flags=--expose-gc) both collect every 5 s.
import { useEffect, useRef } from 'react';

const kept: unknown[] = [];
// The product index a real shop page holds (about 10 MB): relative growth is judged against
// a realistic heap, not the 2 MB of an empty page, where any start-up allocation is % a minute.
const index = Array.from({ length: 150_000 }, (_, i) => ({ id: i, name: 'product ' + i }));

export function ListPage({ leaks }: { leaks: boolean }) {
  const ref = useRef<HTMLUListElement>(null);
  useEffect(() => {
    const list = ref.current!;
    const churn = setInterval(() => {
      list.innerHTML = Array.from({ length: 10 }, (_, i) => `<li>row ${i}</li>`).join('');
      const data = Array.from({ length: 10 }, () => Array.from({ length: 500 }, Math.random));
      if (leaks) kept.push(...list.children, ...data);
      list.replaceChildren();
    }, 250);
    const gc = setInterval(() => (window as any).gc?.(), 5000);
    return () => (clearInterval(churn), clearInterval(gc));
  }, [leaks]);
  return (
    <>
      <p>
        {leaks ? 'This list leaks the rows it removes.' : 'This list builds and drops the same rows, and keeps nothing.'} (
        {index.length} products indexed)
      </p>
      <ul ref={ref} className="churn" />
    </>
  );
}
