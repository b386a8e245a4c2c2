/**
 * YAML policies (README "Guardrails"), for Node: js-yaml's safe loader (no custom types, no code). Kept apart from
 * ./rules.ts so that the Worker, which reads JSON policies, does not carry a YAML parser in its bundle.
 */
import { load } from 'js-yaml';
import type { PolicyFormat } from './rules.ts';

export const YAML_FORMAT: PolicyFormat = {
  name: 'YAML or JSON',
  load: (text, source) => load(text, { filename: source }),
};
