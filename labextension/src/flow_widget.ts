// The DAG drawing shared with the notebook widget and the web UI: the widget's own ES module
// (prefect_jupyter/jupyter/static/flow_widget.js), bundled from its one source file.
export { applyStates, drawGraph } from '../../prefect_jupyter/jupyter/static/flow_widget.js';
export type {
  GraphEdge,
  GraphModel,
  GraphNode,
  NodeState,
  StateMap
} from '../../prefect_jupyter/jupyter/static/flow_widget.js';
