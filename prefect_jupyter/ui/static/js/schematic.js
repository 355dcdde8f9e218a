// The flow schematic: the notebook widget's own drawing code (flow_widget.js), not a copy.

import { applyStates, drawGraph } from "../../widget/flow_widget.js";
import { h } from "./dom.js";

/** A scrollable box with the flow's DAG drawn in it. `graph` is serialized_flow.graph.
 * Returns {el, update(states)}; update recolours only the nodes whose state changed. */
export function schematic(graph) {
  if (!graph || !Array.isArray(graph.nodes)) {
    const el = h("p", { class: "muted" },
      "No schematic: this flow was registered without a graph model. Register it again to see one.");
    return { el, update: () => {} };
  }
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Schematic of ${graph.flow || "the flow"}`);
  const el = h("div", { class: "schematic pj-scroll" }, svg);
  drawGraph(svg, graph);
  return { el, svg, update: (states) => applyStates(svg, states) };
}
