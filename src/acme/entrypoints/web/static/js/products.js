// The products page: filterable, paginated table over /api/products, with create/edit in a
// modal, toggle, delete one and delete all. Product text is untrusted: textContent only.
import { api, fmt, toast } from "./api.js";

const DEBOUNCE_MS = 250;
const SHORT_DESCRIPTION = 80;
const DEFAULT_PAGE_SIZE = 50;
const FILTERS = ["sku", "name", "description", "active"];

const $ = (id) => document.getElementById(id);
const els = {
  filters: $("filters"),
  summary: $("summary"),
  loading: $("loading"),
  tableWrap: $("table-wrap"),
  body: $("products-body"),
  rowTemplate: $("row-template"),
  emptyNone: $("empty-none"),
  emptyNoMatch: $("empty-nomatch"),
  loadError: $("load-error"),
  loadErrorDetail: $("load-error-detail"),
  pagination: $("pagination"),
  pageNumbers: $("page-numbers"),
  pageSize: $("page-size"),
  first: $("page-first"),
  prev: $("page-prev"),
  next: $("page-next"),
  last: $("page-last"),
};

/* ---------- state <-> URL ---------- */

function readState() {
  const params = new URLSearchParams(window.location.search);
  const state = { page: 1, page_size: DEFAULT_PAGE_SIZE };
  for (const key of FILTERS) state[key] = params.get(key) || "";
  if (!["", "true", "false"].includes(state.active)) state.active = "";
  const page = Number.parseInt(params.get("page") || "1", 10);
  state.page = Number.isFinite(page) && page > 0 ? page : 1;
  const size = Number.parseInt(params.get("page_size") || "", 10);
  const sizes = [...els.pageSize.options].map((o) => Number(o.value));
  state.page_size = sizes.includes(size) ? size : DEFAULT_PAGE_SIZE;
  return state;
}

function queryOf(state, { forApi = false } = {}) {
  const params = new URLSearchParams();
  for (const key of FILTERS) if (state[key]) params.set(key, state[key]);
  if (forApi || state.page !== 1) params.set("page", String(state.page));
  if (forApi || state.page_size !== DEFAULT_PAGE_SIZE) params.set("page_size", String(state.page_size));
  return params.toString();
}

let state = readState();

