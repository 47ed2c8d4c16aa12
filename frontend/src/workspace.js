// The workspace's behaviour: htmx for partial updates, plus selection, keyboard
// shortcuts, the hotspot editor, copy buttons and problem messages.
import htmx from "htmx.org";

window.htmx = htmx;

const selected = new Set();
let anchor = null; // the tile a shift-click range starts from

const $ = (sel, root = document) => root.querySelector(sel);
const tiles = () => Array.from(document.querySelectorAll("#grid .tile"));

function say(text, isError = false) {
  const status = $("#status");
  if (!status) return;
  status.textContent = text;
  status.classList.toggle("error", isError);
}

// -- selection -------------------------------------------------------------------------

function paintSelection() {
  for (const tile of tiles()) {
    tile.setAttribute("aria-selected", selected.has(tile.dataset.id) ? "true" : "false");
  }
  const count = $("#selected-count");
  if (count) count.textContent = `${selected.size} selected`;
}

function toggle(tile, on = !selected.has(tile.dataset.id)) {
  if (on) selected.add(tile.dataset.id);
  else selected.delete(tile.dataset.id);
}

function selectRange(from, to) {
  const all = tiles();
  const [a, b] = [all.indexOf(from), all.indexOf(to)].sort((x, y) => x - y);
  for (const tile of all.slice(a, b + 1)) toggle(tile, true);
}

document.addEventListener("click", (event) => {
  const tile = event.target.closest("#grid .tile");
  if (!tile || event.target.closest("a")) return;
  if (event.shiftKey && anchor) selectRange(anchor, tile);
  else toggle(tile);
  anchor = tile;
  tile.focus();
  paintSelection();
});

// -- bulk actions --------------------------------------------------------------------------

function targets() {
  if (selected.size) return Array.from(selected);
  const focused = document.activeElement && document.activeElement.closest("#grid .tile");
  return focused ? [focused.dataset.id] : [];
}

function bulk(action, extra = {}) {
  const library = $("[data-bulk-url]");
  const ids = targets();
  if (!library || !ids.length) {
    say("Select assets first (click, or X on the focused one).", true);
    return;
  }
  htmx.ajax("POST", library.dataset.bulkUrl, {
    values: { action, ids: ids.join(","), ...extra },
    swap: "none",
    source: library,
  });
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-bulk]");
  if (button) bulk(button.dataset.bulk);
  const opener = event.target.closest("[data-open]");
  if (opener) openDialog(opener.dataset.open);
  const copier = event.target.closest("[data-copy]");
  if (copier) copyText(copier);
});

function openDialog(id) {
  const dialog = document.getElementById(id);
  if (!dialog) return;
  if (!targets().length) {
    say("Select assets first (click, or X on the focused one).", true);
    return;
  }
  dialog.showModal();
}

document.addEventListener("close", (event) => {
  const dialog = event.target;
  if (!(dialog instanceof HTMLDialogElement) || dialog.returnValue !== "ok") return;
  const form = dialog.querySelector("form");
  const data = Object.fromEntries(new FormData(form));
  if (form.dataset.action === "gallery") pinToGallery(form, data.gallery);
  else if (form.dataset.action === "reject") bulk("reject", { reason: data.reason });
  else if (data.product) bulk("tag_product", { product: data.product });
  else bulk("tag_line", { product_line: data.product_line || "" });
}, true);

// "Add to gallery": the selection is appended to the chosen gallery's pins.
function pinToGallery(form, galleryId) {
  const ids = targets();
  if (!galleryId || !ids.length) {
    say(galleryId ? "Select assets first." : "Choose a gallery (make one on the Galleries page).", true);
    return;
  }
  htmx.ajax("POST", form.dataset.pinsUrl.replace("/0/", `/${galleryId}/`), {
    values: { ids: ids.join(",") },
    swap: "none",
    source: form,
  });
}

// -- keyboard ------------------------------------------------------------------------------

function move(step) {
  const all = tiles();
  if (!all.length) return;
  const current = all.indexOf(document.activeElement);
  const next = all[Math.max(0, Math.min(all.length - 1, current + step))] || all[0];
  next.focus();
  next.scrollIntoView({ block: "nearest" });
}

