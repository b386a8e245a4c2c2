/** The bindings tests see through `env` (cloudflare:test, cloudflare:workers): the Worker's own. */
import type { Env as WorkerEnv } from '../../src/worker/object.ts';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