function writeUrl(mode) {
  const query = queryOf(state);
  const url = `${window.location.pathname}${query ? `?${query}` : ""}`;
  if (url === `${window.location.pathname}${window.location.search}`) return;
  if (mode === "push") history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

function showStateInControls() {
  for (const key of FILTERS) els.filters.elements[key].value = state[key];
  els.pageSize.value = String(state.page_size);
}

/* ---------- loading the list ---------- */

let controller = null;

function setLoading(on) {
  els.loading.hidden = !on;
  els.tableWrap.setAttribute("aria-busy", on ? "true" : "false");
  els.tableWrap.classList.toggle("is-loading", on);
}

async function load() {
  controller?.abort(); // a newer request supersedes any in flight: results never arrive out of order
  const mine = new AbortController();
  controller = mine;
  setLoading(true);
  const started = performance.now();
  try {
    const data = await api(`/api/products?${queryOf(state, { forApi: true })}`, { signal: mine.signal });
    if (mine !== controller) return;
    const pages = Math.max(1, Math.ceil(data.total / data.page_size));
    if (data.total > 0 && state.page > pages) {
      // The page no longer exists (rows were deleted, or a stale link): show the last one.
      state.page = pages;
      writeUrl("replace");
      load();
      return;
    }
    renderList(data);
    els.loadError.hidden = true;
    // request start to rendered rows, for `python -m bench products_page`
    performance.measure("products-load", { start: started, end: performance.now() });
  } catch (err) {
    if (err.name === "AbortError" || mine !== controller) return;
    renderFailure(err.message);
    toast(`Could not load products: ${err.message}`, "error");
  } finally {
    if (mine === controller) {
      setLoading(false);
      controller = null;
    }
  }
}

function hasFilters() {
  return FILTERS.some((key) => state[key]);
}

function renderFailure(message) {
  els.body.replaceChildren();
  els.tableWrap.hidden = true;
  els.pagination.hidden = true;
  els.emptyNone.hidden = true;
  els.emptyNoMatch.hidden = true;
  els.loadError.hidden = false;
  els.loadErrorDetail.textContent = message;
  els.summary.textContent = "";
}

function renderList(data) {
  const rows = data.items.map(renderRow);
  els.body.replaceChildren(...rows);
  const empty = data.total === 0;
  els.tableWrap.hidden = empty;
  els.emptyNone.hidden = !(empty && !hasFilters());
  els.emptyNoMatch.hidden = !(empty && hasFilters());
  els.pagination.hidden = empty;
  if (empty) {
    els.summary.textContent = hasFilters() ? "0 matching products" : "0 products";
    return;
  }
  const from = (data.page - 1) * data.page_size + 1;
  const to = from + data.items.length - 1;
  const noun = hasFilters() ? (data.total === 1 ? "matching product" : "matching products") : data.total === 1 ? "product" : "products";
  // total_capped: the API stopped counting LIST_COUNT_CAP (250) matches past this page, so total is "at least"
  const of = data.total_capped ? `${fmt(data.total)}+` : fmt(data.total);
  els.summary.textContent = `Showing ${fmt(from)}–${fmt(to)} of ${of} ${noun}`;
  renderPager(data);
}

function renderRow(product) {
  const row = els.rowTemplate.content.firstElementChild.cloneNode(true);
  row.dataset.id = String(product.id);
  row.querySelector(".col-sku").textContent = product.sku;
  row.querySelector(".col-name").textContent = product.name;
  const desc = row.querySelector(".col-description");
  if (product.description.length > SHORT_DESCRIPTION) {
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = `${product.description.slice(0, SHORT_DESCRIPTION).trimEnd()}…`;
    const more = document.createElement("span");
    more.className = "sr-only";
    more.textContent = " (show full description)";
    summary.append(more);
    const full = document.createElement("p");
    full.className = "full-description";
    full.textContent = product.description;
    details.append(summary, full);
    desc.append(details);
  } else {
    desc.textContent = product.description;
  }
  const toggle = row.querySelector(".toggle");
  toggle.textContent = product.active ? "Active" : "Inactive";
  toggle.classList.add(product.active ? "is-on" : "is-off");
  toggle.setAttribute("aria-checked", product.active ? "true" : "false");
  toggle.setAttribute("aria-label", `Active: ${product.sku}`);
  toggle.addEventListener("click", () => toggleActive(product, toggle));
  const edit = row.querySelector(".edit");
  edit.setAttribute("aria-label", `Edit ${product.sku}`);
  edit.addEventListener("click", () => openEditor(product, edit));
  const del = row.querySelector(".delete");
  del.setAttribute("aria-label", `Delete ${product.sku}`);
  del.addEventListener("click", () => openDelete(product, del));
  return row;
}

function pageList(current, total) {
  // 1 … c-2 c-1 c c+1 c+2 … N
  const wanted = new Set([1, total]);
  for (let p = current - 2; p <= current + 2; p += 1) if (p >= 1 && p <= total) wanted.add(p);
  const sorted = [...wanted].sort((a, b) => a - b);
  const out = [];
  sorted.forEach((p, i) => {
    if (i > 0 && p - sorted[i - 1] > 1) out.push(null);
    out.push(p);
  });
  return out;
}

function renderPager(data) {
  const pages = Math.max(1, Math.ceil(data.total / data.page_size));
  const current = data.page;
  els.first.disabled = els.prev.disabled = current <= 1;
  els.next.disabled = current >= pages;
  els.last.disabled = current >= pages || data.total_capped; // the last page is not known yet
  const items = pageList(current, pages).map((p) => {
    const li = document.createElement("li");
    if (p === null) {
      li.textContent = "…";
      li.className = "gap";
      li.setAttribute("aria-hidden", "true");
      return li;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-small page-number";
    button.textContent = fmt(p);
    button.setAttribute("aria-label", `Page ${p}`);
    if (p === current) button.setAttribute("aria-current", "page");
    button.addEventListener("click", () => goToPage(p));
    li.append(button);
    return li;
  });
  if (data.total_capped) {
    const more = document.createElement("li");
    more.textContent = "…";
    more.className = "gap";
    more.setAttribute("aria-hidden", "true");
    items.push(more);
  }
  els.pageNumbers.replaceChildren(...items);
  els.last.dataset.page = String(pages);
}

function goToPage(page) {
  if (page === state.page) return;
  state.page = page;
  writeUrl("push");
  load();
}

/* ---------- filters ---------- */

let debounceTimer = null;

function onFilterInput() {
  clearTimeout(debounceTimer);
  debounceTimer = setTimeout(applyFilters, DEBOUNCE_MS);
}

function applyFilters() {
  clearTimeout(debounceTimer);
  let changed = false;
  for (const key of FILTERS) {
    const value = key === "active" ? els.filters.elements[key].value : els.filters.elements[key].value.trim();
    if (state[key] !== value) {
      state[key] = value;
      changed = true;
    }
  }
  if (!changed) return;
  state.page = 1;
  writeUrl("push");
  load();
}

function clearFilters() {
  for (const key of FILTERS) els.filters.elements[key].value = "";
  applyFilters();
  els.filters.elements.sku.focus();
}

els.filters.addEventListener("input", onFilterInput);
els.filters.elements.active.addEventListener("change", applyFilters);
els.filters.addEventListener("submit", (event) => {
  event.preventDefault();
  applyFilters();
});
els.filters.addEventListener("reset", (event) => {
  event.preventDefault();
  clearFilters();
});
$("empty-clear").addEventListener("click", clearFilters);
$("retry").addEventListener("click", load);

els.first.addEventListener("click", () => goToPage(1));
els.prev.addEventListener("click", () => goToPage(Math.max(1, state.page - 1)));
els.next.addEventListener("click", () => goToPage(state.page + 1));
els.last.addEventListener("click", () => goToPage(Number(els.last.dataset.page || "1")));
els.pageSize.addEventListener("change", () => {
  state.page_size = Number(els.pageSize.value);
  state.page = 1;
  writeUrl("push");
  load();
});

window.addEventListener("popstate", () => {
  clearTimeout(debounceTimer);
  state = readState();
  showStateInControls();
  load();
});

/* ---------- dialogs ---------- */

function busy(button, on) {
  button.disabled = on;
  button.querySelector(".spinner")?.toggleAttribute("hidden", !on);
  button.setAttribute("aria-busy", on ? "true" : "false");
}

function openDialog(dialog, opener) {
  dialog.returnFocusTo = opener;
  dialog.showModal();
}

for (const dialog of document.querySelectorAll("dialog")) {
  // Escape closes (the browser's "cancel" event) unless an operation is running; focus goes back
  // to the button that opened the dialog.
  dialog.addEventListener("cancel", (event) => {
    if (dialog.dataset.busy === "true") event.preventDefault();
  });
  dialog.addEventListener("close", () => {
    const opener = dialog.returnFocusTo;
    if (opener && opener.isConnected) opener.focus();
    else els.filters.elements.sku.focus();
  });
}

/* ---------- create / edit ---------- */

const form = $("product-form");
const productDialog = $("product-dialog");
const saveButton = $("product-save");
let editing = null; // the product being edited, or null for a new one

function fieldError(field, message) {
  const input = form.elements[field];
  const slot = $(`product-${field}-error`);
  slot.textContent = message || "";
  if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
}

function clearErrors() {
  for (const field of ["sku", "name", "description"]) fieldError(field, "");
  $("form-error").textContent = "";
}

function openEditor(product, opener) {
  editing = product;
  clearErrors();
  $("product-dialog-title").textContent = product ? "Edit product" : "New product";
  form.elements.sku.value = product ? product.sku : "";
  form.elements.name.value = product ? product.name : "";
  form.elements.description.value = product ? product.description : "";
  form.elements.active.checked = product ? product.active : true;
  openDialog(productDialog, opener);
  form.elements.sku.focus();
}

/** Put an API error message next to the field it is about (or above the form). */
function showApiError(err) {
  const detail = err.message;
  if (err.status === 409) {
    fieldError("sku", detail);
    form.elements.sku.focus();
    return;
  }
  if (err.status === 422) {
    const lower = detail.toLowerCase();
    for (const field of ["sku", "name", "description"]) {
      if (lower.startsWith(field) || lower.includes(`${field}:`)) {
        fieldError(field, detail);
        form.elements[field].focus();
        return;
      }
    }
  }
  $("form-error").textContent = detail;
}

function validate() {
  clearErrors();
  let firstBad = null;
  for (const [field, label] of [["sku", "SKU"], ["name", "Name"]]) {
    if (!form.elements[field].value.trim()) {
      fieldError(field, `${label} is required.`);
      firstBad = firstBad || form.elements[field];
    }
  }
  firstBad?.focus();
  return firstBad === null;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!validate()) return;
  const body = {
    sku: form.elements.sku.value.trim(),
    name: form.elements.name.value.trim(),
    description: form.elements.description.value,
    active: form.elements.active.checked,
  };
  productDialog.dataset.busy = "true";
  busy(saveButton, true);
  try {
    if (editing) {
      const saved = await api(`/api/products/${editing.id}`, { method: "PATCH", body });
      toast(`Saved ${saved.sku}.`, "success");
    } else {
      const saved = await api("/api/products", { method: "POST", body });
      toast(`Created ${saved.sku}.`, "success");
    }
    productDialog.dataset.busy = "false";
    productDialog.close();
    load();
  } catch (err) {
    showApiError(err);
    if (err.status !== 409 && err.status !== 422) toast(`Could not save: ${err.message}`, "error");
  } finally {
    productDialog.dataset.busy = "false";
    busy(saveButton, false);
  }
});
$("product-cancel").addEventListener("click", () => productDialog.close());
$("new-product").addEventListener("click", (event) => openEditor(null, event.currentTarget));

