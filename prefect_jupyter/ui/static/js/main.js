// The UI's entry point: hash routing, the header, and each page's lifetime (its pollers stop
// when the user leaves the page).

import { ApiError, capabilities, health, setToken } from "./api.js";
import { dashboardPage } from "./dashboard.js";
import { h, fill } from "./dom.js";
import { flowPage } from "./flow.js";
import { flowRunPage } from "./flow_run.js";
import { flowsPage } from "./flows.js";
import { Poller, onStatus } from "./poll.js";

const ROUTES = [
  [/^\/?$/, dashboardPage, "dashboard"],
  [/^\/flows\/?$/, flowsPage, "flows"],
  [/^\/flow\/([0-9a-fA-F-]+)\/?$/, flowPage, "flows"],
  [/^\/flow-run\/([0-9a-fA-F-]+)\/?$/, flowRunPage, "flows"],
];

const main = document.getElementById("page");
const banner = document.getElementById("banner");
let leave = [];
let generation = 0;

/** What a page gets: its pollers and cleanups end when the route changes. */
class PageContext {
  constructor(gen, caps) {
    this.gen = gen;
    this.caps = caps;
  }

  get current() {
    return this.gen === generation;
  }

  poll(fn, interval) {
    const p = new Poller(async () => { if (this.current) await fn(); }, interval);
    leave.push(() => p.stop());
    return p.start();
  }

  onLeave(fn) {
    leave.push(fn);
  }
}

async function route() {
  for (const fn of leave.splice(0)) fn();
  const gen = ++generation;
  const path = decodeURIComponent(location.hash.replace(/^#/, "")) || "/";
  const found = ROUTES.map(([re, page, nav]) => [path.match(re), page, nav]).find(([m]) => m);
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.classList.toggle("active", Boolean(found) && a.dataset.nav === found[2]);
  }
  if (!found) {
    fill(main, h("h1", {}, "Page not found"), h("p", {}, "Nothing lives at ", h("code", {}, path), ". ",
      h("a", { href: "#/" }, "Back to the dashboard"), "."));
    return;
  }
  const [match, page] = found;
  fill(main, h("p", { class: "muted" }, "Loading…"));
  try {
    const caps = await capabilities();
    if (gen !== generation) return;
    await page(main, match.slice(1), new PageContext(gen, caps));
  } catch (e) {
    if (gen === generation) showPageError(e);
  }
}

function showPageError(e) {
  if (e instanceof ApiError && e.code === "UNAUTHENTICATED") {
    fill(main, tokenForm(e.message));
    return;
  }
  fill(main, h("div", { class: "error-box" }, h("h1", {}, "Could not load this page"),
    h("pre", {}, e.message || String(e))));
}

function tokenForm(message) {
  const input = h("input", { type: "password", name: "token", autocomplete: "off",
    placeholder: "API token", required: true });
  const form = h("form", { class: "card token-form" },
    h("h2", {}, "API token needed"),
    h("p", {}, message),
    h("p", { class: "muted" }, "The token is the server's `server.api_token`; it is kept for this tab only."),
    h("div", { class: "row" }, input, h("button", { type: "submit", class: "primary" }, "Connect")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    setToken(input.value.trim());
    route();
  });
  return form;
}

const live = document.getElementById("live");
onStatus((status, error) => {
  live.dataset.status = status;
  live.title = status === "error" ? `Live updates failing: ${error.message}` : `Live updates: ${status}`;
  if (status === "error") showBanner(error.message);
  else if (status === "live") showBanner(null);
});

function showBanner(text) {
  banner.hidden = !text;
  banner.textContent = text || "";
}

async function showServer() {
  const info = await health();
  const el = document.getElementById("server");
  el.textContent = info ? `server ${info.version || ""} · ${info.database || ""}` : "";
}

window.addEventListener("hashchange", route);
route();
showServer();
