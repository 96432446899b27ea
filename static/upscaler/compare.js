// The comparison viewer: two images of the same size shown either stacked with a draggable
// divider (slider) or side by side, always with one shared zoom and pan, plus a magnifier lens.
//
// Both images are drawn at the same transform (translate + scale of the full-size image), so
// pixels line up exactly in both modes. The images are fitted to the viewer's width at first;
// zooming to 1:1 and panning reach every pixel of images larger than the screen.
// Markup: templates/upscaler/_viewer.html.

const LENS_MAGNIFICATION = 3; // times the current zoom
const MIN_LENS_SCALE = 2; // image pixels are at least this big in the lens
const MAX_SCALE = 16;
const ZOOM_STEP = 1.5;
const KEY_PAN_FRACTION = 0.1; // of the pane per arrow key press
const PIXELATED_FROM = 2; // show hard pixels from this zoom on: that is what one inspects there

export class ComparisonViewer {
  constructor(root) {
    this.root = root;
    this.width = Number(root.dataset.width);
    this.height = Number(root.dataset.height);
    this.images = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
    this.stage = root.querySelector(".stage");
    this.main = root.querySelector('[data-pane="main"]');
    this.layers = { left: root.querySelector('[data-layer="left"]'), right: root.querySelector('[data-layer="right"]') };
    this.tags = { left: this.main.querySelector(".tag.left"), right: this.main.querySelector(".tag.right") };
    this.divider = root.querySelector(".divider");
    this.zoomLabel = root.querySelector(".zoom-level");
    this.position = 50; // divider, % of the pane width
    this.mode = "slider";
    this.lensOn = false;
    this.fitting = true;
    this.view = { scale: 1, x: 0, y: 0 };
    this.pointers = new Map();
    this.drag = null;

    // The second pane of side-by-side mode: same markup, gets the right layer when shown.
    this.second = document.createElement("div");
    this.second.className = "pane";
    this.second.dataset.pane = "second";
    this.second.hidden = true;
    this.second.tabIndex = 0;
    this.second.setAttribute("role", "group");
    this.second.setAttribute("aria-label", this.main.getAttribute("aria-label"));
    this.secondTag = document.createElement("span");
    this.secondTag.className = "tag left";
    const secondLens = document.createElement("div");
    secondLens.className = "lens";
    this.second.append(this.secondTag, secondLens);
    this.stage.append(this.second);
    this.lenses = [this.main.querySelector(".lens"), secondLens];

    this.bind();
    this.setPosition(50);
    new ResizeObserver(() => this.layout()).observe(this.stage);
    this.layout();
  }

  // --- geometry -------------------------------------------------------------------------

  panes() {
    return this.mode === "side" ? [this.main, this.second] : [this.main];
  }

  fitScale() {
    // Fit to width (the page scrolls for the rest); never enlarge small images past 4x here.
    return Math.min(this.main.clientWidth / this.width, 4);
  }

  layout() {
    const paneWidth = this.main.clientWidth;
    if (!paneWidth) return;
    const maxHeight = window.innerHeight * 0.78;
    const height = Math.max(120, Math.min(this.height * this.fitScale(), maxHeight));
    for (const pane of [this.main, this.second]) pane.style.height = `${Math.round(height)}px`;
    if (this.fitting) this.view.scale = this.fitScale();
    this.clampAndApply();
  }

  minScale() {
    const h = this.main.clientHeight || 1;
    return Math.min(this.fitScale(), h / this.height, 1);
  }

  clampAndApply() {
    const w = this.main.clientWidth, h = this.main.clientHeight;
    const v = this.view;
    v.scale = Math.min(MAX_SCALE, Math.max(this.minScale(), v.scale));
    const sw = this.width * v.scale, sh = this.height * v.scale;
    v.x = sw <= w ? (w - sw) / 2 : Math.min(0, Math.max(w - sw, v.x));
    v.y = sh <= h ? (h - sh) / 2 : Math.min(0, Math.max(h - sh, v.y));
    const transform = `translate(${v.x}px, ${v.y}px) scale(${v.scale})`;
    for (const img of this.root.querySelectorAll(".layer img")) {
      img.style.transform = transform;
      img.classList.toggle("pixelated", !this.fitting && v.scale >= PIXELATED_FROM);
    }
    const zoomed = sw > w + 1 || sh > h + 1;
    for (const pane of [this.main, this.second]) pane.classList.toggle("zoomed", zoomed);
    this.zoomLabel.textContent = this.fitting ? "Fit" : `${Math.round(v.scale * 100)}%`;
    this.updateClip();
  }

  zoomTo(scale, cx = this.main.clientWidth / 2, cy = this.main.clientHeight / 2) {
    const v = this.view;
    const next = Math.min(MAX_SCALE, Math.max(this.minScale(), scale));
    // Keep the image point under (cx, cy) where it is.
    v.x = cx - ((cx - v.x) * next) / v.scale;
    v.y = cy - ((cy - v.y) * next) / v.scale;
    v.scale = next;
    this.fitting = false;
    this.clampAndApply();
  }

