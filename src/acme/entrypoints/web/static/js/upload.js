// The upload page: choose or drop a CSV, send it with tus (resumable, in parts), then follow the
// import it starts (SSE with polling as fallback), with one progress bar for the whole flow.
// Data from the server is always written with textContent.
import { api, ApiError, fmt, toast } from "./api.js";

const tus = window.tus;
const $ = (id) => document.getElementById(id);

const uploader = $("uploader");
const CHUNK_SIZE = Number(uploader.dataset.chunkSize) || 5 * 1024 * 1024;
const MAX_SIZE = Number(uploader.dataset.maxSize) || 0;
const UPLOAD_SHARE = 20; // the upload fills the first 20% of the bar, the import the rest
const RETRY_DELAYS = [0, 500, 1000, 2000, 3000, 5000, 8000, 10000];
const POLL_MS = 400;
const HISTORY_SIZE = 10;
const RUNNING = new Set(["queued", "running"]);

const STAGES = {
  idle: "Waiting for a file",
  upload: "Uploading",
  queued: "Queued",
  parsing: "Parsing and validating",
  merging: "Merging",
  completed: "Import complete",
  failed: "Import failed",
  cancelled: "Import cancelled",
};
const STEP_ORDER = ["upload", "parsing", "merging", "completed"];

let chosenFile = null;
let currentUpload = null; // the tus.Upload in flight
let followed = null; // { id, source, timer } of the import being followed
let lastJob = null;
let uploadFailed = false;
let renderQueued = null;

// ---------- formatting ----------
export function bytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let v = Number(n);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return i === 0 ? `${v} bytes` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

