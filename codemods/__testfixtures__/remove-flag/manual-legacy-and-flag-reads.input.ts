import { features } from './config/features.js';
import { legacySyncRoutes } from './legacy-sync.js';

export const routeCount = legacySyncRoutes.length + 2;
export const transport = { ws: features.useNewWSSync };
