import { h } from '../dom';
import type { PageDef } from '../page';

export const vitalsPage: PageDef = {
  path: '/vitals',
  title: 'Web Vitals',
  mount(root) {
    root.append(h('h1', null, 'Web Vitals'));
    return {};
  },
};
