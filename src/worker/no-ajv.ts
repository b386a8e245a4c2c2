/**
 * Stands in for `ajv` and `ajv-formats` in the Workers bundle (wrangler.toml `[alias]`). The MCP SDK imports
 * Ajv for its default JSON Schema validator, but workerd refuses the code Ajv generates, so the Worker always
 * passes `CfWorkerJsonSchemaValidator`; aliasing Ajv away keeps ~60 KiB (gzipped) of dead code out of the bundle.
 */
export default function ajvUnavailable(): never {
  throw new Error('Ajv is not part of the Workers build: pass CfWorkerJsonSchemaValidator to the MCP server');
}
