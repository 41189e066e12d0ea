// The webhooks page: list, add/edit in a dialog, enable toggle, test, delete, delivery log.
// Every value from the server is written with textContent (never innerHTML).
import { api, toast } from "./api.js";

const $ = (id) => document.getElementById(id);
const body = $("webhooks-body");
const rowTemplate = $("webhook-row");
const form = $("webhook-form");
const dialog = $("webhook-dialog");
let editing = null; // the webhook being edited, or null when adding
let deleting = null;
let logFor = null;
let logTimer = null;

const STATUS_BADGE = { succeeded: "badge-success", failed: "badge-danger", pending: "badge-warning" };

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

function outcomeText(d) {
  if (d.last_status_code) return `HTTP ${d.last_status_code}`;
  return d.error || "";
}

function renderLast(cell, d) {
  cell.replaceChildren();
  if (!d) {
    cell.append(el("span", "Never sent", "muted"));
    return;
  }
  cell.append(el("span", d.status, `badge ${STATUS_BADGE[d.status] || ""}`));
  const detail = [d.event_type, outcomeText(d), d.duration_ms !== null ? `${d.duration_ms} ms` : ""]
    .filter(Boolean)
    .join(" · ");
  cell.append(el("small", detail));
  if (d.error && d.last_status_code) cell.append(el("small", d.error));
  cell.append(el("small", when(d.last_attempt_at)));
}

function renderRow(w) {
  const row = rowTemplate.content.firstElementChild.cloneNode(true);
  row.dataset.id = w.id;
  row.querySelector(".wh-url code").textContent = w.url;
  const events = row.querySelector(".wh-events");
  for (const type of w.events) events.append(el("span", type, "badge badge-info"));
  const toggle = row.querySelector(".wh-enabled");
  toggle.checked = w.enabled;
  toggle.setAttribute("aria-label", `Enabled: ${w.url}`);
  row.querySelector(".switch-label").textContent = w.enabled ? "On" : "Off";
  toggle.addEventListener("change", () => setEnabled(w, toggle, row));
  renderLast(row.querySelector(".wh-last"), w.last_delivery);
  row.querySelector(".wh-test").addEventListener("click", () => testWebhook(w, row));
  row.querySelector(".wh-edit").addEventListener("click", () => openForm(w));
  row.querySelector(".wh-delete").addEventListener("click", () => askDelete(w));
  row.querySelector(".wh-log").addEventListener("click", () => openLog(w));
  for (const button of row.querySelectorAll("button")) {
    button.setAttribute("aria-label", `${button.textContent} ${w.url}`);
  }
  return row;
}

async function load() {
  try {
    const hooks = await api("/api/webhooks");
    body.replaceChildren(...hooks.map(renderRow));
    $("webhooks-empty").hidden = hooks.length > 0;
  } catch (err) {
    toast(err.message, "error");
  } finally {
    $("webhooks-loading").hidden = true;
  }
}

async function refreshRow(id) {
  const old = body.querySelector(`tr[data-id="${CSS.escape(String(id))}"]`);
  try {
    const w = await api(`/api/webhooks/${id}`);
    const fresh = renderRow(w);
    if (old) {
      const output = old.querySelector(".wh-test-result");
      const kept = fresh.querySelector(".wh-test-result");
      kept.textContent = output.textContent;
      kept.className = output.className;
      old.replaceWith(fresh);
    } else {
      body.append(fresh);
    }
    $("webhooks-empty").hidden = true;
  } catch (err) {
    toast(err.message, "error");
  }
}

async function setEnabled(w, toggle, row) {
  toggle.disabled = true;
  try {
    const updated = await api(`/api/webhooks/${w.id}`, { method: "PATCH", body: { enabled: toggle.checked } });
    w.enabled = updated.enabled;
    row.querySelector(".switch-label").textContent = updated.enabled ? "On" : "Off";
    toast(updated.enabled ? "Webhook enabled" : "Webhook disabled: it receives nothing until enabled", "success");
  } catch (err) {
    toggle.checked = !toggle.checked;
    toast(err.message, "error");
  } finally {
    toggle.disabled = false;
  }
}

async function testWebhook(w, row) {
  const button = row.querySelector(".wh-test");
  const output = row.querySelector(".wh-test-result");
  button.disabled = true;
  output.className = "wh-test-result";
  output.textContent = "Sending test event…";
  try {
    const r = await api(`/api/webhooks/${w.id}/test`, { method: "POST" });
    if (r.ok) {
      output.className = "wh-test-result ok";
      output.textContent = `✓ HTTP ${r.status_code} in ${r.duration_ms} ms`;
    } else if (r.status_code) {
      output.className = "wh-test-result fail";
      output.textContent = `✗ HTTP ${r.status_code} in ${r.duration_ms} ms`;
    } else {
      output.className = "wh-test-result fail";
      output.textContent = `✗ ${r.error}`;
    }
    await refreshRow(w.id);
  } catch (err) {
    output.className = "wh-test-result fail";
    output.textContent = `✗ ${err.message}`;
  } finally {
    const current = body.querySelector(`tr[data-id="${CSS.escape(String(w.id))}"] .wh-test`);
    if (current) current.disabled = false;
  }
}

// --- add / edit -----------------------------------------------------------------------

function clearErrors() {
  for (const id of ["webhook-url-error", "webhook-events-error", "webhook-form-error"]) $(id).textContent = "";
  $("webhook-url").removeAttribute("aria-invalid");
}

