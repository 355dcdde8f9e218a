// prefect_jupyter's JupyterLab extension: a sidebar of the API server's flows and runs, live run
// views in the main area, and a renderer for flow graphs saved in notebooks.
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { LabIcon } from '@jupyterlab/ui-components';
import { GRAPH_RANK, graphRendererFactory } from './mime';
import { RunView } from './runview';
import { PrefectSidebar } from './sidebar';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
  '<g class="jp-icon3" fill="#616161">' +
  '<circle cx="5" cy="6" r="3"/><circle cx="5" cy="18" r="3"/><circle cx="19" cy="12" r="3"/>' +
  '<path d="M7.5 7.2l9 3.6-.7 1.8-9-3.6zM7.5 16.8l9-3.6-.7-1.8-9 3.6z"/></g></svg>';

export const prefectIcon = new LabIcon({ name: 'prefect-jupyter:flows', svgstr: ICON_SVG });

const OPEN_RUN = 'prefect-jupyter:open-run';
const SHOW_SIDEBAR = 'prefect-jupyter:show-sidebar';

const panels: JupyterFrontEndPlugin<void> = {
  id: 'prefect-jupyter:panels',
  description: 'The prefect_jupyter sidebar (flows, recent runs, quick run) and run views.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    const tracker = new WidgetTracker<MainAreaWidget<RunView>>({ namespace: 'prefect-jupyter-run' });
    app.commands.addCommand(OPEN_RUN, {
      label: 'Open Flow Run',
      describedBy: {
        args: {
          type: 'object',
          properties: { id: { type: 'string' }, title: { type: 'string' } }
        }
      },
      execute: args => {
        const id = String(args.id);
        const existing = tracker.find(w => w.content.runId === id);
        if (existing) {
          app.shell.activateById(existing.id);
          return existing;
        }
        const content = new RunView(id);
        const widget = new MainAreaWidget({ content });
        widget.id = `prefect-jupyter-run-${id}`;
        widget.title.label = String(args.title || `Flow run ${id.slice(0, 8)}`);
        widget.title.icon = prefectIcon;
        widget.title.closable = true;
        content.title.changed.connect(() => {
          widget.title.label = content.title.label;
        });
        void tracker.add(widget);
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
        return widget;
      }
    });
    const sidebar = new PrefectSidebar((id, title) => {
      void app.commands.execute(OPEN_RUN, { id, title });
    });
    sidebar.title.icon = prefectIcon;
    sidebar.title.caption = 'Prefect Jupyter: flows and runs';
    app.shell.add(sidebar, 'left', { rank: 600 });
    app.commands.addCommand(SHOW_SIDEBAR, {
      label: 'Show Prefect Jupyter Flows and Runs',
      execute: () => app.shell.activateById(sidebar.id)
    });
    palette?.addItem({ command: SHOW_SIDEBAR, category: 'Prefect Jupyter' });
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
      void restorer.restore(tracker, {
        command: OPEN_RUN,
        args: w => ({ id: w.content.runId, title: w.title.label }),
        name: w => w.content.runId
      });
    }
  }
};

const graphRenderer: JupyterFrontEndPlugin<void> = {
  id: 'prefect-jupyter:graph-renderer',
  description: 'Draws flow graphs saved in notebook outputs, without a kernel.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  activate: (_app: JupyterFrontEnd, rendermime: IRenderMimeRegistry) => {
    rendermime.addFactory(graphRendererFactory, GRAPH_RANK);
  }
};

export default [panels, graphRenderer];
