// Times and durations: the web UI's module (prefect_jupyter/ui/static/js/format.js), bundled from
// its one source file, so the sidebar and the UI say "3 min 5 s ago" alike.
export {
  duration,
  fmtDuration,
  fmtRelative,
  fmtTime,
  ms
} from '../../prefect_jupyter/ui/static/js/format.js';
