import { h } from '../dom';
import type { PageDef } from '../page';

export const alertsPage: PageDef = {
  path: '/alerts',
  title: 'Alerts',
  mount(root) {
    root.append(h('h1', null, 'Alerts'));
    return {};
  },
};
