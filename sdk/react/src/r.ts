// One import of each external for the whole bundle (esbuild keeps one import statement per
// importing file otherwise), and the small helpers the hooks share.
export { createContext, createElement, useContext, useEffect, useLayoutEffect, useRef, useState } from 'react';
export { init, isSampledIn, journey, pick, record, stripUrl, subscribe, summarize } from '@perfwatch/rum';

/** GET `url` with `headers` (or `init`, headers included); the JSON answer, or an Error with the server's message. */
export async function getJson(url: string, headers: Record<string, string>, init?: RequestInit): Promise<any> {
  const r = await fetch(url, { headers, ...init });
  const j = await r.json();
  if (!r.ok) throw Error(j.error || r.status);
  return j;
}
