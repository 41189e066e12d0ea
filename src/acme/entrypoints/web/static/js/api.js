// Shared helpers for every page: JSON API calls with readable errors, and notifications.

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** Call the JSON API; resolve with the parsed body, or reject with an ApiError(detail). */
export async function api(path, { method = "GET", body, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "The server could not be reached. Check your connection and try again.");
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const detail = data && typeof data.detail === "string" ? data.detail : `Request failed (${response.status})`;
    throw new ApiError(response.status, detail);
  }
  return data;
}

/** Show a short notification; kind is "info", "success" or "error". */
export function toast(message, kind = "info", ms = 5000) {
  const region = document.getElementById("toasts");
  const el = document.createElement("div");
  el.className = `toast toast-${kind}`;
  el.textContent = message;
  region.append(el);
  setTimeout(() => el.remove(), ms);
  return el;
}

/** Format an integer with thousands separators. */
export function fmt(n) {
  return n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US");
}
