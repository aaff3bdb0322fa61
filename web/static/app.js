// Search page and partner embed of stageindex. Plain JavaScript, no build.
// API data is only ever written with textContent and createElement, never
// as HTML: an offer's title is untrusted text.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const embed = document.body.classList.contains("embed");
  const form = $("search"), qIn = $("q"), whereIn = $("where"), radiusIn = $("radius");
  const locateBtn = $("locate"), whereHelp = $("where-help");
  const errorsBox = $("errors"), statusEl = $("results-title"), relaxedEl = $("relaxed");
  const hitsEl = $("hits"), moreBtn = $("more");
  const trackBoxes = Array.from(form.querySelectorAll('input[name="track"]'));
  const HERE = "Ma position";
  const PER_PAGE = embed ? 10 : 20;
  const MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet",
    "août", "septembre", "octobre", "novembre", "décembre"];
  const TRACKS = { generale: "Générale", segpa: "SEGPA", prepa_metiers: "Prépa métiers" };
  const PARAMS = { q: "Métier, mot-clé", where: "Commune", lat: "Position", lng: "Position",
    radius_km: "Distance", track: "Classe", department: "Département", caller: "Site partenaire",
    page: "Page", per_page: "Page" };

  // scope holds what a partner fixed for its embed (or a shared link set):
  // sent on every API request, kept in the URL, never shown as a field.
  const first = new URLSearchParams(location.search);
  const scope = new URLSearchParams();
  for (const k of ["department", "caller"]) {
    for (const v of first.getAll(k)) if (v) scope.append(k, v);
  }

  let here = null;      // {lat, lng} from "Autour de moi"
  let current = null;   // the state of the search on screen
  let page = 1;
  let inflight = null;  // AbortController of the running search

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // --- state <-> form <-> URL -------------------------------------------

  function readURL(p) {
    const s = { q: p.get("q") || "", where: p.get("where") || "", lat: null, lng: null,
      radius: p.get("radius_km") || "10", tracks: [] };
    const lat = parseFloat(p.get("lat")), lng = parseFloat(p.get("lng"));
    if (isFinite(lat) && isFinite(lng)) { s.lat = lat; s.lng = lng; s.where = ""; }
    for (const v of p.getAll("track")) for (const t of v.split(",")) if (TRACKS[t.trim()]) s.tracks.push(t.trim());
    return s;
  }

  function fillForm(s) {
    qIn.value = s.q;
    here = s.lat !== null ? { lat: s.lat, lng: s.lng } : null;
    whereIn.value = here ? HERE : s.where;
    radiusIn.value = ["0", "5", "10", "20", "30", "60"].includes(s.radius) ? s.radius : "10";
    for (const b of trackBoxes) b.checked = s.tracks.includes(b.value);
  }

  function readForm() {
    const s = { q: qIn.value.trim(), where: whereIn.value.trim(), lat: null, lng: null,
      radius: radiusIn.value, tracks: trackBoxes.filter((b) => b.checked).map((b) => b.value) };
    if (here && s.where === HERE) { s.lat = here.lat; s.lng = here.lng; s.where = ""; }
    return s;
  }

  function toParams(s) {
    const p = new URLSearchParams();
    if (s.q) p.set("q", s.q);
    if (s.lat !== null) { p.set("lat", s.lat.toFixed(3)); p.set("lng", s.lng.toFixed(3)); }
    else if (s.where) p.set("where", s.where);
    if (s.radius !== "10") p.set("radius_km", s.radius);
    for (const t of s.tracks) p.append("track", t);
    for (const [k, v] of scope) p.append(k, v);
    return p;
  }

  function isEmpty(s) { return !s.q && !s.where && s.lat === null && !s.tracks.length && !scope.has("department"); }

  // --- rendering --------------------------------------------------------

  // segments appends highlighted text: each segment is a text node, in a
  // <mark> when it matched. max cuts long descriptions.
  function segments(node, segs, max) {
    let left = max || Infinity;
    for (const sg of segs) {
      if (left <= 0) break;
      let t = String(sg.text);
      if (t.length > left) t = t.slice(0, left).replace(/\s+\S*$/, "").replace(/[\s.,;:!?…-]+$/, "") + "…";
      left -= t.length;
      node.appendChild(sg.match ? el("mark", "", t) : document.createTextNode(t));
    }
    return node;
  }

  function safeURL(u) {
    try {
      const x = new URL(u, location.href);
      return x.protocol === "https:" || x.protocol === "http:" ? x.href : null;
    } catch (e) { return null; }
  }

  function km(d) {
    const r = d < 10 ? Math.round(d * 10) / 10 : Math.round(d);
    return String(r).replace(".", ",") + " km";
  }

  function weekLabel(w) {
    const m = /^(\d{4})-W(\d{2})$/.exec(w);
    if (!m) return w;
    const jan4 = Date.UTC(+m[1], 0, 4);
    const monday = new Date(jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * 864e5 + (+m[2] - 1) * 7 * 864e5);
    const day = monday.getUTCDate();
    return "semaine du " + (day === 1 ? "1er" : day) + " " + MONTHS[monday.getUTCMonth()] + " " + monday.getUTCFullYear();
  }

  function weeksText(weeks) {
    if (!weeks || !weeks.length) return "Toute l'année";
    const shown = weeks.slice(0, weeks.length > 3 ? 2 : 3).map(weekLabel);
    let t = shown.join(", ");
    if (weeks.length > shown.length) t += " et " + (weeks.length - shown.length) + " autres semaines";
    return t.charAt(0).toUpperCase() + t.slice(1);
  }

  let hitSeq = 0;
  function hitNode(h) {
    const li = el("li", "hit");
    const art = li.appendChild(el("article"));
    const title = art.appendChild(el("h3", "title"));
    title.id = "hit-" + (++hitSeq);
    const hl = h.highlights || {};
    segments(title, hl.title && hl.title.length ? hl.title : [{ text: h.title || "Stage", match: false }]);
    if (h.employer_name) art.appendChild(el("p", "employer", h.employer_name));
    const where = art.appendChild(el("p", "where"));
    if (h.remote) where.appendChild(el("span", "", "Stage à distance"));
    else if (h.city) where.appendChild(el("span", "", h.city + (h.zipcode ? " (" + h.zipcode + ")" : "")));
    if (typeof h.distance_km === "number") where.appendChild(el("span", "distance", "à " + km(h.distance_km)));
    art.appendChild(el("p", "weeks", weeksText(h.weeks)));
    const desc = hl.description && hl.description.length ? hl.description : [{ text: h.excerpt || "", match: false }];
    if (desc.some((s) => s.text)) segments(art.appendChild(el("p", "desc")), desc, embed ? 120 : 220);
    const tags = art.appendChild(el("ul", "tags"));
    for (const t of h.tracks || []) if (TRACKS[t]) tags.appendChild(el("li", "", TRACKS[t]));
    if (h.sector) tags.appendChild(el("li", "", h.sector));
    if (h.is_public) tags.appendChild(el("li", "", "Service public"));
    if (h.handicap_accessible) tags.appendChild(el("li", "", "Accessible handicap"));
    if (h.max_candidates > 0) tags.appendChild(el("li", "", h.max_candidates + (h.max_candidates > 1 ? " places" : " place")));
    const url = safeURL(h.url);
    if (url) {
      const a = art.appendChild(el("a", "apply", "Voir l'offre et postuler"));
      a.href = url;
      a.rel = "noopener";
      a.setAttribute("aria-describedby", title.id);
      if (embed) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
    }
    return li;
  }

  // A commune with its postcode, an area (département, région, France) by
  // its label: both are what the where field takes back.
  function isArea(p) { return p.kind && p.kind !== "commune"; }
  function placeName(p) { return isArea(p) ? p.label : p.name + " (" + (p.postcode || p.department) + ")"; }
  const KINDS = { commune: "commune", department: "département", region: "région", country: "pays" };
  function placeHint(p) { return isArea(p) ? KINDS[p.kind] || "" : "commune " + (p.label ? p.label.slice(p.name.length).trim() : "(" + p.department + ")"); }

  function statusText(res, s) {
    const n = res.total;
    let t = n === 0 ? "Aucun stage trouvé" : n.toLocaleString("fr-FR") + (n > 1 ? " stages trouvés" : " stage trouvé");
    const p = res.place;
    if (p && p.kind === "country") t += " dans toute la France";
    else if (p && p.kind === "region") t += " en région " + p.label;
    else if (p && p.kind === "department") t += " dans le département " + p.label;
    else if (p) t += s.radius === "0" ? " à " + placeName(p) : " près de " + placeName(p);
    else if (s.lat !== null) t += " autour de toi";
    if (p && p.from_query) t += " (lieu lu dans ta recherche" + (res.q_used ? ", mots-clés « " + res.q_used + " »" : "") + ")";
    return t;
  }

  function relaxedText(rel, s) {
    const w = rel.widened || [], why = [], how = [];
    if (s.q && w.includes("keywords")) why.push("pour « " + s.q + " »");
    if (w.includes("radius")) {
      why.push(s.radius === "0" ? "dans ta commune" : "dans un rayon de " + s.radius + " km");
      if (rel.radius_km) how.push("à moins de " + rel.radius_km + " km");
    }
    if (w.includes("filters")) { why.push("avec ces filtres"); how.push("sans filtre"); }
    if (w.includes("keywords")) how.push("tous métiers confondus");
    const none = "Aucun stage " + (why.join(" ") || "trouvé");
    if (!rel.total) return none + ", même en élargissant la recherche.";
    return none + " — voici " + (rel.total > 1 ? "ceux " : "celui ") + how.join(", ") +
      " (" + rel.total + ")";
  }

  function render(res, s, append) {
    if (!append) {
      hitsEl.textContent = "";
      relaxedEl.hidden = true;
      relaxedEl.textContent = "";
      statusEl.textContent = statusText(res, s);
      const tf = (res.facets && res.facets.tracks) || {};
      for (const c of document.querySelectorAll(".count[data-track]")) {
        const n = tf[c.dataset.track];
        c.textContent = typeof n === "number" ? "(" + n + ")" : "";
      }
    }
    let hits = res.hits || [];
    if (res.total === 0 && res.relaxed) {
      relaxedEl.textContent = relaxedText(res.relaxed, s);
      relaxedEl.hidden = false;
      hits = res.relaxed.hits || [];
    }
    const firstNew = hits.length ? hitNode(hits[0]) : null;
    if (firstNew) hitsEl.appendChild(firstNew);
    for (const h of hits.slice(1)) hitsEl.appendChild(hitNode(h));
    moreBtn.hidden = !(res.total > res.page * res.per_page);
    return firstNew;
  }

  function showProblem(p) {
    errorsBox.textContent = "";
    errorsBox.hidden = false;
    whereIn.removeAttribute("aria-invalid");
    errorsBox.appendChild(el("p", "lead", p.status >= 500 ? "Le service a un souci, réessaie dans un instant."
      : "Ta recherche n'a pas pu aboutir :"));
    const list = errorsBox.appendChild(el("ul"));
    const errs = p.errors && p.errors.length ? p.errors : [{ param: "", message: p.detail || p.title || "" }];
    for (const e of errs) {
      const li = list.appendChild(el("li"));
      const cands = e.candidates || [];
      if (e.param === "where") {
        whereIn.setAttribute("aria-invalid", "true");
        const areas = cands.some(isArea);
        li.appendChild(el("strong", "", e.code === "ambiguous_place" || /ambiguous/.test(e.message)
          ? (areas ? "Plusieurs lieux portent ce nom. Lequel ?" : "Plusieurs communes portent ce nom. Laquelle ?")
          : cands.length ? "Lieu introuvable. Tu voulais dire :" : "Commune, code postal, département ou région introuvable."));
      } else if (PARAMS[e.param]) {
        li.appendChild(el("strong", "", PARAMS[e.param] + " :"));
      }
      if (e.message) li.appendChild(el("span", "detail", " " + e.message));
      if (cands.length) {
        const ul = li.appendChild(el("ul", "candidates"));
        for (const c of cands) {
          const b = ul.appendChild(el("li")).appendChild(el("button", "secondary", placeName(c)));
          b.type = "button";
          b.addEventListener("click", () => { whereIn.value = placeName(c); here = null; submit(); });
        }
      }
    }
  }

  // --- searching --------------------------------------------------------

  async function run(s, pg, append) {
    if (inflight) inflight.abort();
    const ctrl = (inflight = new AbortController());
    const p = toParams(s);
    p.set("page", String(pg));
    p.set("per_page", String(PER_PAGE));
    document.body.setAttribute("aria-busy", "true");
    moreBtn.disabled = true;
    try {
      const r = await fetch("/api/v1/offers?" + p, { signal: ctrl.signal, headers: { Accept: "application/json" } });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) {
        if (r.status === 503) body.detail = "Le service démarre, réessaie dans quelques secondes.";
        if (!append) { hitsEl.textContent = ""; relaxedEl.hidden = true; statusEl.textContent = ""; moreBtn.hidden = true; }
        showProblem(Object.assign({ status: r.status }, body));
        return null;
      }
      errorsBox.hidden = true;
      whereIn.removeAttribute("aria-invalid");
      current = s;
      page = pg;
      return render(body, s, append);
    } catch (e) {
      if (e.name === "AbortError") return null;
      showProblem({ status: 0, detail: "Impossible de joindre le service. Vérifie ta connexion et réessaie." });
      return null;
    } finally {
      if (inflight === ctrl) { inflight = null; document.body.removeAttribute("aria-busy"); }
      moreBtn.disabled = false;
      resized();
    }
  }

  async function submit() {
    const s = readForm();
    const url = "?" + toParams(s);
    if (embed) history.replaceState(null, "", url); else history.pushState(null, "", url);
    await run(s, 1, false);
    statusEl.focus({ preventScroll: embed });
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); submit(); });
  moreBtn.addEventListener("click", async () => {
    const firstNew = await run(current, page + 1, true);
    const a = firstNew && firstNew.querySelector("h3");
    if (a) { a.tabIndex = -1; a.focus({ preventScroll: embed }); }
  });
  window.addEventListener("popstate", () => {
    const s = readURL(new URLSearchParams(location.search));
    fillForm(s);
    if (!isEmpty(s)) run(s, 1, false);
  });

  // --- autocompletion ---------------------------------------------------

  function complete(input, list, path, pick) {
    let timer = 0, last = "", ctrl = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      const v = input.value.trim();
      if (v.length < 2 || v === last || v === HERE) return;
      timer = setTimeout(async () => {
        last = v;
        if (ctrl) ctrl.abort();
        ctrl = new AbortController();
        const p = new URLSearchParams({ q: v, limit: "8" });
        for (const [k, val] of scope) if (k === "caller") p.append(k, val);
        try {
          const r = await fetch(path + "?" + p, { signal: ctrl.signal });
          if (!r.ok) return;
          const items = pick(await r.json());
          list.textContent = "";
          for (const t of items) {
            const o = el("option");
            if (typeof t === "string") o.value = t;
            else { o.value = t.value; o.label = t.label; }
            list.appendChild(o);
          }
        } catch (e) { /* suggestions are a help, not a need */ }
      }, 200);
    });
  }
  complete(qIn, $("q-list"), "/api/v1/suggest", (d) => (d.suggestions || []).map((x) => x.text));
  complete(whereIn, $("where-list"), "/api/v1/places", (d) => (d.places || []).map((p) => ({ value: placeName(p), label: placeHint(p) })));
  whereIn.addEventListener("input", () => { if (whereIn.value !== HERE) here = null; });

  if (navigator.geolocation) {
    locateBtn.hidden = false;
    locateBtn.addEventListener("click", () => {
      locateBtn.disabled = true;
      whereHelp.textContent = "Recherche de ta position…";
      navigator.geolocation.getCurrentPosition((pos) => {
        locateBtn.disabled = false;
        whereHelp.textContent = "";
        here = { lat: pos.coords.latitude, lng: pos.coords.longitude };
        whereIn.value = HERE;
        submit();
      }, (err) => {
        locateBtn.disabled = false;
        whereHelp.textContent = err.code === 1
          ? "Tu n'as pas autorisé la localisation : tape ta commune ou ton code postal."
          : "Position introuvable : tape ta commune ou ton code postal.";
      }, { timeout: 10000, maximumAge: 300000 });
    });
  }

  // --- embed: tell the partner page our height --------------------------

  let lastHeight = 0;
  function resized() {
    if (!embed || window.parent === window) return;
    const h = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (h === lastHeight) return;
    lastHeight = h;
    window.parent.postMessage({ type: "stageindex:height", height: h }, "*");
  }
  if (embed && window.ResizeObserver) new ResizeObserver(resized).observe(document.body);

  // --- start ------------------------------------------------------------

  const start = readURL(first);
  if (first.has("q") || first.has("where") || first.has("lat") || start.tracks.length ||
      first.has("radius_km") || scope.has("department")) {
    fillForm(start);
    if (!isEmpty(start)) run(start, 1, false);
  }
  resized();
})();
