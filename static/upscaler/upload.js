// Upload page: drag-and-drop, paste and file picker all end in the form's file input, so the
// form posts normally (server-side errors come back rendered inline). Before queueing, the
// page checks type, size and pixel limits, offers only the chosen model's scales, and shows
// the output size and an estimated time (from the server's recent speed of that model).
// Every server rule it checks (sizes, formats, the benchmark's smallest side) comes from the
// page's json_script "upload-limits": none is copied here. With "Automatic" selected, the page
// asks the server which model the file would get (POST to the form's data-inspect-url, nothing
// stored) and shows the answer by the model field: the rule itself stays on the server.

import { formatBytes, formatDuration, formatPixels } from "./format.js";

const form = document.getElementById("upload-form");
const models = JSON.parse(document.getElementById("upload-models").textContent);
const limits = JSON.parse(document.getElementById("upload-limits").textContent);
const input = form.querySelector('input[type="file"][name="image"]');
const dropzone = document.getElementById("dropzone");
const errorBox = document.getElementById("image-error");
const modelSelect = form.querySelector('select[name="model"]');
const scaleInputs = [...form.querySelectorAll('input[name="scale"]')];
const submit = document.getElementById("submit");
const choice = { box: document.getElementById("model-choice"), text: document.getElementById("choice-text") };
const csrfToken = form.querySelector('input[name="csrfmiddlewaretoken"]').value;
const preview = { img: document.getElementById("preview-img"), name: document.getElementById("preview-name"), facts: document.getElementById("preview-facts") };
const summary = { input: document.getElementById("sum-input"), output: document.getElementById("sum-output"), time: document.getElementById("sum-time") };

// Browsers do not always give a type (TIFF, drag from some apps): fall back to the name.
const IMAGE_NAME = new RegExp(`\\.(${limits.extensions.join("|")})$`, "i");
// The smallest side a benchmark's downsampled input may have.
const MIN_BENCHMARK_SIDE = limits.min_benchmark_side;

let picked = null; // {file, width, height} once a file passed the checks; sizes null if undecodable
let pickError = "";
let previewUrl = null;
// The server's automatic choice for the picked file, by scale: {pending}, its answer, or {error}.
let inspected = new Map();
let inspecting = null; // AbortController of the requests about the current file

const modelByName = (name) => models.find((m) => m.name === name) || models[0];
const mode = () => form.querySelector('input[name="mode"]:checked')?.value || "upscale";
const scale = () => Number(form.querySelector('input[name="scale"]:checked')?.value || 0);
const automatic = () => modelSelect.value === "";
// The file decides only for an upscale: a benchmark shrinks it with bicubic, a clean input.
const fileDecides = () => automatic() && mode() !== "benchmark" && picked && !pickError;

// The model that will run: the one selected, or the automatic choice for the file (until the
// server has answered, and for a benchmark, the clean model of the scale).
function runningModel(s) {
  if (!automatic()) return modelByName(modelSelect.value);
  const chosen = fileDecides() ? inspected.get(s)?.model : null;
  return modelByName(chosen || modelByName("").defaults[String(s)]);
}

async function inspect(s) {
  const file = picked.file;
  inspected.set(s, { pending: true });
  const body = new FormData();
  body.append("image", file);
  body.append("scale", String(s));
  let answer;
  try {
    const response = await fetch(form.dataset.inspectUrl, {
      method: "POST", body, headers: { "X-CSRFToken": csrfToken }, credentials: "same-origin",
      signal: inspecting.signal,
    });
    answer = await response.json();
    if (!response.ok) answer = { error: answer.error?.message || "The server could not read this file." };
  } catch (error) {
    if (error.name === "AbortError") return; // another file was picked
    answer = { error: "The server could not be asked now; it will choose when the file is uploaded." };
  }
  if (picked?.file !== file) return;
  inspected.set(s, answer);
  update();
}

function showChoice(s) {
  const answer = fileDecides() ? inspected.get(s) : null;
  choice.box.hidden = !answer;
  choice.box.classList.toggle("failed", !!answer?.error);
  if (!answer) return;
  if (answer.pending) {
    choice.text.textContent = "Reading the file…";
  } else if (answer.error) {
    // Shown, not enforced: the upload itself is checked again and answered on this page.
    choice.text.textContent = answer.error;
  } else {
    // "PNG, clean: Faithful (srresnet)", with the model in bold.
    const at = answer.text.lastIndexOf(answer.title);
    if (at < 0) {
      choice.text.textContent = answer.text;
    } else {
      const strong = document.createElement("strong");
      strong.textContent = answer.title;
      choice.text.replaceChildren(answer.text.slice(0, at), strong, answer.text.slice(at + answer.title.length));
    }
  }
}

function syncScales() {
  const model = modelByName(modelSelect.value);
  for (const radio of scaleInputs) {
    const offered = model.scales.includes(Number(radio.value));
    radio.disabled = !offered;
    radio.closest("label").hidden = !offered;
  }
  if (!scaleInputs.some((r) => r.checked && !r.disabled)) {
    // Keep the user's intent as close as possible: the largest offered scale up to 4.
    const offered = scaleInputs.filter((r) => !r.disabled);
    const choice = offered.filter((r) => Number(r.value) <= 4).pop() || offered[0];
    if (choice) choice.checked = true;
  }
  // Once the file's choice is shown, the general words on "Automatic" would only repeat it.
  const description = fileDecides() ? "" : model.description;
  document.getElementById("model-description").textContent = description || "";
}