function duration(job) {
  const start = Date.parse(job.started_at || job.created_at);
  const end = job.finished_at ? Date.parse(job.finished_at) : Date.now();
  if (Number.isNaN(start) || Number.isNaN(end)) return "–";
  const s = Math.max(0, (end - start) / 1000);
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function when(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "–" : d.toLocaleString();
}

// ---------- the progress card ----------
function setProgress({ state, step, percent, stage, detail }) {
  const card = $("progress-card");
  card.dataset.state = state;
  const pct = Math.max(0, Math.min(100, percent));
  $("bar-fill").style.transform = `scaleX(${pct / 100})`;
  const shown = `${pct.toFixed(pct >= 100 || pct === 0 ? 0 : 1)}%`;
  $("percent").textContent = shown;
  $("stage").textContent = stage;
  $("detail").textContent = detail;
  const bar = $("bar");
  bar.setAttribute("aria-valuenow", pct.toFixed(1));
  bar.setAttribute("aria-valuetext", `${stage}, ${shown}${detail ? `: ${detail}` : ""}`);
  const at = STEP_ORDER.indexOf(step);
  for (const li of document.querySelectorAll(".steps li")) {
    const i = STEP_ORDER.indexOf(li.dataset.step);
    li.classList.toggle("done", at >= 0 && (i < at || (state === "completed" && i <= at)));
    li.classList.toggle("current", i === at && state !== "completed");
    if (i === at) li.setAttribute("aria-current", "step");
    else li.removeAttribute("aria-current");
  }
}

function setCounts(job) {
  const value = (v) => (job ? fmt(v ?? 0) : "–");
  $("c-rows").textContent = job ? fmt(job.rows_done ?? 0) : "–";
  $("c-created").textContent = value(job && job.created);
  $("c-updated").textContent = value(job && job.updated);
  $("c-unchanged").textContent = value(job && job.unchanged);
  $("c-invalid").textContent = value(job && job.invalid);
  $("c-duplicates").textContent = value(job && job.duplicates_in_file);
}

function clearOutcome() {
  $("failure").hidden = true;
  $("rejected").hidden = true;
  $("rejected-rows").replaceChildren();
  $("retry").hidden = true;
  $("cancel-job").hidden = true;
}

function showFailure(title, reason) {
  $("failure").querySelector(".failure-title").textContent = title;
  $("failure-reason").textContent = reason;
  $("failure").hidden = false;
}

function showUploadProgress(sent, total) {
  const share = total ? sent / total : 1;
  setProgress({
    state: "uploading",
    step: "upload",
    percent: share * UPLOAD_SHARE,
    stage: STAGES.upload,
    detail: `${bytes(sent)} of ${bytes(total)} sent (${(share * 100).toFixed(0)}%)`,
  });
}

function jobDetail(job) {
  const rows = job.rows_total ? `${fmt(job.rows_done)} of ${fmt(job.rows_total)} rows` : `${fmt(job.rows_done)} rows`;
  switch (job.phase) {
    case "queued":
      return "Waiting for a worker to start the import…";
    case "parsing":
      return `${rows} read · ${bytes(job.bytes_done)} of ${bytes(job.bytes_total)}`;
    case "merging":
      return `Writing ${fmt(job.rows_done)} rows to the catalog…`;
    case "completed":
      return `${fmt(job.rows_total ?? job.rows_done)} rows in ${duration(job)}`;
    case "cancelled":
      return "The import was cancelled; the catalog is as it was.";
    default:
      return job.status === "failed" ? "Nothing was changed in the catalog." : rows;
  }
}

function showJob(job) {
  lastJob = job;
  const finished = !RUNNING.has(job.status);
  const step = job.phase === "queued" ? "parsing" : job.phase === "failed" || job.phase === "cancelled" ? null : job.phase;
  const state = job.status;
  const percent = job.status === "completed" ? 100 : UPLOAD_SHARE + ((100 - UPLOAD_SHARE) * (job.percent || 0)) / 100;
  setProgress({
    state,
    step: step ?? failedStep(job),
    percent,
    stage: STAGES[job.phase] || STAGES[job.status] || job.status,
    detail: jobDetail(job),
  });
  setCounts(job);
  $("cancel-job").hidden = finished;
  $("retry").hidden = job.status !== "failed";
  if (job.status === "failed") {
    showFailure("The import failed", job.error || "The import failed for an unknown reason.");
  } else {
    $("failure").hidden = true;
  }
  if (finished && (job.invalid > 0 || job.status === "failed")) loadRejected(job);
}

function failedStep(job) {
  return job.rows_done > 0 && job.percent > 50 ? "merging" : "parsing";
}

// Coalesce bursts of events into at most one paint per animation frame.
function scheduleJob(job) {
  const pending = renderQueued;
  renderQueued = job;
  if (pending) return;
  requestAnimationFrame(() => {
    const next = renderQueued;
    renderQueued = null;
    if (next) showJob(next);
  });
}

// ---------- rejected rows (errors.csv) ----------
export function parseCsv(text, limit) {
  const records = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length && records.length < limit; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i += 1;
      row.push(field);
      records.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if ((field || row.length) && records.length < limit) {
    row.push(field);
    records.push(row);
  }
  return records;
}

async function loadRejected(job) {
  const url = job.errors_url || `/api/imports/${job.id}/errors.csv`;
  $("errors-link").href = url;
  let text = "";
  try {
    const response = await fetch(url, { headers: { Range: "bytes=0-65535" } });
    if (!response.ok && response.status !== 206) return;
    text = await response.text();
  } catch {
    return;
  }
  if (lastJob && lastJob.id !== job.id) return;
  const records = parseCsv(text, 11).slice(1).filter((r) => r.length >= 4);
  const body = $("rejected-rows");
  body.replaceChildren();
  for (const [line, sku, column, reason] of records.slice(0, 10)) {
    const tr = document.createElement("tr");
    for (const value of [line, sku, column, reason]) {
      const td = document.createElement("td");
      td.textContent = value;
      tr.append(td);
    }
    body.append(tr);
  }
  $("rejected").hidden = records.length === 0;
}

// ---------- following an import (SSE, polling as fallback) ----------
function stopFollowing() {
  if (!followed) return;
  if (followed.source) followed.source.close();
  if (followed.timer) clearTimeout(followed.timer);
  followed = null;
}

function finishedJob(job) {
  scheduleJob(job);
  stopFollowing();
  loadHistory();
  if (job.status === "completed") toast("Import complete.", "success");
}

function poll(id) {
  if (!followed || followed.id !== id) return;
  api(`/api/imports/${id}`)
    .then((job) => {
      if (!followed || followed.id !== id) return;
      if (RUNNING.has(job.status)) {
        scheduleJob(job);
        followed.timer = setTimeout(() => poll(id), POLL_MS);
      } else finishedJob(job);
    })
    .catch(() => {
      if (followed && followed.id === id) followed.timer = setTimeout(() => poll(id), POLL_MS * 3);
    });
}

function follow(job) {
  stopFollowing();
  clearOutcome();
  uploadFailed = false;
  retryAction = null;
  showJob(job);
  if (!RUNNING.has(job.status)) return;
  followed = { id: job.id, source: null, timer: null };
  if (!("EventSource" in window)) {
    poll(job.id);
    return;
  }
  const source = new EventSource(`/api/imports/${job.id}/events`);
  followed.source = source;
  const onData = (event) => {
    try {
      return JSON.parse(event.data);
    } catch {
      return null;
    }
  };
  source.addEventListener("progress", (event) => {
    const data = onData(event);
    if (data) scheduleJob(data);
  });
  for (const name of ["completed", "failed", "cancelled"]) {
    source.addEventListener(name, (event) => {
      const data = onData(event);
      if (data) finishedJob(data);
    });
  }
  source.onerror = () => {
    // The stream broke (proxy, network, server restart): fall back to polling.
    if (!followed || followed.source !== source) return;
    source.close();
    followed.source = null;
    poll(job.id);
  };
}

// ---------- the upload ----------
function chooseFile(file) {
  if (!file) return;
  if (currentUpload) {
    toast("An upload is in progress; pause it before choosing another file.", "error");
    return;
  }
  chosenFile = file;
  const p = $("chosen-file");
  const name = document.createElement("strong");
  name.textContent = file.name;
  p.replaceChildren("Chosen: ", name, ` (${bytes(file.size)})`);
  if (!/\.(csv|txt)$/i.test(file.name)) {
    p.append(" — not a .csv file; choose a CSV (UTF-8, header row first).");
    $("start").disabled = true;
    return;
  }
  if (MAX_SIZE && file.size > MAX_SIZE) {
    p.append(` — larger than the ${bytes(MAX_SIZE)} accepted.`);
    $("start").disabled = true;
    return;
  }
  $("start").disabled = false;
  $("start").focus();
}

function uploadIdFrom(url) {
  return url.split("/").filter(Boolean).pop();
}

async function startImport(uploadUrl) {
  setProgress({ state: "queued", step: "parsing", percent: UPLOAD_SHARE, stage: STAGES.queued, detail: "Starting the import…" });
  try {
    const job = await api(`/api/uploads/${uploadIdFrom(uploadUrl)}/import`, { method: "POST" });
    follow(job);
    loadHistory();
  } catch (err) {
    uploadFailed = true;
    setProgress({ state: "failed", step: "parsing", percent: UPLOAD_SHARE, stage: STAGES.failed, detail: "" });
    showFailure("The import could not start", err.message);
    $("retry").hidden = false;
    retryAction = () => startImport(uploadUrl);
  }
}

let retryAction = null;

function setUploading(active) {
  $("start").disabled = active || !chosenFile;
  $("choose").disabled = active;
  $("stop-upload").hidden = !active;
}

async function startUpload() {
  if (!chosenFile || currentUpload) return;
  const file = chosenFile;
  stopFollowing();
  clearOutcome();
  setCounts(null);
  uploadFailed = false;
  $("resume-hint").hidden = true;
  const upload = new tus.Upload(file, {
    endpoint: "/api/uploads",
    chunkSize: CHUNK_SIZE,
    retryDelays: RETRY_DELAYS,
    metadata: { filename: file.name, filetype: file.type || "text/csv" },
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    onProgress: (sent, total) => showUploadProgress(sent, total),
    onError: (err) => {
      currentUpload = null;
      setUploading(false);
      uploadFailed = true;
      const reason = err && err.originalResponse ? err.originalResponse.getBody() : "";
      let message = "The connection to the server was lost.";
      try {
        const detail = reason ? JSON.parse(reason).detail : null;
        if (detail) message = detail;
      } catch {
        /* not JSON: keep the generic message */
      }
      setProgress({ state: "failed", step: "upload", percent: 0, stage: "Upload stopped", detail: "" });
      showFailure("The upload stopped", `${message} Press Retry to continue from the last byte the server confirmed.`);
      retryAction = () => startUpload();
      $("retry").hidden = false;
    },
    onSuccess: () => {
      currentUpload = null;
      setUploading(false);
      showUploadProgress(file.size, file.size);
      startImport(upload.url);
    },
  });
  currentUpload = upload;
  setUploading(true);
  showUploadProgress(0, file.size);
  try {
    const previous = await upload.findPreviousUploads();
    if (previous.length > 0) {
      previous.sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime));
      upload.resumeFromPreviousUpload(previous[0]);
    }
  } catch {
    /* no stored uploads (private mode, storage disabled): start from the beginning */
  }
  upload.start();
}

