// A flow run's logs, live: the newest lines at or above the chosen level. The page's poll asks
// for the number of matching lines; only when it changes are the lines fetched again.

import { gql } from "./api.js";
import { fill, h, ms, plural } from "./dom.js";
import { CLOCK } from "./format.js";

const LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];
const ALIASES = { WARNING: ["WARN"], CRITICAL: ["FATAL"] };
export const TAIL = 500;

const QUERY = `query Logs($where: log_bool_exp!, $limit: Int!) {
  log(where: $where, order_by: [{timestamp: desc}, {id: desc}], limit: $limit) {
    id timestamp level name message task_run_id
  }
}`;

export class LogView {
  constructor(runId) {
    this.runId = runId;
    this.count = null;
    this.limit = TAIL;
    this.level = h("select", { name: "level", "aria-label": "Lowest log level shown",
      onchange: () => { this.count = null; this.changed(); } },
      LEVELS.map((l) => h("option", { value: l, selected: l === "INFO" }, `${l} and above`)));
    this.info = h("span", { class: "muted" });
    this.more = h("button", { type: "button", hidden: true, onclick: () => { this.limit += TAIL * 4; this.count = null; this.changed(); } },
      "Show older lines");
    this.box = h("div", { class: "logs", tabindex: "0", "aria-label": "Logs" });
    this.el = h("div", {}, h("div", { class: "filters" }, this.level, this.info, this.more), this.box);
    this.changed = () => {};
  }

  /** The levels the filter lets through, as stored in the log table. */
  levels() {
    const from = LEVELS.indexOf(this.level.value);
    return LEVELS.slice(from).flatMap((l) => [l, ...(ALIASES[l] || [])]);
  }

  where() {
    return { flow_run_id: { _eq: this.runId }, level: { _in: this.levels() } };
  }

  /** Called with the current number of matching lines; fetches the tail if it changed. */
  async update(count) {
    if (count === this.count) return;
    const { log } = await gql(QUERY, { where: this.where(), limit: this.limit });
    this.count = count;
    this.render(log.reverse());
  }

  render(lines) {
    const atBottom = this.box.scrollHeight - this.box.scrollTop - this.box.clientHeight < 30;
    const shown = lines.length;
    this.info.textContent = this.count > shown ? `the newest ${plural(shown, "line")} of ${this.count.toLocaleString()}`
      : plural(this.count, "line");
    this.more.hidden = !(this.count > shown);
    fill(this.box, lines.length ? lines.map(line) : h("p", { class: "muted" }, "No logs yet."));
    if (atBottom || this.first !== false) this.box.scrollTop = this.box.scrollHeight;
    this.first = false;
  }
}

function line(l) {
  const t = ms(l.timestamp);
  const time = t == null ? "" : CLOCK.format(new Date(t)) +
    `.${String(t % 1000).padStart(3, "0")}`;
  return h("div", { class: "log-line", dataset: { level: l.level || "" } },
    h("span", { class: "log-time" }, time),
    h("span", { class: "log-level" }, l.level || ""),
    h("span", { class: "log-name" }, l.name || ""),
    h("span", { class: "log-msg" }, l.message || ""));
}