  fit() {
    this.fitting = true;
    this.view.scale = this.fitScale();
    this.clampAndApply();
  }

  panBy(dx, dy) {
    this.view.x += dx;
    this.view.y += dy;
    this.clampAndApply();
  }

  // --- slider ---------------------------------------------------------------------------

  setPosition(percent) {
    this.position = Math.min(100, Math.max(0, percent));
    const rounded = Math.round(this.position);
    this.divider.style.left = `${this.position}%`;
    this.divider.setAttribute("aria-valuenow", String(rounded));
    this.divider.setAttribute(
      "aria-valuetext",
      `${rounded}%: ${this.label("left")} on the left, ${this.label("right")} on the right`,
    );
    this.updateClip();
  }

  updateClip() {
    const right = this.layers.right;
    right.style.clipPath = this.mode === "slider" ? `inset(0 0 0 ${this.position}%)` : "none";
  }

  label(side) {
    return this.tags[side].textContent;
  }

  // --- modes, images, lens --------------------------------------------------------------

  setMode(mode) {
    this.mode = mode;
    this.stage.classList.toggle("side-by-side", mode === "side");
    this.second.hidden = mode !== "side";
    if (mode === "side") {
      this.second.prepend(this.layers.right);
      this.secondTag.textContent = this.label("right");
      this.tags.right.hidden = true;
    } else {
      this.main.insertBefore(this.layers.right, this.tags.left);
      this.tags.right.hidden = false;
    }
    for (const button of this.root.querySelectorAll("[data-mode]")) {
      button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
    }
    this.hideLens();
    // The panes changed width: keep fitting, or keep the zoom and re-clamp.
    requestAnimationFrame(() => this.layout());
  }

  setImage(side, key) {
    const image = this.images.find((i) => i.key === key);
    if (!image) return;
    const img = this.layers[side].querySelector("img");
    img.src = image.src;
    img.alt = image.label;
    this.tags[side].textContent = image.label;
    if (side === "right") this.secondTag.textContent = image.label;
    const label = `${this.label("left")} and ${this.label("right")}, ${this.width}×${this.height}.`;
    for (const pane of [this.main, this.second]) {
      pane.setAttribute("aria-label", pane.getAttribute("aria-label").replace(/^.*?\d+×\d+\./, label));
    }
    this.setPosition(this.position);
  }

  toggleLens() {
    this.lensOn = !this.lensOn;
    this.root.querySelector('[data-action="lens"]').setAttribute("aria-pressed", String(this.lensOn));
    if (!this.lensOn) this.hideLens();
  }

  hideLens() {
    for (const lens of this.lenses) lens.classList.remove("on");
  }

  showLens(pane, px, py) {
    const v = this.view;
    const ix = (px - v.x) / v.scale, iy = (py - v.y) / v.scale; // image coordinates
    if (ix < 0 || iy < 0 || ix > this.width || iy > this.height) return this.hideLens();
    const magnification = Math.max(v.scale * LENS_MAGNIFICATION, MIN_LENS_SCALE);
    const targets = this.mode === "side" ? [this.main, this.second] : [pane];
    this.hideLens();
    for (const target of targets) {
      const lens = target.querySelector(".lens");
      // In slider mode the lens shows whichever image is under the pointer.
      const side = target === this.second || (this.mode === "slider" && px >= (this.position / 100) * pane.clientWidth)
        ? "right" : "left";
      const img = this.layers[side].querySelector("img");
      const r = lens.offsetWidth / 2 || 88;
      lens.style.left = `${px - r}px`;
      lens.style.top = `${py - r}px`;
      lens.style.backgroundImage = `url("${img.currentSrc || img.src}")`;
      lens.style.backgroundSize = `${this.width * magnification}px ${this.height * magnification}px`;
      lens.style.backgroundPosition = `${r - ix * magnification}px ${r - iy * magnification}px`;
      lens.classList.add("on");
    }
  }

  // --- input ----------------------------------------------------------------------------

