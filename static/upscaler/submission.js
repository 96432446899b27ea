// The submission page: live progress over one websocket (events of type "result.update", the
// schema in upscaler/notifications.py), polling the JSON status endpoint instead while the
// socket is down, and the comparison viewer once a result has succeeded.
//
// Queue positions change when *other* jobs start, which sends this page no event, so while a
// result is queued the status endpoint is also polled (slowly) for its position.
//
// The server's words for statuses and its close code for a refused subscription come from the
// page's json_script "submission-config"; the websocket path from the root's data-ws-path.

import { initViewer } from "./compare.js";
import { formatDuration } from "./format.js";

const root = document.getElementById("submission");
const live = document.getElementById("live");
const config = JSON.parse(document.getElementById("submission-config")?.textContent || "{}");
const statusUrl = root?.dataset.statusUrl;
const RECONNECT_MS = [1000, 2000, 5000, 10000];
const POLL_MS = 2000; // socket down
const QUEUE_POLL_MS = 4000; // socket up, something queued
const ETA_TICK_MS = 1000;
const ACTIVE = ["queued", "running"];

const clocks = new Map(); // result id -> {runningSince, firstDone, firstAt}
const lastEvents = new Map(); // result id -> the latest event applied (the ETA counts down from it)
let socket = null;
let socketOpen = false;
let finished = false;
let reconnects = 0;
let pollTimer = null;
let etaTimer = null;

function sectionOf(id) {
  return root.querySelector(`[data-result="${id}"]`);
}

function eta(section, event) {
  if (event.status === "queued") {
    return `Takes ${formatDuration(Number(section.dataset.estimateMs))} once started`;
  }
  if (event.status !== "running") return "";
  const now = performance.now();
  let clock = clocks.get(event.result);
  if (!clock) clocks.set(event.result, (clock = { runningSince: now, firstDone: null, firstAt: null }));
  if (event.tiles_total > 1 && event.tiles_done > 0) {
    if (clock.firstDone === null) Object.assign(clock, { firstDone: event.tiles_done, firstAt: now });
    const done = event.tiles_done - clock.firstDone;
    if (done > 0) {
      const perTile = (now - clock.firstAt) / done;
      return `${formatDuration(perTile * (event.tiles_total - event.tiles_done))} left`;
    }
  }
  const left = Number(section.dataset.estimateMs) - (now - clock.runningSince);
  return left > 1000 ? `${formatDuration(left)} left` : "Finishing…";
}

function applyEvent(event) {
  const section = sectionOf(event.result);
  if (!section) return;
  const active = ACTIVE.includes(event.status);
  section.dataset.status = event.status;
  const pill = section.querySelector(".status-pill");
  pill.dataset.status = event.status;
  pill.textContent = config.status_labels?.[event.status] || event.status;

  const track = section.querySelector(".progress-track");
  const tiles = event.tiles_total > 1 ? `Tile ${event.tiles_done} of ${event.tiles_total}` : "";
  track.setAttribute("aria-valuenow", String(event.progress));
  // What a screen reader says of the bar: the same words the panel shows.
  track.setAttribute("aria-valuetext", event.status === "queued" ? "Waiting"
    : tiles ? `${tiles}, ${event.progress}%` : active ? "Working" : `${event.progress}%`);
  track.classList.toggle("indeterminate", event.status === "queued" || (active && !event.tiles_total));
  section.querySelector(".progress-fill").style.width = `${event.progress}%`;
  // One-tile work (bicubic) has no meaningful percentage until it is done.
  const percent = event.status === "queued" ? "Waiting"
    : active && event.tiles_total <= 1 ? "Working…" : `${event.progress}%`;
  section.querySelector(".percent strong").textContent = percent;
  section.querySelector(".tiles").textContent = tiles;
  if ("queue_position" in event) {
    section.querySelector(".queue").textContent =
      event.queue_position ? `Position ${event.queue_position} in the queue` : "";
  }
  if (event.status !== "queued") section.querySelector(".queue").textContent = "";
  lastEvents.set(event.result, event);
  section.querySelector(".eta").textContent = eta(section, event);
  section.querySelector(".progress-panel").hidden = !active;
  section.querySelector("form.cancel")?.toggleAttribute("hidden", !active);

  const error = section.querySelector(".error");
  error.textContent = event.error || "";
  error.hidden = !event.error || event.status === "succeeded";

  if (event.status === "succeeded") showOutcome(section, event);
}

