import { h } from '../dom';
import type { PageDef } from '../page';

export const explorePage: PageDef = {
  path: '/explore',
  title: 'Explore',
  mount(root) {
    root.append(h('h1', null, 'Explore'));
    return {};
  },
};
