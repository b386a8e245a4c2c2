/**
 * The schema of a workflow run's view (./view.ts builds it): the workflow tools' output. Apart from the view so
 * what only reads runs (the status page, also on a Worker) does not carry the schema.
 */
import * as z from 'zod/v4';
import { OperationState, TargetResult, WorkflowStepState } from '../../store/types.ts';

export const WorkflowStepView = z.object({
  action: z.string(),
  state: WorkflowStepState,
  note: z.string().optional().describe('What it did, or why not'),
  attempts: z.number(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});

export const WorkflowHostView = z.object({
  hostname: z.string(),
  system_id: z.string().describe('Empty until found or created'),
  result: TargetResult,
  status: z.string().describe('MAAS status, as last read'),
  message: z.string().describe('MAAS status message'),
  step: z.string().nullable().describe('The step it is on or failed at; null when done'),
  done: z.number().describe('Steps finished'),
  total: z.number(),
  error: z.string().optional(),
  steps: z.array(WorkflowStepView).optional(),
});
export type WorkflowHostView = z.infer<typeof WorkflowHostView>;

export const WorkflowView = z.object({
  id: z.string(),
  state: OperationState,
  summary: z.string(),
  requester: z.string(),
  origin: z.enum(['cli', 'server']).describe('Who resumes it after a crash'),
  actions: z.array(z.string()),
  running: z.boolean().describe('Someone runs it now (false: interrupted; run it again to resume)'),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  continued_from: z.string().optional().describe('The earlier run whose finished steps it kept'),
  counts: z.object({
    total: z.number(),
    succeeded: z.number(),
    failed: z.number(),
    timed_out: z.number(),
    cancelled: z.number(),
    pending: z.number(),
  }),
  hosts: z.array(WorkflowHostView),
});
export type WorkflowView = z.infer<typeof WorkflowView>;
