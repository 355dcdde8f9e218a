// State sets and node states: the widget's shared module (prefect_jupyter/jupyter/static/states.js,
// generated from the state classes), bundled from its one source file like the drawing code.
export {
  FAILED,
  FINISHED,
  SUCCESSFUL,
  childProgress,
  isFinished,
  nodeState
} from '../../prefect_jupyter/jupyter/static/states.js';
