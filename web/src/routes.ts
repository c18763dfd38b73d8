// The dashboard's pages, in navigation order; the first is the home page ("/"). The
// server serves index.html at each of these paths (kDashboardPages in
// src/cli/api_handlers.cc): add a page in both places.
import type { PageDef } from './page';
import { alertsPage } from './pages/alerts';
import { budgetsPage } from './pages/budgets';
import { checksPage } from './pages/checks';
import { dbPage } from './pages/db';
import { deployPage } from './pages/deploy';
import { errorsPage } from './pages/errors';
import { explorePage } from './pages/explore';
import { journeysPage } from './pages/journeys';
import { memoryPage } from './pages/memory';
import { networkPage } from './pages/network';
import { overviewPage } from './pages/overview';
import { regressionsPage } from './pages/regressions';
import { routePage } from './pages/route';
import { servicesPage } from './pages/services';
import { serverPage } from './pages/status';
import { tracePage } from './pages/trace';
import { vitalsPage } from './pages/vitals';

export const ROUTES: PageDef[] = [overviewPage, vitalsPage, alertsPage, explorePage, serverPage,
  servicesPage, routePage, tracePage, dbPage, errorsPage, regressionsPage, deployPage, memoryPage,
  networkPage, journeysPage, budgetsPage, checksPage];