function showOutcome(section, event) {
  const outcome = section.querySelector(".outcome");
  if (!outcome.hidden) return;
  outcome.hidden = false;
  initViewer(section.querySelector("[data-viewer]"));
  if (section.dataset.kind === "benchmark" && event.metrics === undefined) refreshStatus();
  if (event.metrics) showMetrics(section, event.metrics);
}

function showMetrics(section, metrics) {
  const cell = (name) => section.querySelector(`[data-metric="${name}"]`);
  const put = (name, value, digits) => { if (cell(name) && value != null) cell(name).textContent = value.toFixed(digits); };
  put("psnr_y", metrics.psnr_y, 2);
  put("bicubic_psnr_y", metrics.bicubic_psnr_y, 2);
  put("ssim_y", metrics.ssim_y, 4);
  put("bicubic_ssim_y", metrics.bicubic_ssim_y, 4);
  const gain = (a, b, digits) => (a - b >= 0 ? "+" : "") + (a - b).toFixed(digits);
  if (cell("psnr_gain")) cell("psnr_gain").textContent = gain(metrics.psnr_y, metrics.bicubic_psnr_y, 2);
  if (cell("ssim_gain")) cell("ssim_gain").textContent = gain(metrics.ssim_y, metrics.bicubic_ssim_y, 4);
}

// --- polling ------------------------------------------------------------------------------

async function refreshStatus() {
  try {
    const response = await fetch(statusUrl, { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!response.ok) return;
    const status = await response.json();
    for (const event of status.results) {
      applyEvent(event);
      if (event.metrics) showMetrics(sectionOf(event.result), event.metrics);
    }
    if (status.final) finish();
  } catch {
    // Offline for a moment: the next poll or the socket will catch up.
  }
}

function schedulePoll() {
  clearTimeout(pollTimer);
  if (finished) return;
  const anyQueued = [...root.querySelectorAll("section[data-result]")].some((s) => s.dataset.status === "queued");
  const delay = socketOpen ? (anyQueued ? QUEUE_POLL_MS : null) : POLL_MS;
  if (delay === null) return;
  pollTimer = setTimeout(async () => {
    await refreshStatus();
    schedulePoll();
  }, delay);
}

function finish() {
  if (finished) return;
  finished = true;
  live.textContent = "Done.";
  clearTimeout(pollTimer);
  clearInterval(etaTimer);
  socket?.close();
}

// --- websocket ----------------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}${root.dataset.wsPath}`);
  socket.addEventListener("open", () => {
    socketOpen = true;
    reconnects = 0;
    live.textContent = "Live updates on.";
    schedulePoll();
  });
  socket.addEventListener("message", (message) => {
    const event = JSON.parse(message.data);
    if (event.type !== "result.update") return;
    applyEvent(event);
    if (event.final) finish();
    else schedulePoll();
  });
  socket.addEventListener("close", (close) => {
    socketOpen = false;
    if (finished) return;
    if (close.code === config.close_forbidden) {
      live.textContent = "Not allowed to follow this submission.";
      return;
    }
    live.textContent = "Live connection lost; checking for updates every few seconds…";
    schedulePoll();
    const delay = RECONNECT_MS[Math.min(reconnects, RECONNECT_MS.length - 1)];
    reconnects += 1;
    setTimeout(connect, delay);
  });
}

function bindCancel() {
  for (const form of root.querySelectorAll("form.cancel")) {
    form.addEventListener("submit", async (event) => {
      // Stay on the page (the socket reports the cancellation); a plain POST still works without JS.
      event.preventDefault();
      const button = form.querySelector("button");
      button.disabled = true;
      button.textContent = "Cancelling…";
      try {
        await fetch(form.action, { method: "POST", body: new FormData(form), redirect: "manual" });
        await refreshStatus();
      } finally {
        button.disabled = false;
        button.textContent = "Cancel";
      }
    });
  }
}

// The ETA counts down between events (until every result is finished).
function tickEta() {
  for (const section of root.querySelectorAll('section[data-status="running"], section[data-status="queued"]')) {
    const event = lastEvents.get(section.dataset.result);
    if (event) section.querySelector(".eta").textContent = eta(section, event);
  }
}

if (root) {
  etaTimer = setInterval(tickEta, ETA_TICK_MS);
  for (const section of root.querySelectorAll('section[data-status="succeeded"]')) {
    section.querySelector(".outcome").hidden = false;
    initViewer(section.querySelector("[data-viewer]"));
  }
  bindCancel();
  connect();
}