/* ---------- toggle active ---------- */

async function toggleActive(product, button) {
  button.disabled = true;
  try {
    const saved = await api(`/api/products/${product.id}`, { method: "PATCH", body: { active: !product.active } });
    toast(`${saved.sku} is now ${saved.active ? "active" : "inactive"}.`, "success");
    await load();
    // keep keyboard focus on the same switch after the table is redrawn
    const again = els.body.querySelector(`tr[data-id="${saved.id}"] .toggle`);
    again?.focus();
  } catch (err) {
    toast(`Could not change ${product.sku}: ${err.message}`, "error");
    button.disabled = false;
  }
}

/* ---------- delete one ---------- */

const deleteDialog = $("delete-dialog");
const deleteConfirm = $("delete-confirm");
let deleting = null;

function openDelete(product, opener) {
  deleting = product;
  $("delete-dialog-name").textContent = product.name;
  $("delete-dialog-sku").textContent = product.sku;
  openDialog(deleteDialog, opener);
  $("delete-cancel").focus();
}

$("delete-cancel").addEventListener("click", () => deleteDialog.close());
deleteConfirm.addEventListener("click", async () => {
  const product = deleting;
  deleteDialog.dataset.busy = "true";
  busy(deleteConfirm, true);
  try {
    await api(`/api/products/${product.id}`, { method: "DELETE" });
    toast(`Deleted ${product.sku}.`, "success");
    deleteDialog.dataset.busy = "false";
    deleteDialog.returnFocusTo = els.filters.elements.sku;
    deleteDialog.close();
    load();
  } catch (err) {
    toast(`Could not delete ${product.sku}: ${err.message}`, "error");
  } finally {
    deleteDialog.dataset.busy = "false";
    busy(deleteConfirm, false);
  }
});

