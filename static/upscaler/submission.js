// Live progress for the submission page: one websocket, events of type "result.update"
// (schema in upscaler/notifications.py) update each result's section in place.

const root = document.getElementById("submission");
const live = document.getElementById("live");
const RECONNECT_MS = 2000;

function applyEvent(event) {
  const section = root.querySelector(`[data-result="${event.result}"]`);
  if (!section) return;
  section.dataset.status = event.status;
  section.querySelector(".status").textContent =
    event.status.charAt(0).toUpperCase() + event.status.slice(1);
  const bar = section.querySelector("progress");
  bar.value = event.progress;
  bar.textContent = `${event.progress}%`;
  section.querySelector(".percent").textContent = `${event.progress}%`;
  section.querySelector(".tiles").textContent =
    event.tiles_total ? `${event.tiles_done}/${event.tiles_total} tiles` : "";
  const error = section.querySelector(".error");
  error.textContent = event.error || "";
  error.hidden = !event.error;
  const cancel = section.querySelector("form.cancel");
  if (cancel && !["queued", "running"].includes(event.status)) cancel.remove();
  if (event.status === "succeeded") {
    const [reference, output] = section.querySelectorAll(".compare img");
    if (!reference.getAttribute("src")) reference.src = event.reference_url;
    if (!output.getAttribute("src")) output.src = event.output_url;
    section.querySelector(".compare").hidden = false;
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}${root.dataset.wsPath}`);
  let finished = false;
  socket.addEventListener("open", () => { live.textContent = "Live updates on."; });
  socket.addEventListener("message", (message) => {
    const event = JSON.parse(message.data);
    if (event.type !== "result.update") return;
    applyEvent(event);
    if (event.final) {
      finished = true;
      live.textContent = "Done.";
      socket.close();
    }
  });
  socket.addEventListener("close", (close) => {
    if (finished) return;
    if (close.code === 4403) {
      live.textContent = "Not allowed to follow this submission.";
      return;
    }
    live.textContent = "Connection lost; reconnecting…";
    setTimeout(connect, RECONNECT_MS);
  });
}

if (root) connect();
