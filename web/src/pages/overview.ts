import { h } from '../dom';
import type { PageDef } from '../page';

export const overviewPage: PageDef = {
  path: '/overview',
  title: 'Overview',
  mount(root) {
    root.append(h('h1', null, 'Overview'));
    return {};
  },
};