function typing(event) {
  const el = event.target;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) || document.querySelector("dialog[open]");
}

let decided = null; // the asset whose decision is on its way: one per asset, however fast the keys

function reviewKeys(event) {
  const stage = $("#review-stage");
  if (!stage || !stage.dataset.asset) return false;
  const key = event.key.toLowerCase();
  const select = $("#review-reason");
  if (/^[1-9]$/.test(key)) {
    if (select && select.options[Number(key) - 1]) select.selectedIndex = Number(key) - 1;
    return true;
  }
  const decision = { a: "approve", r: "reject" }[key];
  const form = stage.querySelector("form[hx-post]");
  if (!decision || !form) return false;
  if (decided === stage.dataset.asset) return true;
  decided = stage.dataset.asset;
  // Sent directly rather than by clicking, so a key pressed the instant the next
  // asset appears works before htmx has wired up its form.
  htmx.ajax("POST", form.getAttribute("hx-post"), {
    target: "#review-stage",
    swap: "outerHTML",
    values: { decision, reason: select ? select.value : "" },
  });
  return true;
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
  if (event.key === "/") {
    const search = $("#q");
    if (search) { event.preventDefault(); search.focus(); search.select(); }
    return;
  }
  if (reviewKeys(event)) { event.preventDefault(); return; }
  if (!$("#grid")) return;
  const focused = document.activeElement && document.activeElement.closest("#grid .tile");
  const actions = {
    j: () => move(1),
    k: () => move(-1),
    x: () => { if (focused) { toggle(focused); anchor = focused; paintSelection(); } },
    " ": () => { if (focused) { toggle(focused); anchor = focused; paintSelection(); } },
    a: () => bulk("approve"),
    r: () => openDialog("reject-dialog"),
    t: () => openDialog("tag-dialog"),
    g: () => openDialog("gallery-dialog"),
    enter: () => { if (focused) focused.querySelector("a.open").click(); },
    escape: () => { selected.clear(); paintSelection(); },
  };
  const action = actions[event.key.toLowerCase()];
  if (action) { event.preventDefault(); action(); }
});

// -- hotspots --------------------------------------------------------------------------------

function drawPins() {
  const layer = $("#hotspot-pins");
  if (!layer) return;
  layer.innerHTML = "";
  for (const item of document.querySelectorAll("#products li[data-x]")) {
    if (item.dataset.x === "") continue;
    const pin = document.createElement("span");
    pin.className = "pin";
    pin.textContent = item.dataset.label;
    pin.style.left = `${Number(item.dataset.x) * 100}%`;
    pin.style.top = `${Number(item.dataset.y) * 100}%`;
    layer.appendChild(pin);
  }
}

document.addEventListener("click", (event) => {
  const image = event.target.closest("#hotspot-image, #hotspot-pins");
  const form = $("#hotspot-form");
  if (!image || !form) return;
  const box = $("#hotspot-image").getBoundingClientRect();
  const x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
  const y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
  $("#hotspot-x").value = x.toFixed(4);
  $("#hotspot-y").value = y.toFixed(4);
  $("#hotspot-where").textContent = `At ${(x * 100).toFixed(0)}%, ${(y * 100).toFixed(0)}%`;
  $("#hotspot-save").disabled = false;
  drawPins();
  const pending = document.createElement("span");
  pending.className = "pin pending";
  pending.textContent = "+";
  pending.style.left = `${x * 100}%`;
  pending.style.top = `${y * 100}%`;
  $("#hotspot-pins").appendChild(pending);
  $("#hotspot-product").focus();
});

// -- copy, charts, messages -------------------------------------------------------------------

async function copyText(button) {
  const source = document.getElementById(button.dataset.copy);
  try {
    await navigator.clipboard.writeText(source.value || source.textContent);
  } catch {
    source.select();
    document.execCommand("copy");
  }
  say(button.dataset.copied || "Message copied");
}

