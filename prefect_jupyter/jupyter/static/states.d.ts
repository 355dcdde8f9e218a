// Types for states.js: state sets (generated from the state classes) and node states, shared by
// the notebook widget, the web UI and the labextension.
import type { NodeState } from './flow_widget.js';

export const ALL: Set<string>;
export const PENDING: Set<string>;
export const SCHEDULED: Set<string>;
export const SUBMITTED: Set<string>;
export const QUEUED: Set<string>;
export const RUNNING: Set<string>;
export const CANCELLING: Set<string>;
export const FINISHED: Set<string>;
export const SUCCESSFUL: Set<string>;
export const CACHED: Set<string>;
export const MAPPED: Set<string>;
export const SKIPPED: Set<string>;
export const LOOPED: Set<string>;
export const FAILED: Set<string>;
export const RETRYING: Set<string>;
export const PAUSED: Set<string>;
export const META: Set<string>;
export const RUNNABLE_SCHEDULED: Set<string>;

/** Whether a state name is a finished state. */
export function isFinished(state: string | null | undefined): boolean;

/** How many of a mapped node's children have finished, and how many of those failed. */
export function childProgress(counts: Record<string, number> | null | undefined): {
  done: number;
  failed: number;
};

/** One node's state fields from its task run's state name, message, children's state counts
 * and the Mapped state's n_map_states (see states.js). */
export function nodeState(
  kind: string,
  state: string | null | undefined,
  message: string | null | undefined,
  counts: Record<string, number> | null | undefined,
  nMapStates: number | null | undefined
): NodeState;
