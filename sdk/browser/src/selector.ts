// A short CSS selector naming an element, for attribution ("main>div.hero>img").

/** The piece of a DOM node the selector needs (so tests can fake it). */
export interface NodeLike {
  nodeType: number;
  nodeName: string;
  id?: string;
  className?: unknown;
  parentNode: NodeLike | null;
}

/** Up to `depth` levels, stopping at an element with an id or at <body>. */
export function selector(node: NodeLike | null | undefined, depth = 5): string {
  const parts: string[] = [];
  if (node && node.nodeType !== 1) node = node.parentNode;  // text node (layout shift)
  while (node && node.nodeType === 1 && parts.length < depth) {
    const tag = node.nodeName.toLowerCase();
    if (node.id) {
      parts.unshift(tag + '#' + node.id);
      break;
    }
    const cls = typeof node.className === 'string' ? node.className.trim() : '';
    parts.unshift(cls ? tag + '.' + cls.split(/\s+/).slice(0, 2).join('.') : tag);
    if (tag === 'body' || tag === 'html') break;
    node = node.parentNode;
  }
  return parts.join('>').slice(0, 200);
}
