// The events page: follows /api/changes, draws the events of the window on the world map (canvas
// over the SVG countries), the timeline, the stories in every language and the event list.
"use strict";

// PLOVER's 16 types, conflict first; the colours part cooperation (blues, greens) from conflict (reds).
const COLOURS = {
  ASSAULT: "#c62828", COERCE: "#ad1457", PROTEST: "#ef6c00", THREATEN: "#d84315",
  SANCTION: "#6d4c41", MOBILIZE: "#8e24aa", ACCUSE: "#f9a825", REJECT: "#9e9d24",
  REQUEST: "#00838f", DEMAND: "#00897b", CONSULT: "#1565c0", AGREE: "#2e7d32",
  SUPPORT: "#43a047", COOPERATE: "#3949ab", AID: "#00acc1", CONCEDE: "#7cb342", RETREAT: "#546e7a",
};
const OTHER = "#757575";
const STORY_ARTICLES = 8; // articles listed per story
const colour = (type) => COLOURS[type] || OTHER;

const $ = (id) => document.getElementById(id);
const state = {
  seq: 0,
  articles: new Map(), // article_id -> article with its events (the store's summary)
  hours: Number(document.body.dataset.hours) || 0,
  types: new Set(Object.keys(COLOURS).concat(["other"])),
  language: "",
  minConfidence: 0,
  search: "",
  visible: [],
  plotted: [], // {x, y, r, article, event} of the points drawn
};
const map = { projection: null, width: 0, height: 0 };
const hook = (window.newsworker = {
  ready: false,
  renderMs: null,
  plotted: () => state.plotted.map((p) => ({ article: p.article.article_id, index: p.event.event_index, type: p.event.plover_type, x: p.x, y: p.y, r: p.r, exact: p.exact })),
});

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

const timeOf = (article) => Date.parse(article.published_at || article.enriched_at);
const shortTime = (ms) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");

function eventText(article, event) {
  return [article.title, event.trigger, event.source_actor, event.source_actor_name, event.target_actor,
    event.target_actor_name, event.place, event.place_name, event.plover_type].join(" ").toLowerCase();
}

// -- filters ------------------------------------------------------------------------------------
function buildTypeFilter() {
  const box = $("types");
  for (const type of Object.keys(COLOURS).concat(["other"])) {
    const input = el("input", { type: "checkbox", value: type, checked: "" });
    input.addEventListener("change", () => {
      input.checked ? state.types.add(type) : state.types.delete(type);
      render();
    });
    box.append(el("label", { "data-type": type }, input, el("span", { class: "swatch", style: `background:${type === "other" ? OTHER : colour(type)}` }), type));
  }
}

function visibleEvents() {
  const since = state.hours > 0 ? Date.now() - state.hours * 3600e3 : -Infinity;
  const words = state.search.trim().toLowerCase();
  const found = [];
  for (const article of state.articles.values()) {
    const time = timeOf(article);
    if (time < since || (state.language && article.language !== state.language)) continue;
    for (const event of article.events) {
      const type = event.plover_type in COLOURS ? event.plover_type : "other";
      if (!state.types.has(type) || event.confidence < state.minConfidence) continue;
      if (words && !eventText(article, event).includes(words)) continue;
      found.push({ article, event, time });
    }
  }
  return found.sort((a, b) => b.time - a.time);
}

// -- map ----------------------------------------------------------------------------------------
async function loadMap() {
  const topology = await (await fetch("/static/vendor/countries-110m.json")).json();
  map.countries = topojson.feature(topology, topology.objects.countries).features;
  // a country's centre: that of its largest polygon (France's is in Europe, not the Atlantic)
  map.centres = new Map(map.countries.map((country) => {
    const polygons = country.geometry.type === "MultiPolygon"
      ? country.geometry.coordinates.map((coordinates) => ({ type: "Polygon", coordinates }))
      : [country.geometry];
    const largest = polygons.reduce((a, b) => (d3.geoArea(b) > d3.geoArea(a) ? b : a));
    return [country.id, d3.geoCentroid(largest)];
  }));
  const svg = $("countries");
  svg.replaceChildren(svgPath("sphere", ""));
  for (const country of map.countries) {
    const shape = svgPath("country", "");
    shape.setAttribute("data-name", country.properties.name);
    const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
    title.textContent = country.properties.name;
    shape.append(title);
    svg.append(shape);
  }
  layoutMap();
  window.addEventListener("resize", () => { layoutMap(); render(); });
  bindZoom();
}

