/**
 * Functions entry point: registers every function with the production composition root. Nothing is
 * built here; Azure clients and configuration are created on first use (see composition.ts).
 */
import { appDeps } from './composition';
import { registerApp } from './functions';

registerApp(appDeps);
