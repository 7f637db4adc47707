/**
 * The compatibility routes a server mounts (INTAKE_COMPAT): one adapter per API, each a
 * thin mapping of its document's requests and answers onto the use cases.
 */
import type { CompatApi } from '../config/config.js';
import type { CompatDeps, CompatMount } from './kit.js';
import { ittybitRoutes } from './ittybit/routes.js';
import { mediakitRoutes } from './mediakit/routes.js';
import { mediauploadRoutes } from './mediaupload/routes.js';
import { mixpeekRoutes } from './mixpeek/routes.js';
import { videoapiRoutes } from './videoapi/routes.js';

const ADAPTERS: Record<CompatApi, (deps: CompatDeps) => CompatMount> = {
  mediakit: mediakitRoutes,
  videoapi: videoapiRoutes,
  mediaupload: mediauploadRoutes,
  mixpeek: mixpeekRoutes,
  ittybit: ittybitRoutes,
};

export function compatMounts(names: readonly CompatApi[], deps: CompatDeps): CompatMount[] {
  return names.map((name) => ADAPTERS[name](deps));
}