  bind() {
    this.root.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button || !this.root.contains(button)) return;
      if (button.dataset.mode) this.setMode(button.dataset.mode);
      const action = button.dataset.action;
      if (action === "zoom-in") this.zoomTo(this.view.scale * ZOOM_STEP);
      if (action === "zoom-out") this.zoomTo(this.view.scale / ZOOM_STEP);
      if (action === "fit") this.fit();
      if (action === "actual") this.zoomTo(1);
      if (action === "lens") this.toggleLens();
    });
    for (const select of this.root.querySelectorAll("select[data-side]")) {
      select.addEventListener("change", () => this.setImage(select.dataset.side, select.value));
    }

    this.divider.addEventListener("keydown", (event) => {
      const big = event.shiftKey ? 10 : 1;
      const steps = {
        ArrowLeft: -big, ArrowDown: -big, ArrowRight: big, ArrowUp: big, PageDown: -10, PageUp: 10,
      };
      if (event.key in steps) this.setPosition(this.position + steps[event.key]);
      else if (event.key === "Home") this.setPosition(0);
      else if (event.key === "End") this.setPosition(100);
      else return;
      event.preventDefault();
      event.stopPropagation();
    });

    for (const pane of [this.main, this.second]) {
      pane.addEventListener("keydown", (event) => this.onPaneKey(event));
      pane.addEventListener("pointerdown", (event) => this.onPointerDown(event, pane));
      pane.addEventListener("pointermove", (event) => this.onPointerMove(event, pane));
      pane.addEventListener("pointerup", (event) => this.onPointerUp(event, pane));
      pane.addEventListener("pointercancel", (event) => this.onPointerUp(event, pane));
      pane.addEventListener("pointerleave", (event) => { if (event.pointerType === "mouse") this.hideLens(); });
      pane.addEventListener("dblclick", (event) => {
        const { x, y } = this.local(event, pane);
        if (this.fitting || this.view.scale < 1) this.zoomTo(Math.max(1, this.view.scale * 2), x, y);
        else this.fit();
      });
      pane.addEventListener("wheel", (event) => {
        // Plain wheel scrolls the page; Ctrl + wheel (and a trackpad pinch) zooms.
        if (!event.ctrlKey && !event.metaKey) return;
        event.preventDefault();
        const { x, y } = this.local(event, pane);
        this.zoomTo(this.view.scale * Math.exp(-event.deltaY / 300), x, y);
      }, { passive: false });
    }
  }

  local(event, pane) {
    const rect = pane.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  onPaneKey(event) {
    if (event.target !== event.currentTarget) return;
    const w = this.main.clientWidth * KEY_PAN_FRACTION, h = this.main.clientHeight * KEY_PAN_FRACTION;
    const pans = { ArrowLeft: [w, 0], ArrowRight: [-w, 0], ArrowUp: [0, h], ArrowDown: [0, -h] };
    if (event.key in pans) {
      const zoomed = this.main.classList.contains("zoomed");
      if (!zoomed) return; // nothing to pan: let the page scroll
      this.panBy(...pans[event.key]);
    } else if (event.key === "+" || event.key === "=") this.zoomTo(this.view.scale * ZOOM_STEP);
    else if (event.key === "-") this.zoomTo(this.view.scale / ZOOM_STEP);
    else if (event.key === "0") this.fit();
    else if (event.key === "1") this.zoomTo(1);
    else return;
    event.preventDefault();
  }

  onPointerDown(event, pane) {
    if (event.button !== 0 && event.pointerType === "mouse") return;
    const point = this.local(event, pane);
    this.pointers.set(event.pointerId, point);
    pane.setPointerCapture(event.pointerId);
    if (this.pointers.size === 2) {
      const [a, b] = [...this.pointers.values()];
      this.drag = { kind: "pinch", distance: Math.hypot(a.x - b.x, a.y - b.y), scale: this.view.scale };
      return;
    }
    const onDivider = event.target.closest(".divider");
    const zoomed = pane.classList.contains("zoomed");
    // In slider mode a drag moves the divider when it starts on it, or when there is
    // nothing to pan (so a touch anywhere on a fitted image moves it); otherwise it pans.
    if (this.mode === "slider" && (onDivider || !zoomed)) {
      this.drag = { kind: "divider" };
      this.setPosition((point.x / pane.clientWidth) * 100);
      if (onDivider) this.divider.focus({ preventScroll: true });
    } else {
      this.drag = { kind: "pan", last: point };
      pane.classList.add("panning");
    }
  }

  onPointerMove(event, pane) {
    const point = this.local(event, pane);
    if (this.lensOn && event.pointerType !== "touch") this.showLens(pane, point.x, point.y);
    if (!this.pointers.has(event.pointerId) || !this.drag) return;
    this.pointers.set(event.pointerId, point);
    if (this.drag.kind === "pinch" && this.pointers.size === 2) {
      const [a, b] = [...this.pointers.values()];
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      this.zoomTo(this.drag.scale * (distance / this.drag.distance), (a.x + b.x) / 2, (a.y + b.y) / 2);
    } else if (this.drag.kind === "divider") {
      this.setPosition((point.x / pane.clientWidth) * 100);
    } else if (this.drag.kind === "pan") {
      this.panBy(point.x - this.drag.last.x, point.y - this.drag.last.y);
      this.drag.last = point;
    }
    if (this.lensOn && event.pointerType === "touch") this.showLens(pane, point.x, point.y);
  }

  onPointerUp(event, pane) {
    this.pointers.delete(event.pointerId);
    pane.classList.remove("panning");
    if (this.pointers.size === 0) this.drag = null;
    else if (this.drag?.kind === "pinch") this.drag = null; // one finger left: wait for a new gesture
    if (event.pointerType === "touch") this.hideLens();
  }
}

/** Start a viewer, fetching its images first if they were left for later (`data-lazy`). */
export function initViewer(root) {
  if (root.viewer) return root.viewer;
  for (const img of root.querySelectorAll("img[data-src]")) {
    img.src = img.dataset.src;
    img.removeAttribute("data-src");
  }
  root.hidden = false;
  root.viewer = new ComparisonViewer(root);
  return root.viewer;
}

export function initViewers(scope = document) {
  for (const root of scope.querySelectorAll("[data-viewer]:not([data-lazy])")) initViewer(root);
}