/* ---------- delete all ---------- */

const deleteAllDialog = $("delete-all-dialog");
const deleteAllConfirm = $("delete-all-confirm");
const deleteAllCount = $("delete-all-count");

$("delete-all").addEventListener("click", async (event) => {
  const opener = event.currentTarget;
  deleteAllCount.textContent = "Counting products…";
  deleteAllConfirm.disabled = true;
  openDialog(deleteAllDialog, opener);
  $("delete-all-cancel").focus();
  try {
    const data = await api("/api/products?page=1&page_size=1&count=exact");
    if (!deleteAllDialog.open) return;
    const n = data.total;
    deleteAllCount.textContent =
      n === 0 ? "There are no products to delete." : `${fmt(n)} ${n === 1 ? "product" : "products"} will be deleted.`;
    deleteAllCount.dataset.total = String(n);
    deleteAllConfirm.disabled = n === 0;
  } catch (err) {
    deleteAllCount.textContent = `The number of products could not be counted: ${err.message}`;
    deleteAllConfirm.disabled = false;
  }
});

$("delete-all-cancel").addEventListener("click", () => deleteAllDialog.close());
deleteAllConfirm.addEventListener("click", async () => {
  deleteAllDialog.dataset.busy = "true";
  busy(deleteAllConfirm, true);
  $("delete-all-cancel").disabled = true;
  deleteAllConfirm.querySelector(".label").textContent = "Deleting…";
  try {
    const result = await api("/api/products?confirm=true", { method: "DELETE" });
    toast(`Deleted ${fmt(result.deleted)} ${result.deleted === 1 ? "product" : "products"}.`, "success");
    deleteAllDialog.dataset.busy = "false";
    deleteAllDialog.returnFocusTo = els.filters.elements.sku;
    deleteAllDialog.close();
    state.page = 1;
    writeUrl("replace");
    load();
  } catch (err) {
    toast(`Delete all failed: ${err.message}`, "error");
  } finally {
    deleteAllDialog.dataset.busy = "false";
    busy(deleteAllConfirm, false);
    $("delete-all-cancel").disabled = false;
    deleteAllConfirm.querySelector(".label").textContent = "Delete all";
  }
});

/* ---------- start ---------- */

showStateInControls();
load();
