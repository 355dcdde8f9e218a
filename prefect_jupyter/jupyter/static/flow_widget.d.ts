// Types for flow_widget.js: the DAG drawing shared by the notebook widget, the web UI and the
// labextension. Styles come from flow_widget.css and apply inside an element with class
// "pj-widget" (colours are picked by each node's data-state attribute).

/** One node's state fields, as in prefect_jupyter.viz.node_state / state_update. */
export interface NodeState {
  state: string | null;
  color: string | null;
  message: string | null;
  /** children's state names → how many (mapped nodes only) */
  counts: Record<string, number> | null;
  n_children: number | null;
}

/** A node of the graph model (prefect_jupyter.viz.graph_model). */
export interface GraphNode extends NodeState {
  id: string;
  name: string;
  kind: "task" | "mapped" | "parameter" | "constant";
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GraphEdge {
  source: string;
  target: string;
  key: string | null;
  mapped: boolean;
  flattened: boolean;
  /** cubic Bézier control points [p0, c1, c2, p1, c1, c2, p2, ...] */
  points: [number, number][];
}

export interface GraphModel {
  flow: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  layout: { width: number; height: number; engine: string } | null;
}

/** Node id → state fields (all nodes, or only the changed ones; unchanged entries are skipped). */
export type StateMap = Record<string, NodeState>;

/** Draw the graph into `svgRoot` (its content is replaced); returns the node index it keeps. */
export function drawGraph(svgRoot: SVGSVGElement, graph: GraphModel): Map<string, unknown>;

/** Recolour the nodes of a graph drawn by drawGraph; touches only nodes whose state changed. */
export function applyStates(svgRoot: SVGSVGElement, states: StateMap): void;

/** anywidget entry point (the default export's `render`); returns a cleanup function. */
declare function render(props: { model: unknown; el: HTMLElement }): () => void;

declare const _default: { render: typeof render };
export default _default;
