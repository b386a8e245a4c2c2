/**
 * `cloudflare:workers` for Node: `@cloudflare/workers-oauth-provider` imports `WorkerEntrypoint` from it only to
 * tell handler classes from handler objects, which the built-in authorization server does not use. bin/maas-mcp.js
 * resolves the specifier here (workerd provides the real module on Workers); vitest aliases it here too.
 */
export class WorkerEntrypoint {}
export class DurableObject {}