function showError(message) {
  errorBox.textContent = message;
  input.setAttribute("aria-invalid", message ? "true" : "false");
}

function update() {
  syncScales();
  const benchmark = mode() === "benchmark";
  document.getElementById("benchmark-note").hidden = !benchmark;
  submit.textContent = benchmark ? "Run the benchmark" : "Upscale";
  const s = scale();
  if (fileDecides() && s && !inspected.has(s)) inspect(s);
  showChoice(s);
  const model = runningModel(s);
  let problem = pickError;
  if (!picked) {
    summary.input.textContent = summary.output.textContent = summary.time.textContent = "—";
    // Leave an error the server rendered in place until the user picks another file.
    if (problem) showError(problem);
    submit.disabled = !!problem;
    return;
  }
  if (picked.width == null) {
    summary.input.textContent = `${formatBytes(picked.file.size)} (size known after upload)`;
    summary.output.textContent = `×${s}`;
    summary.time.textContent = "—";
  } else {
    let inW = picked.width, inH = picked.height, outW, outH;
    if (benchmark) {
      outW = inW - (inW % s); outH = inH - (inH % s);
      inW = outW / s; inH = outH / s;
      summary.input.textContent = `${picked.width}×${picked.height} → shrunk to ${inW}×${inH}`;
      if (Math.min(inW, inH) < MIN_BENCHMARK_SIDE) {
        problem ||= `For a ×${s} benchmark the photo needs at least ${MIN_BENCHMARK_SIDE * s} pixels on its shorter side.`;
      }
    } else {
      outW = inW * s; outH = inH * s;
      summary.input.textContent = formatPixels(inW, inH);
    }
    summary.output.textContent = formatPixels(outW, outH);
    if (outW * outH > limits.max_output_pixels) {
      problem ||= `At ×${s} the result would be ${outW}×${outH}, more than this server's limit of ${(limits.max_output_pixels / 1e6).toFixed(1)} MP. Choose a smaller scale.`;
    }
    summary.time.textContent = formatDuration(model.ms_per_megapixel * (outW * outH) / 1e6);
  }
  showError(problem);
  submit.disabled = !!problem;
}

async function accept(file) {
  picked = null;
  pickError = "";
  inspecting?.abort();
  inspecting = new AbortController();
  inspected = new Map();
  dropzone.classList.remove("has-file");
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = null;
  if (!file) return update();
  if (!(file.type.startsWith("image/") || IMAGE_NAME.test(file.name))) {
    pickError = `“${file.name}” is not an image (${limits.formats}).`;
  } else if (file.size === 0) {
    pickError = "The file is empty.";
  } else if (file.size > limits.max_upload_bytes) {
    pickError = `The file is ${formatBytes(file.size)}; the limit is ${formatBytes(limits.max_upload_bytes)}.`;
  }
  // Make sure the form posts this file, whichever way it arrived.
  if (input.files[0] !== file) {
    const transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
  }
  if (pickError) return update();

  previewUrl = URL.createObjectURL(file);
  preview.img.src = previewUrl;
  preview.name.textContent = file.name;
  dropzone.classList.add("has-file");
  let width = null, height = null;
  try {
    await preview.img.decode();
    width = preview.img.naturalWidth;
    height = preview.img.naturalHeight;
  } catch {
    preview.img.removeAttribute("src"); // e.g. TIFF: the server can read what this browser cannot show
  }
  picked = { file, width, height };
  preview.facts.textContent = width ? `${width}×${height} · ${formatBytes(file.size)}` : formatBytes(file.size);
  if (width && width * height > limits.max_input_pixels) {
    pickError = `The image has ${(width * height / 1e6).toFixed(1)} MP; the limit is ${(limits.max_input_pixels / 1e6).toFixed(1)} MP.`;
  }
  update();
}

input.addEventListener("change", () => accept(input.files[0]));
for (const type of ["dragenter", "dragover"]) {
  dropzone.addEventListener(type, (event) => {
    event.preventDefault();
    dropzone.classList.add("dragging");
  });
}
for (const type of ["dragleave", "drop"]) {
  dropzone.addEventListener(type, () => dropzone.classList.remove("dragging"));
}
dropzone.addEventListener("drop", (event) => {
  event.preventDefault();
  accept(event.dataTransfer.files[0]);
});
document.addEventListener("paste", (event) => {
  const file = [...(event.clipboardData?.files || [])].find((f) => f.type.startsWith("image/"));
  if (!file) return;
  event.preventDefault();
  // Pasted screenshots are all called "image.png": give them a name worth keeping.
  accept(new File([file], file.name && file.name !== "image.png" ? file.name : "pasted-image.png", { type: file.type }));
});
form.addEventListener("change", (event) => { if (event.target !== input) update(); });
form.addEventListener("submit", (event) => {
  if (!input.files.length) {
    pickError = "Choose an image first.";
    update();
  }
  if (submit.disabled) {
    event.preventDefault();
    return;
  }
  submit.disabled = true;
  submit.textContent = "Uploading…";
});

// Coming back to this page from history must not leave the button saying "Uploading…".
window.addEventListener("pageshow", update);
update();