async function pauseUpload() {
  if (!currentUpload) return;
  const upload = currentUpload;
  currentUpload = null;
  await upload.abort(false);
  setUploading(false);
  setProgress({ state: "paused", step: "upload", percent: Number($("bar").getAttribute("aria-valuenow")), stage: "Upload paused", detail: "Press “Upload and import” to continue where it stopped." });
}

async function showResumeHint() {
  try {
    const stored = await tus.defaultOptions.urlStorage.findAllUploads();
    const last = stored.sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime))[0];
    if (!last) return;
    const name = (last.metadata && last.metadata.filename) || "a file";
    $("resume-hint").textContent = `An upload of “${name}” (${bytes(last.size)}) was interrupted. Choose the same file to continue where it stopped.`;
    $("resume-hint").hidden = false;
  } catch {
    /* storage unavailable */
  }
}

// ---------- history ----------
const STATUS_BADGE = { completed: "badge-success", failed: "badge-danger", cancelled: "badge-warning", running: "badge-info", queued: "badge-info" };

function cell(label, text, className) {
  const td = document.createElement("td");
  td.dataset.label = label;
  if (className) td.className = className;
  if (text !== undefined) td.textContent = text;
  return td;
}

function historyRow(job) {
  const tr = document.createElement("tr");
  tr.dataset.jobId = job.id;
  const status = document.createElement("span");
  status.className = `badge ${STATUS_BADGE[job.status] || ""}`;
  status.textContent = RUNNING.has(job.status) ? `${job.status} ${Math.floor(job.percent || 0)}%` : job.status;
  const statusCell = cell("Status");
  statusCell.append(status);
  if (job.error) statusCell.title = job.error;
  const actions = cell("Actions");
  if (RUNNING.has(job.status)) {
    const name = job.filename || job.id;
    actions.append(
      button("Watch", () => follow(job), "", `Watch the import of ${name}`),
      " ",
      button("Cancel", () => cancelJob(job.id), "btn-danger", `Cancel the import of ${name}`),
    );
  } else if (job.status === "failed") {
    actions.append(button("Retry", () => retryJob(job.id), "", `Retry the import of ${job.filename || job.id}`));
  }
  if (job.invalid > 0 || job.status === "failed") {
    const a = document.createElement("a");
    a.href = job.errors_url || `/api/imports/${job.id}/errors.csv`;
    a.textContent = "errors.csv";
    actions.append(" ", a);
  }
  tr.append(
    cell("File", job.filename || job.id, "file"),
    statusCell,
    cell("Started", when(job.created_at)),
    cell("Duration", duration(job)),
    cell("Rows", fmt(job.rows_total ?? job.rows_done)),
    cell("Created", fmt(job.created)),
    cell("Updated", fmt(job.updated)),
    cell("Unchanged", fmt(job.unchanged)),
    cell("Invalid", fmt(job.invalid)),
    cell("Duplicates", fmt(job.duplicates_in_file)),
    actions,
  );
  return tr;
}

