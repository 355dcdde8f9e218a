// The renderer of application/vnd.prefect-jupyter.graph+json: a flow's graph model saved in a
// notebook output, drawn with the shared DAG code, so the graph shows without a kernel.
//
// Python shows a flow as one output bundle holding the live widget's view and this graph model.
// This renderer ranks before the widget's, draws the saved graph at once and, in a trusted
// output, asks the output area's own registry for the widget renderer: when the widget's
// model is alive (a kernel that displayed it), the live widget replaces the saved drawing; when
// it is not (notebook reopened, kernel gone or restarted), the saved drawing stays.
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';
import { h } from './dom';
import { drawGraph, GraphModel } from './flow_widget';

export const GRAPH_MIME = 'application/vnd.prefect-jupyter.graph+json';
export const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';
/** Before the widget renderer's rank (-10), so that bundles holding both come here first. */
export const GRAPH_RANK = -20;

interface IRegistryLike {
  mimeTypes: ReadonlyArray<string>;
  createRenderer(mimeType: string): IRenderMime.IRenderer;
}

/** The rendermime registry of the output area this widget sits in, if any. */
function outputRegistry(widget: Widget): IRegistryLike | null {
  for (let w = widget.parent; w; w = w.parent) {
    const rm = (w as any).rendermime as IRegistryLike | undefined;
    if (rm && typeof rm.createRenderer === 'function') {
      return rm;
    }
  }
  return null;
}

/** Draw a graph model into a new `.pj-widget` element (a header with the flow's name). */
export function graphElement(graph: GraphModel): HTMLElement {
  const root = h('div', 'pj-widget pj-lab-static-graph');
  const head = h('div', 'pj-header', root);
  h('span', 'pj-flow', head, graph.flow || '');
  const n = (graph.nodes || []).filter(x => x.kind !== 'constant').length;
  h('span', 'pj-progress', head, `${n} task${n === 1 ? '' : 's'} · saved graph`);
  const scroll = h('div', 'pj-scroll', root);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  scroll.appendChild(svg);
  drawGraph(svg, graph);
  return root;
}

export class GraphRenderer extends Panel implements IRenderMime.IRenderer {
  private readonly saved = new Widget();
  private live: IRenderMime.IRenderer | null = null;
  private model: IRenderMime.IMimeModel | null = null;
  private observer: MutationObserver | null = null;

  constructor(readonly options: IRenderMime.IRendererOptions) {
    super();
    this.addClass('pj-lab-graph-output');
    this.addWidget(this.saved);
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const graph = model.data[GRAPH_MIME] as unknown as GraphModel;
    this.model = model;
    if (this.node.dataset.live === 'true') {
      // an update of a shown live widget's output (its final states, for saving): the live
      // widget draws them already
      return;
    }
    this.saved.node.replaceChildren(graphElement(graph));
    if (this.isAttached) {
      this.tryLiveWidget();
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.tryLiveWidget();
  }

  dispose(): void {
    this.observer?.disconnect();
    super.dispose();
  }

  /** In a trusted output that also holds a widget view, show the live widget when it renders. */
  private tryLiveWidget(): void {
    const model = this.model;
    if (!model || this.live || !model.trusted || !(WIDGET_MIME in model.data)) {
      return;
    }
    const registry = outputRegistry(this);
    if (!registry || !registry.mimeTypes.includes(WIDGET_MIME)) {
      return;
    }
    const live = registry.createRenderer(WIDGET_MIME);
    this.live = live;
    live.hide();
    this.addWidget(live);
    // the widget renderer adds a child widget once the model's view exists (now, or later when
    // the kernel's widgets are restored); until then the saved drawing stays
    const check = () => {
      if ((live as unknown as Panel).widgets?.length) {
        // the live widget draws the same graph: drop the saved drawing (not just hide it)
        this.saved.node.replaceChildren();
        this.saved.hide();
        live.show();
        this.node.dataset.live = 'true';
        this.observer?.disconnect();
        this.observer = null;
      }
    };
    this.observer = new MutationObserver(check);
    this.observer.observe(live.node, { childList: true });
    void live.renderModel(model).then(check, () => undefined);
  }
}

/** The factory registered with the app's rendermime registry. */
export const graphRendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [GRAPH_MIME],
  defaultRank: GRAPH_RANK,
  createRenderer: options => new GraphRenderer(options)
};