async function drawChart() {
  const canvas = $("#kpi-chart");
  const data = $("#kpi-data");
  if (!canvas || !data || canvas.dataset.drawn) return;
  canvas.dataset.drawn = "1";
  const days = JSON.parse(data.textContent);
  // Chart.js is the dashboard's shared chunk: fetched only by a page that draws.
  const { Chart } = await import("./charts.js");
  new Chart(canvas, {
    type: "line",
    data: {
      labels: days.map((d) => d.day),
      datasets: [
        { label: "Impressions", data: days.map((d) => d.impressions), borderColor: "#0a58ca" },
        { label: "Clicks", data: days.map((d) => d.clicks), borderColor: "#b02a37" },
      ],
    },
    options: { animation: false, responsive: true, plugins: { legend: { position: "bottom" } } },
  });
}

// A new action starts: an earlier error no longer describes the page.
document.body.addEventListener("htmx:beforeRequest", () => {
  const status = $("#status");
  if (status && status.classList.contains("error")) say("");
});

document.body.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  let text = `Request failed (${xhr.status})`;
  try {
    const problem = JSON.parse(xhr.responseText);
    text = problem.detail || problem.title || text;
  } catch { /* not a problem body */ }
  say(text, true);
  decided = null;
});

// -- gallery pins: drag-and-drop order, Up/Down buttons, one POST of the full order ----

let dragged = null;

function pinRows() {
  return Array.from(document.querySelectorAll("#pins .pin-row"));
}

function saveOrder() {
  const list = $("#pins");
  if (!list || !list.dataset.orderUrl) return;
  htmx.ajax("POST", list.dataset.orderUrl, {
    values: { order: pinRows().map((row) => row.dataset.asset).join(",") },
    target: "#pins-panel",
    swap: "outerHTML",
  });
}

document.addEventListener("dragstart", (event) => {
  const row = event.target.closest && event.target.closest("#pins .pin-row");
  if (!row) return;
  dragged = row;
  row.classList.add("dragging");
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData("text/plain", row.dataset.asset);
});

document.addEventListener("dragover", (event) => {
  const over = dragged && event.target.closest && event.target.closest("#pins .pin-row");
  if (!over) return;
  event.preventDefault(); // allows the drop
  if (over === dragged) return;
  const box = over.getBoundingClientRect();
  const after = event.clientY > box.top + box.height / 2;
  over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
});

document.addEventListener("drop", (event) => {
  if (dragged && event.target.closest && event.target.closest("#pins")) event.preventDefault();
});

document.addEventListener("dragend", () => {
  if (!dragged) return;
  dragged.classList.remove("dragging");
  dragged = null;
  saveOrder();
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("#pins [data-move]");
  if (!button) return;
  const row = button.closest(".pin-row");
  const sibling = button.dataset.move === "-1" ? row.previousElementSibling : row.nextElementSibling;
  if (!sibling || !sibling.classList.contains("pin-row")) return;
  if (button.dataset.move === "-1") row.parentNode.insertBefore(row, sibling);
  else row.parentNode.insertBefore(sibling, row);
  saveOrder();
});

// The live preview draws the gallery again after any change on the gallery page.
function refreshPreview() {
  const frame = $("#preview");
  const old = frame && frame.querySelector("[data-ugc-gallery]");
  if (!old || !window.UGC) return;
  const fresh = document.createElement("div");
  for (const name of ["data-ugc-gallery", "data-ugc-key", "data-ugc-consent"]) {
    fresh.setAttribute(name, old.getAttribute(name));
  }
  old.replaceWith(fresh);
  window.UGC.mount();
}

document.body.addEventListener("htmx:afterSettle", () => {
  paintSelection();
  drawPins();
  if ($("#gallery-editor")) refreshPreview(); // every change there may change what it shows
});
document.body.addEventListener("htmx:oobAfterSwap", paintSelection);

function start() {
  paintSelection();
  drawPins();
  drawChart();
  const first = tiles()[0];
  if (first && !document.activeElement?.closest("input")) first.setAttribute("tabindex", "0");
  const stage = $("#review-stage");
  if (stage) $("#main").focus();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