// The world fitted to the map's box; zoom and pan move the projection itself (no tiles to fetch).
function layoutMap() {
  const box = $("map").getBoundingClientRect();
  map.width = box.width;
  map.height = box.height;
  map.projection = d3.geoNaturalEarth1().fitExtent([[4, 4], [box.width - 4, box.height - 4]], { type: "Sphere" });
  map.scale = map.projection.scale();
  map.origin = map.projection.translate();
  $("countries").setAttribute("viewBox", `0 0 ${box.width} ${box.height}`);
  const canvas = $("points");
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(box.width * ratio);
  canvas.height = Math.round(box.height * ratio);
  canvas.getContext("2d").setTransform(ratio, 0, 0, ratio, 0, 0);
  drawCountries();
}

function drawCountries() {
  const path = d3.geoPath(map.projection);
  const [sphere, ...shapes] = $("countries").children;
  sphere.setAttribute("d", path({ type: "Sphere" }));
  map.countries.forEach((country, i) => shapes[i].setAttribute("d", path(country) || ""));
}

function bindZoom() {
  const box = () => $("map").getBoundingClientRect();
  const moved = (dx, dy) => {
    const [x, y] = map.projection.translate();
    map.projection.translate([x + dx, y + dy]);
    drawCountries();
    drawPoints(state.visible);
  };
  $("map").addEventListener("wheel", (wheel) => {
    wheel.preventDefault();
    const at = [wheel.clientX - box().left, wheel.clientY - box().top];
    const place = map.projection.invert(at);
    if (!place || !Number.isFinite(place[0])) return;  // off the globe
    const scale = Math.min(map.scale * 40, Math.max(map.scale, map.projection.scale() * Math.exp(-wheel.deltaY / 300)));
    map.projection.scale(scale);
    if (scale === map.scale) map.projection.translate(map.origin);
    const [x, y] = map.projection(place);
    moved(scale === map.scale ? 0 : at[0] - x, scale === map.scale ? 0 : at[1] - y);
  }, { passive: false });
  let drag = null;
  $("map").addEventListener("mousedown", (down) => { drag = { x: down.clientX, y: down.clientY, far: 0 }; });
  window.addEventListener("mousemove", (move) => {
    if (!drag || !(move.buttons & 1)) return;
    drag.far += Math.abs(move.clientX - drag.x) + Math.abs(move.clientY - drag.y);
    moved(move.clientX - drag.x, move.clientY - drag.y);
    drag.x = move.clientX;
    drag.y = move.clientY;
  });
  $("map").addEventListener("click", (click) => {
    if (!drag || drag.far < 4) pick(click);  // a drag is no click
    drag = null;
  });
  $("map").addEventListener("dblclick", () => { layoutMap(); drawPoints(state.visible); });
}

function svgPath(cls, d) {
  const shape = document.createElementNS("http://www.w3.org/2000/svg", "path");
  shape.setAttribute("class", cls);
  shape.setAttribute("d", d);
  return shape;
}

function drawPoints(visible) {
  const context = $("points").getContext("2d");
  context.clearRect(0, 0, map.width, map.height);
  state.plotted = [];
  // where: the place's coordinates, else the centre of its country (drawn as a ring: somewhere there)
  const placed = [];
  for (const v of visible) {
    if (v.event.latitude !== null && v.event.longitude !== null) {
      placed.push({ ...v, at: [v.event.longitude, v.event.latitude], exact: true });
    } else if (map.centres.has(v.event.country_number)) {
      placed.push({ ...v, at: map.centres.get(v.event.country_number), exact: false });
    }
  }
  // the largest first, so that small events stay visible on top of them
  placed.sort((a, b) => (b.event.fatalities || 0) - (a.event.fatalities || 0));
  for (const { article, event, at, exact } of placed) {
    const [x, y] = map.projection(at);
    const r = 4 + Math.min(14, 2.5 * Math.sqrt(event.fatalities || 0));
    context.globalAlpha = 0.3 + 0.7 * event.confidence;
    context.beginPath();
    context.arc(x, y, r, 0, 2 * Math.PI);
    if (exact) {
      context.fillStyle = colour(event.plover_type);
      context.fill();
      context.lineWidth = 0.8;
      context.strokeStyle = "rgba(20, 24, 30, 0.8)";
    } else {
      context.lineWidth = 2.5;
      context.strokeStyle = colour(event.plover_type);
    }
    context.stroke();
    state.plotted.push({ x, y, r, article, event, exact });
  }
  context.globalAlpha = 1;
}

function pick(click) {
  const box = $("map").getBoundingClientRect();
  const x = click.clientX - box.left;
  const y = click.clientY - box.top;
  // the nearest first; at one place, the one drawn last (on top)
  const near = state.plotted
    .map((p, order) => ({ p, order, d: Math.hypot(p.x - x, p.y - y) }))
    .filter(({ p, d }) => d <= p.r + 3)
    .sort((a, b) => a.d - b.d || b.order - a.order)
    .map(({ p }) => p);
  if (near.length) showDetail(near[0].article, near[0].event, near.slice(1));
}

