/**
 * What MCP needs on Workers: the @cfworker JSON Schema validator (workerd refuses the SDK's default, Ajv, which
 * compiles code at run time). Only the Worker entry point imports this.
 */
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/cfworker';
import type { McpHttpOptions } from './server.ts';

export function workersValidator(): NonNullable<McpHttpOptions['validator']> {
  return new CfWorkerJsonSchemaValidator();
}
