import { h } from '../dom';
import type { PageDef } from '../page';

export const statusPage: PageDef = {
  path: '/status',
  title: 'Status',
  mount(root) {
    root.append(h('h1', null, 'Status'));
    return {};
  },
};
