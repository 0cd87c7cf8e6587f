/** The local fleet: instances, load balancers, artifact server, run command executor, traffic and alerts. */
export * from './alerts';
export * from './artifact-server';
export * from './dns';
export * from './executor';
export * from './fleet';
export * from './instance';
export * from './load-balancer';
export * from './package';
export * from './paths';
export * from './traffic';
export * from './edge';