function button(label, onClick, extra = "", ariaLabel = "") {
  const b = document.createElement("button");
  if (ariaLabel) b.setAttribute("aria-label", ariaLabel);
  b.type = "button";
  b.className = `btn ${extra}`.trim();
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

let historyTimer = null;

async function loadHistory() {
  let data;
  try {
    data = await api(`/api/imports?limit=${HISTORY_SIZE}`);
  } catch (err) {
    $("history-empty").textContent = `Could not load the import history: ${err.message}`;
    $("history-empty").hidden = false;
    return [];
  }
  const jobs = (Array.isArray(data) ? data : data.items || []).slice(0, HISTORY_SIZE);
  $("history").replaceChildren(...jobs.map(historyRow));
  $("history-empty").hidden = jobs.length > 0;
  $("history-empty").textContent = "No imports yet.";
  clearTimeout(historyTimer);
  if (jobs.some((j) => RUNNING.has(j.status))) historyTimer = setTimeout(loadHistory, 2000);
  return jobs;
}

async function retryJob(id) {
  try {
    const job = await api(`/api/imports/${id}/retry`, { method: "POST" });
    follow(job);
    loadHistory();
  } catch (err) {
    toast(err.message, "error");
  }
}

async function cancelJob(id) {
  try {
    const job = await api(`/api/imports/${id}/cancel`, { method: "POST" });
    if (followed && followed.id === id && !RUNNING.has(job.status)) finishedJob(job);
    loadHistory();
    toast("Cancellation requested.", "info");
  } catch (err) {
    toast(err.message, err instanceof ApiError && err.status === 409 ? "info" : "error");
  }
}

// ---------- wiring ----------
function wire() {
  const input = $("file-input");
  const zone = $("dropzone");
  $("choose").addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    chooseFile(input.files && input.files[0]);
    input.value = "";
  });
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("dragover");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    zone.addEventListener(name, () => zone.classList.remove("dragover"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    const file = event.dataTransfer && event.dataTransfer.files[0];
    chooseFile(file);
  });
  $("start").addEventListener("click", startUpload);
  $("stop-upload").addEventListener("click", pauseUpload);
  $("refresh-history").addEventListener("click", loadHistory);
  $("retry").addEventListener("click", () => {
    if (uploadFailed && retryAction) {
      const action = retryAction;
      retryAction = null;
      clearOutcome();
      action();
    } else if (lastJob && lastJob.status === "failed") {
      retryJob(lastJob.id);
    }
  });
  $("cancel-job").addEventListener("click", () => {
    if (lastJob) cancelJob(lastJob.id);
  });
  window.addEventListener("beforeunload", (event) => {
    if (currentUpload) event.preventDefault();
  });
}

async function init() {
  wire();
  uploader.dataset.ready = "true"; // handlers are in place (tests wait for this)
  if (!tus || !tus.isSupported) {
    showFailure("This browser cannot upload files here", "Use a current version of Chrome, Firefox, Safari or Edge.");
    $("choose").disabled = true;
    return;
  }
  showResumeHint();
  const jobs = await loadHistory();
  const running = jobs.find((j) => j.status === "running") || jobs.find((j) => RUNNING.has(j.status));
  if (running) follow(running); // coming back to the page shows the running import live
}

init();
