import { features } from './config/features.js';
import { legacySyncRoutes } from './legacy-sync.js';

/* wsmig-codemod: "legacySyncRoutes" from the legacy module legacy-sync.ts is still used here: remove this use by hand before the module is deleted */
export const routeCount = legacySyncRoutes.length + 2;
/* wsmig-codemod: the feature flag is read outside an if, ?:, && or || test: replace it with the WebSocket behaviour by hand */
export const transport = { ws: features.useNewWSSync };
