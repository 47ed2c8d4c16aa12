// The workspace's behaviour: htmx for partial updates, plus selection, keyboard
// shortcuts, the hotspot editor, copy buttons and problem messages.
import htmx from "htmx.org";

window.htmx = htmx;

const selected = new Set();
let anchor = null; // the tile a shift-click range starts from

const $ = (sel, root = document) => root.querySelector(sel);
const tiles = () => Array.from(document.querySelectorAll("#grid .tile"));

// The page's words for what this script says (workspace/templatetags/workspace.py).
const strings = JSON.parse(document.getElementById("workspace-strings")?.textContent || "{}");
const t = (key, values = {}) =>
  (strings[key] || key).replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));

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
  if (count) count.textContent = t("selected", { count: selected.size });
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
    say(t("select_first"), true);
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
    say(t("select_first"), true);
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
    say(t(galleryId ? "select_first_short" : "choose_gallery"), true);
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
let rejecting = false; // R was pressed without a reason: choosing one in the list rejects

function decide(stage, decision, reason) {
  const form = stage.querySelector("form[hx-post]");
  if (!form || decided === stage.dataset.asset) return;
  decided = stage.dataset.asset;
  rejecting = false;
  // Sent directly rather than by clicking, so a key pressed the instant the next
  // asset appears works before htmx has wired up its form.
  htmx.ajax("POST", form.getAttribute("hx-post"), {
    target: "#review-stage",
    swap: "outerHTML",
    values: { decision, reason },
  });
}

// A rejection always names a reason the coordinator chose: a bare R opens the list.
function askForReason(select) {
  rejecting = true;
  say(t("choose_reason"));
  select.focus();
  try { select.showPicker(); } catch { /* not offered here: the list has the focus */ }
}

function reviewKeys(event) {
  const stage = $("#review-stage");
  if (!stage || !stage.dataset.asset) return false;
  const key = event.key.toLowerCase();
  const select = $("#review-reason");
  if (/^[1-9]$/.test(key)) {
    // Option 0 is the empty "Choose a reason…".
    if (select && select.options[Number(key)]) select.selectedIndex = Number(key);
    if (rejecting && select && select.value) decide(stage, "reject", select.value);
    return true;
  }
  if (key === "q") {
    // The drafted rights request: opened to read (and edit) before it is queued.
    const draft = stage.querySelector(".request-draft");
    if (draft) { draft.open = true; draft.querySelector("textarea").focus(); }
    return Boolean(draft);
  }
  if (key === "u" || key === "l") {
    // Undo, or accept the first suggested product line: sent directly, as decisions
    // are, since a click on a stage htmx has not wired up yet would be lost.
    const button = stage.querySelector(`[data-key=${key}]`);
    if (button) {
      const url = button.getAttribute("hx-post") || button.form.getAttribute("hx-post");
      const values = button.name ? { [button.name]: button.value } : {};
      htmx.ajax("POST", url, { target: "#review-stage", swap: "outerHTML", values });
    }
    return Boolean(button);
  }
  if (key === "t") {
    // The product picker: focusing it lists the asset's suggestions.
    const picker = $("#review-product");
    if (picker) picker.focus();
    return Boolean(picker);
  }
  if (key === "a") decide(stage, "approve", "");
  else if (key === "r" && select && !select.value) askForReason(select);
  else if (key === "r") decide(stage, "reject", select ? select.value : "");
  else return false;
  return true;
}

// htmx gives the focus back to the field of the same id after a swap: on a new review
// stage that is the product picker just used (or the request draft), where the next
// key (L, A, R...) would be typed as text. A new stage starts with the keys free.
document.addEventListener("htmx:afterSwap", (event) => {
  const active = document.activeElement;
  if (event.target.id === "review-stage" && active && event.target.contains(active) && typing({ target: active })) {
    active.blur();
  }
});

document.addEventListener("change", (event) => {
  const stage = $("#review-stage");
  if (rejecting && stage && event.target.id === "review-reason" && event.target.value) {
    decide(stage, "reject", event.target.value);
  }
});

// A Reject button whose reason is still unchosen asks for one instead of sending.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-needs-reason], #review-stage button[value=reject]");
  const select = button && button.form && button.form.querySelector("select[name=reason]");
  if (select && !select.value) {
    event.preventDefault();
    event.stopPropagation();
    askForReason(select);
  }
}, true);

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
  $("#hotspot-where").textContent = t("hotspot_at", { x: `${(x * 100).toFixed(0)}%`, y: `${(y * 100).toFixed(0)}%` });
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

// -- product picker: the options listed under a product field as one types ----------------

document.addEventListener("click", (event) => {
  const option = event.target.closest("[data-pick-product]");
  if (!option) return;
  const field = document.getElementById(option.dataset.for);
  if (!field) return;
  field.value = option.dataset.pickProduct;
  const warning = document.getElementById(`${option.dataset.for}-warning`);
  if (warning) {
    const unlinked = option.dataset.shoppable !== "true";
    warning.hidden = !unlinked;
    warning.textContent = unlinked ? t("not_shoppable", { title: option.dataset.title }) : "";
  }
  const list = document.getElementById(`${option.dataset.for}-options`);
  if (list) list.replaceChildren();
  field.focus();
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
  say(button.dataset.copied || t("copied"));
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
        { label: t("impressions"), data: days.map((d) => d.impressions), borderColor: "#0a58ca" },
        { label: t("clicks"), data: days.map((d) => d.clicks), borderColor: "#b02a37" },
      ],
    },
    options: { animation: false, responsive: true, plugins: { legend: { position: "bottom" } } },
  });
}

// A new action starts: an earlier error no longer describes the page.
// (Not the product picker's lookups as one types: they are no action.)
document.body.addEventListener("htmx:beforeRequest", (event) => {
  if (event.detail.elt?.matches?.("[aria-autocomplete]")) return;
  const status = $("#status");
  if (status && status.classList.contains("error")) say("");
});

document.body.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  let text = t("request_failed", { status: xhr.status });
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

document.body.addEventListener("htmx:afterSettle", (event) => {
  // The stage answered: a key may decide again (an undo brings the same asset back).
  if (event.detail.target && event.detail.target.id === "review-stage") {
    decided = null;
    // htmx gives the focus back to the picker after a tag: the keys act on the stage.
    if (document.activeElement?.id === "review-product") $("#main").focus();
  }
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
