// The search page: pick, drop or paste a photo; it is sent to POST /api/search, shown with its predicted landmarks,
// and the matches fill the grid. Clicking a match searches with its photo. No framework, no external resources.
"use strict";

const slotLabels = {
  leftCollar: "LC", rightCollar: "RC", leftSleeve: "LS", rightSleeve: "RS",
  leftWaistline: "LW", rightWaistline: "RW", leftHem: "LH", rightHem: "RH",
};
const svgNamespace = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);
let queryUrl = null;
let searching = 0;

async function loadStatus() {
  try {
    const response = await fetch("/readyz");
    const status = await response.json();
    if (status.status !== "ready") {
      $("service-status").textContent = status.error ? `failed: ${status.error}` : `${status.status}…`;
      if (status.status === "loading") setTimeout(loadStatus, 1000);
      return;
    }
    $("service-status").textContent = `${status.entries} gallery photos · ${status.model}`;
    $("top").max = status.maxTop;
    const select = $("category");
    for (const category of status.categories) {
      const option = document.createElement("option");
      option.value = category.name;
      option.textContent = `${category.name} (${category.count})`;
      select.append(option);
    }
  } catch (error) {
    $("service-status").textContent = `cannot reach the service: ${error.message}`;
    setTimeout(loadStatus, 2000);
  }
}

function showStatus(text, isError = false) {
  const status = $("search-status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

async function search(photo) {
  const ticket = ++searching;
  if (queryUrl) URL.revokeObjectURL(queryUrl);
  queryUrl = URL.createObjectURL(photo);
  $("query").hidden = false;
  $("query-image").src = queryUrl;
  $("overlay").replaceChildren();
  $("query-caption").textContent = "";
  showStatus("searching…");

  const form = new FormData();
  form.append("image", photo, photo.name || "photo");
  const parameters = new URLSearchParams({ top: $("top").value || "12" });
  if ($("category").value) parameters.set("category", $("category").value);
  try {
    const response = await fetch(`/api/search?${parameters}`, { method: "POST", body: form });
    const answer = await response.json();
    if (ticket !== searching) return;
    if (!response.ok) {
      showStatus(`${response.status}: ${answer.error}`, true);
      return;
    }
    drawLandmarks(answer);
    showMatches(answer.matches);
    const categories = answer.categories.map((c) => `#${c.label} ${(100 * c.probability).toFixed(0)}%`).join(", ");
    $("query-caption").textContent = `${answer.image.width}×${answer.image.height} px` + (categories ? ` · categories ${categories}` : "");
    const t = answer.timing;
    showStatus(`${answer.matches.length} matches in ${t.totalMs.toFixed(0)} ms (decode ${t.decodeMs.toFixed(0)}, model ${t.modelMs.toFixed(0)} in a batch of ${t.batchSize}, search ${t.searchMs.toFixed(1)})`);
  } catch (error) {
    if (ticket === searching) showStatus(`search failed: ${error.message}`, true);
  }
}

function drawLandmarks(answer) {
  const overlay = $("overlay");
  const { width, height } = answer.image;
  overlay.setAttribute("viewBox", `0 0 ${width} ${height}`);
  overlay.setAttribute("preserveAspectRatio", "none");
  const radius = Math.max(width, height) * 0.018;
  const shapes = [];
  for (const landmark of answer.landmarks) {
    const x = landmark.x * width, y = landmark.y * height;
    const dot = document.createElementNS(svgNamespace, "circle");
    dot.setAttribute("cx", x);
    dot.setAttribute("cy", y);
    dot.setAttribute("r", radius);
    dot.setAttribute("class", `landmark ${landmark.visible ? "visible" : "hidden"}`);
    dot.setAttribute("stroke-width", radius * 0.3);
    dot.dataset.slot = landmark.slot;
    const title = document.createElementNS(svgNamespace, "title");
    title.textContent = `${landmark.slot}: visible with probability ${landmark.visibility.toFixed(2)}`;
    dot.append(title);
    const label = document.createElementNS(svgNamespace, "text");
    label.setAttribute("x", x + radius * 1.3);
    label.setAttribute("y", y + radius * 0.5);
    label.setAttribute("font-size", radius * 1.6);
    label.setAttribute("stroke-width", radius * 0.25);
    label.setAttribute("class", "landmark-label");
    label.textContent = slotLabels[landmark.slot] ?? landmark.slot;
    shapes.push(dot, label);
  }
  overlay.replaceChildren(...shapes);
}

function showMatches(matches) {
  const list = $("matches");
  list.replaceChildren(...matches.map((match) => {
    const item = document.createElement("li");
    item.className = "match";
    item.tabIndex = 0;
    item.dataset.item = match.itemId;
    item.title = match.category ? `${match.itemId} (${match.category})` : match.itemId;
    const image = document.createElement("img");
    image.alt = `gallery photo of ${match.itemId}`;
    image.loading = "lazy";
    if (match.imageUrl) image.src = match.imageUrl;
    const caption = document.createElement("div");
    caption.className = "caption";
    caption.innerHTML = '<span class="rank"></span><span class="score"></span><span class="item"></span>';
    caption.querySelector(".rank").textContent = `#${match.rank}`;
    caption.querySelector(".item").textContent = match.itemId || "–";
    caption.querySelector(".score").textContent = match.score.toFixed(3);
    item.append(image, caption);
    const searchWithMatch = () => match.imageUrl && searchWithUrl(match.imageUrl, `${match.itemId}.jpg`);
    item.addEventListener("click", searchWithMatch);
    item.addEventListener("keydown", (event) => { if (event.key === "Enter") searchWithMatch(); });
    return item;
  }));
}

async function searchWithUrl(url, name) {
  const response = await fetch(url);
  if (!response.ok) {
    showStatus(`cannot load ${url}: ${response.status}`, true);
    return;
  }
  const blob = await response.blob();
  await search(new File([blob], name, { type: blob.type }));
}

function firstImage(items) {
  for (const item of items) {
    if (item.kind === "file" && item.type.startsWith("image/")) return item.getAsFile();
  }
  return null;
}

function wire() {
  const zone = $("drop-zone");
  $("photo").addEventListener("change", (event) => {
    const [file] = event.target.files;
    if (file) search(file);
  });
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => { event.preventDefault(); zone.classList.add("dragging"); });
  }
  for (const name of ["dragleave", "drop"]) {
    zone.addEventListener(name, () => zone.classList.remove("dragging"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    const file = firstImage(event.dataTransfer.items);
    if (file) search(file);
  });
  document.addEventListener("paste", (event) => {
    const file = firstImage(event.clipboardData.items);
    if (file) { event.preventDefault(); search(file); }
  });
  loadStatus();
}

wire();