function openForm(w) {
  editing = w || null;
  form.reset();
  clearErrors();
  $("webhook-dialog-title").textContent = w ? "Edit webhook" : "Add webhook";
  $("webhook-url").value = w ? w.url : "";
  $("webhook-enabled").checked = w ? w.enabled : true;
  for (const box of form.querySelectorAll('input[name="events"]')) {
    box.checked = w ? w.events.includes(box.value) : false;
  }
  dialog.showModal();
  $("webhook-url").focus();
}

function validate() {
  clearErrors();
  const url = $("webhook-url").value.trim();
  const events = [...form.querySelectorAll('input[name="events"]:checked')].map((b) => b.value);
  let ok = true;
  let parsed = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (!url) {
    $("webhook-url-error").textContent = "Enter the URL that should receive the events.";
    ok = false;
  } else if (!parsed || !["http:", "https:"].includes(parsed.protocol) || !parsed.hostname) {
    $("webhook-url-error").textContent = "Enter a full http:// or https:// URL, such as https://example.com/hook.";
    ok = false;
  }
  if (!ok) $("webhook-url").setAttribute("aria-invalid", "true");
  if (events.length === 0) {
    $("webhook-events-error").textContent = "Choose at least one event.";
    ok = false;
  }
  return ok ? { url, events, enabled: $("webhook-enabled").checked } : null;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = validate();
  if (!data) return;
  const save = $("webhook-save");
  save.disabled = true;
  try {
    if (editing) {
      await api(`/api/webhooks/${editing.id}`, { method: "PATCH", body: data });
      dialog.close();
      await refreshRow(editing.id);
      toast("Webhook saved", "success");
    } else {
      const created = await api("/api/webhooks", { method: "POST", body: data });
      dialog.close();
      await refreshRow(created.id);
      showSecret(created.secret);
    }
  } catch (err) {
    const target = /url|address|host/i.test(err.message) ? "webhook-url-error" : "webhook-form-error";
    $(target).textContent = err.message;
  } finally {
    save.disabled = false;
  }
});

$("webhook-cancel").addEventListener("click", () => dialog.close());
$("add-webhook").addEventListener("click", () => openForm(null));

// --- secret, shown once ---------------------------------------------------------------

function showSecret(secret) {
  $("secret-value").textContent = secret;
  $("secret-copied").textContent = "";
  $("secret-dialog").showModal();
}

$("secret-copy").addEventListener("click", async () => {
  const secret = $("secret-value").textContent;
  try {
    await navigator.clipboard.writeText(secret);
  } catch {
    const range = document.createRange();
    range.selectNodeContents($("secret-value"));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    document.execCommand("copy");
  }
  $("secret-copied").textContent = "Copied to the clipboard.";
});

$("secret-done").addEventListener("click", () => {
  $("secret-value").textContent = "";
  $("secret-dialog").close();
});

// --- delete ---------------------------------------------------------------------------

function askDelete(w) {
  deleting = w;
  $("delete-url").textContent = w.url;
  $("delete-dialog").showModal();
}

$("delete-cancel").addEventListener("click", () => $("delete-dialog").close());
$("delete-confirm").addEventListener("click", async () => {
  const w = deleting;
  $("delete-dialog").close();
  if (!w) return;
  try {
    await api(`/api/webhooks/${w.id}`, { method: "DELETE" });
    body.querySelector(`tr[data-id="${CSS.escape(String(w.id))}"]`)?.remove();
    $("webhooks-empty").hidden = body.children.length > 0;
    toast("Webhook deleted", "success");
  } catch (err) {
    toast(err.message, "error");
  }
});

// --- delivery log ---------------------------------------------------------------------

function logRow(d) {
  const tr = document.createElement("tr");
  const event = el("td");
  event.append(el("code", d.event_type));
  const status = el("td");
  status.append(el("span", d.status, `badge ${STATUS_BADGE[d.status] || ""}`));
  const response = el("td", d.last_status_code ? `HTTP ${d.last_status_code}` : "");
  if (d.error) response.append(el("span", d.error, "error"));
  tr.append(
    event,
    status,
    el("td", d.attempts),
    response,
    el("td", d.duration_ms !== null ? `${d.duration_ms} ms` : ""),
    el("td", d.next_attempt_at ? when(d.next_attempt_at) : "–"),
    el("td", when(d.last_attempt_at || d.created_at)),
  );
  return tr;
}

async function loadLog() {
  if (!logFor) return;
  try {
    const rows = await api(`/api/webhooks/${logFor.id}/deliveries?limit=100`);
    $("log-body").replaceChildren(...rows.map(logRow));
    $("log-empty").hidden = rows.length > 0;
  } catch (err) {
    toast(err.message, "error");
  }
}

function openLog(w) {
  logFor = w;
  $("log-url").textContent = w.url;
  $("log-body").replaceChildren();
  $("log-empty").hidden = true;
  $("log-dialog").showModal();
  loadLog();
  clearInterval(logTimer);
  logTimer = setInterval(loadLog, 3000);
}

$("log-refresh").addEventListener("click", loadLog);
$("log-close").addEventListener("click", () => $("log-dialog").close());
$("log-dialog").addEventListener("close", () => {
  clearInterval(logTimer);
  logFor = null;
  load();
});

load();