// -- timeline -----------------------------------------------------------------------------------
function drawTimeline(visible) {
  const svg = $("timeline");
  const width = svg.getBoundingClientRect().width;
  const height = 90;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.replaceChildren();
  if (!visible.length) return;
  const end = Date.now();
  const start = state.hours > 0 ? end - state.hours * 3600e3 : Math.min(...visible.map((v) => v.time));
  const steps = [3600e3, 6 * 3600e3, 86400e3, 7 * 86400e3, 30 * 86400e3, 365 * 86400e3];
  const step = steps.find((s) => (end - start) / s <= 120) || steps[steps.length - 1];
  const counts = new Map();
  for (const { time } of visible) {
    const bucket = Math.floor(time / step) * step;
    counts.set(bucket, (counts.get(bucket) || 0) + 1);
  }
  const first = Math.floor(start / step) * step;
  const buckets = Math.max(1, Math.ceil((end - first) / step));
  const most = Math.max(...counts.values());
  const barWidth = (width - 8) / buckets;
  for (const [bucket, count] of counts) {
    const h = ((height - 22) * count) / most;
    const rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    rect.setAttribute("x", 4 + ((bucket - first) / step) * barWidth);
    rect.setAttribute("y", height - 16 - h);
    rect.setAttribute("width", Math.max(1, barWidth - 1));
    rect.setAttribute("height", h);
    const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
    title.textContent = `${shortTime(bucket)}: ${count} events`;
    rect.append(title);
    svg.append(rect);
  }
  for (const [x, anchor, label] of [[4, "start", shortTime(first)], [width - 4, "end", shortTime(end)]]) {
    const text = document.createElementNS("http://www.w3.org/2000/svg", "text");
    Object.entries({ x, y: height - 4, "text-anchor": anchor }).forEach(([k, v]) => text.setAttribute(k, v));
    text.textContent = label;
    svg.append(text);
  }
}

// -- stories and the event list ------------------------------------------------------------------
function renderStories(visible) {
  const stories = new Map();
  for (const article of state.articles.values()) {
    if (!stories.has(article.story_id)) stories.set(article.story_id, []);
    stories.get(article.story_id).push(article);
  }
  const shown = [...new Set(visible.map((v) => v.article.story_id))]
    .map((id) => stories.get(id))
    .sort((a, b) => new Set(b.map((x) => x.language)).size - new Set(a.map((x) => x.language)).size || b.length - a.length)
    .slice(0, 40);
  $("stories").replaceChildren(...shown.map((articles) => {
    const languages = [...new Set(articles.map((a) => a.language))];
    // the first article of each language, then the others, up to STORY_ARTICLES
    const ordered = articles.sort((a, b) => timeOf(a) - timeOf(b));
    const firsts = languages.map((code) => ordered.find((a) => a.language === code));
    const shown = firsts.concat(ordered.filter((a) => !firsts.includes(a))).slice(0, STORY_ARTICLES);
    return el("li", { "data-story": articles[0].story_id },
      el("div", { class: "meta" }, `${articles.length} article(s) in ${languages.join(", ")}`),
      el("ul", {}, ...shown.map((a) => el("li", { "data-article": a.article_id },
        el("span", { class: "lang" }, a.language),
        el("span", { dir: "auto", lang: a.language }, a.title || a.article_id),
        a.duplicate_of ? el("span", { class: "copy" }, "copy") : "",
      )), articles.length > shown.length ? el("li", { class: "meta" }, `and ${articles.length - shown.length} more`) : ""));
  }));
}

function renderList(visible) {
  const shown = visible.slice(0, 300);
  $("listed").textContent = visible.length > shown.length ? `(the latest ${shown.length} of ${visible.length})` : `(${visible.length})`;
  $("events").replaceChildren(...shown.map(({ article, event }) => {
    const item = el("li", { "data-article": article.article_id, "data-index": event.event_index },
      el("span", { class: "swatch", style: `background:${colour(event.plover_type)}` }),
      el("span", { class: "what" }, event.plover_type),
      el("span", { dir: "auto", lang: article.language, class: "trigger" }, event.trigger),
      el("span", { class: "meta" }, event.place_name || event.place || ""),
      el("span", { dir: "auto", lang: article.language, class: "title" }, article.title || ""));
    item.addEventListener("click", () => showDetail(article, event, []));
    return item;
  }));
}

