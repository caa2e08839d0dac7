export type { CallCredentials, Listener } from './call_credentials';
export { createTenancyGate } from './create_tenancy_gate';
export type { TenancyGate } from './tenancy_gate';
export * from './tenancy_settings';
