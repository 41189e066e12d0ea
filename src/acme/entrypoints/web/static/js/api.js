// Shared helpers for every page: JSON API calls with readable errors, and notifications.

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** The session's CSRF token (the readable `acme_csrf` cookie), or "" when auth is off. */
export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)acme_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

const UNSAFE = /^(POST|PUT|PATCH|DELETE)$/i;
const sameOrigin = (url) => new URL(url, location.href).origin === location.origin;

// Every same-origin state-changing request sends X-CSRF-Token, whether it goes through
// api() below, a page's own fetch, or an XMLHttpRequest made by a library (uploads).
const nativeFetch = window.fetch.bind(window);
window.fetch = (resource, init = {}) => {
  const method = init.method || (resource instanceof Request ? resource.method : "GET");
  const url = resource instanceof Request ? resource.url : String(resource);
  if (UNSAFE.test(method) && sameOrigin(url) && csrfToken()) {
    const headers = new Headers(init.headers || (resource instanceof Request ? resource.headers : {}));
    headers.set("X-CSRF-Token", csrfToken());
    init = { ...init, headers };
  }
  return nativeFetch(resource, init);
};
const nativeOpen = XMLHttpRequest.prototype.open;
const nativeSend = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.open = function open(method, url, ...rest) {
  this.acmeNeedsCsrf = UNSAFE.test(method) && sameOrigin(url);
  return nativeOpen.call(this, method, url, ...rest);
};
XMLHttpRequest.prototype.send = function send(body) {
  if (this.acmeNeedsCsrf && csrfToken()) this.setRequestHeader("X-CSRF-Token", csrfToken());
  return nativeSend.call(this, body);
};

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
  if (response.status === 401) {
    // the session expired or the token changed: sign in again, then come back here
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
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