// -- the clicked event --------------------------------------------------------------------------
async function showDetail(article, event, others) {
  const response = await fetch(`/api/event?article=${encodeURIComponent(article.article_id)}&index=${event.event_index}`);
  if (!response.ok) return;
  const found = await response.json();
  const lang = found.article.language;
  const what = [found.event.plover_type + (found.event.plover_mode ? `/${found.event.plover_mode}` : ""),
    found.event.acled_sub_event_type, `confidence ${found.event.confidence.toFixed(2)}`,
    found.event.place_name ? `${found.event.place_name}${found.event.country ? ` (${found.event.country})` : ""}` : found.event.place,
    found.event.fatalities !== null ? `${found.event.fatalities} killed` : null,
    shortTime(timeOf(found.article))].filter(Boolean).join(" · ");
  const actor = (text, name) => (text ? (name && name !== text ? `${text} (${name})` : text) : "?");
  const sentence = el("p", { class: "sentence", dir: "auto", lang },
    ...found.sentence.map((s) => (s.mark ? el("mark", { class: s.mark, title: s.mark }, s.text) : s.text)));
  const more = others.map((o) => {
    const link = el("li", { "data-article": o.article.article_id, "data-index": o.event.event_index },
      el("span", { class: "swatch", style: `background:${colour(o.event.plover_type)}` }), `${o.event.plover_type} `,
      el("span", { dir: "auto", lang: o.article.language }, o.event.trigger));
    link.addEventListener("click", () => showDetail(o.article, o.event, others.filter((x) => x !== o)));
    return link;
  });
  $("detail").replaceChildren(
    el("div", { class: "meta" }, el("span", { class: "swatch", style: `background:${colour(found.event.plover_type)}` }), what),
    el("h3", { dir: "auto", lang }, found.article.title || found.article.article_id),
    sentence,
    el("div", { class: "meta" }, `source: ${actor(found.event.source_actor, found.event.source_actor_name)} → target: ${actor(found.event.target_actor, found.event.target_actor_name)}`),
    more.length ? el("div", { class: "meta" }, `${more.length} more event(s) here:`) : "",
    more.length ? el("ol", { id: "here" }, ...more) : "",
  );
  $("detail").dataset.article = found.article.article_id;
  $("detail").dataset.index = found.event.event_index;
}

// -- the feed -------------------------------------------------------------------------------------
function render() {
  const started = performance.now();
  state.visible = visibleEvents();
  drawPoints(state.visible);
  drawTimeline(state.visible);
  renderStories(state.visible);
  renderList(state.visible);
  const total = [...state.articles.values()].reduce((n, a) => n + a.events.length, 0);
  const refused = state.rejected ? ` · ${state.rejected} records refused (not enriched articles)` : "";
  $("status").textContent = `${state.visible.length} of ${total} events · ${state.articles.size} articles${refused}`;
  hook.renderMs = performance.now() - started;
}

function updateLanguages() {
  const select = $("language");
  const have = new Set([...select.options].map((o) => o.value));
  const languages = [...new Set([...state.articles.values()].map((a) => a.language))].sort();
  for (const code of languages) if (!have.has(code)) select.append(el("option", { value: code }, code));
}

async function poll() {
  try {
    const response = await fetch(`/api/changes?since=${state.seq}`);
    const changes = await response.json();
    if (changes.reset) state.articles.clear();
    for (const article of changes.articles) state.articles.set(article.article_id, article);
    for (const id of changes.removed) state.articles.delete(id);
    const changed = changes.reset || changes.articles.length || changes.removed.length;
    state.seq = changes.seq;
    state.rejected = changes.rejected;
    if (changed) {
      updateLanguages();
      render();
    }
    hook.ready = true;
  } catch (error) {
    $("status").textContent = "the server does not answer; retrying";
  }
  setTimeout(poll, 2000);
}

function bindFilters() {
  const hours = $("hours");
  if (![...hours.options].some((o) => Number(o.value) === state.hours)) {
    hours.append(el("option", { value: state.hours }, `last ${state.hours} h`));
  }
  hours.value = String(state.hours);
  hours.addEventListener("change", () => { state.hours = Number(hours.value); render(); });
  $("language").addEventListener("change", (e) => { state.language = e.target.value; render(); });
  $("confidence").addEventListener("input", (e) => {
    state.minConfidence = Number(e.target.value);
    $("confidence-value").textContent = state.minConfidence.toFixed(2);
    render();
  });
  let typing;
  $("search").addEventListener("input", (e) => {
    clearTimeout(typing);
    typing = setTimeout(() => { state.search = e.target.value; render(); }, 150);
  });
}

buildTypeFilter();
bindFilters();
loadMap().then(poll);
