// Search page and partner embed of stageindex. Plain JavaScript, no build.
// API data is only ever written with textContent and createElement, never
// as HTML: an offer's title is untrusted text.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const embed = document.body.classList.contains("embed");
  const form = $("search"), qIn = $("q"), whereIn = $("where"), radiusIn = $("radius");
  const sectorIn = $("sector"), remoteIn = $("remote"), publicIn = $("is-public"), accIn = $("accessible"), sortIn = $("sort");
  const locateBtn = $("locate"), whereHelp = $("where-help"), goBtn = $("go");
  const errorsBox = $("errors"), statusEl = $("results-title"), relaxedEl = $("relaxed"), liveEl = $("live");
  const hitsEl = $("hits"), pagerEl = $("pager"), loadingEl = $("loading"), weekList = $("week-list");
  const scopeEl = $("scope"), viewSwitch = $("view-switch"), mapPane = $("map-pane");
  const trackBoxes = Array.from(form.querySelectorAll('input[name="track"]'));
  const HERE = "Ma position";
  const PER_PAGE = embed ? 10 : 20;
  const BASE_TITLE = document.title;
  const MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet",
    "août", "septembre", "octobre", "novembre", "décembre"];
  const TRACKS = { generale: "Générale", segpa: "SEGPA", prepa_metiers: "Prépa métiers" };
  const DROM = { "971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte" };
  const RADII = ["0", "5", "10", "20", "30", "60"];

  // The page's own words for each machine code of the API's problems
  // (stageindex.ParamCode): the API's English message is never shown.
  const FIELDS = { q: "Métier, mot-clé", where: "Commune", lat: "Position", lng: "Position",
    radius_km: "Distance", track: "Classe", sector: "Secteur", week: "Semaine", department: "Département",
    is_public: "Service public", accessible: "Accessibilité", remote: "Stages à distance", sort: "Tri",
    page: "Page", per_page: "Page", caller: "Site partenaire", Authorization: "Site partenaire", rome: "Métier", id: "Offre", limit: "Suggestions" };
  const CODES = {
    required: "il manque une valeur.",
    repeated: "une seule valeur est possible.",
    invalid_utf8: "contient des caractères illisibles.",
    too_many_values: "trop de choix (50 au plus).",
    not_a_number: "doit être un nombre.",
    not_an_integer: "doit être un nombre entier.",
    not_a_boolean: "doit être oui ou non.",
    out_of_range: "cette valeur est hors des limites.",
    not_one_of: "ce choix n'existe pas.",
    too_long: "c'est trop long.",
    too_short: "tape au moins 2 lettres.",
    conflict: "choisis une commune ou ta position, pas les deux.",
    unknown_place: "commune ou code postal introuvable.",
    ambiguous_place: "plusieurs lieux portent ce nom.",
    unknown_sector: "ce secteur n'existe pas.",
    invalid_week: "cette semaine n'existe pas.",
    invalid_department: "ce département n'existe pas.",
    invalid_rome: "ce métier n'existe pas.",
    needs_place: "pour trier par distance, indique une commune ou ta position.",
    too_deep: "c'est trop loin dans les résultats : précise ta recherche.",
    invalid_id: "cette offre n'existe pas.",
    invalid: "cette valeur n'est pas acceptée.",
    rate_limited: "trop de recherches d'un coup, réessaie dans un instant.",
    invalid_key: "la clé de ce site partenaire n'est pas valide : préviens le site.",
    revoked_key: "la clé de ce site partenaire a été retirée : préviens le site.",
    expired_key: "la clé de ce site partenaire a expiré : préviens le site.",
  };
  // Sharper words where a field and a code meet.
  const SPECIFIC = {
    "radius_km/out_of_range": "la distance va de 0 à 60 km.",
    "q/too_long": "ta recherche est trop longue (200 caractères au plus).",
    "where/too_long": "le nom de la commune est trop long.",
    "page/out_of_range": "cette page de résultats n'existe pas.",
    "lat/out_of_range": "ta position est hors de la carte.",
    "lng/out_of_range": "ta position est hors de la carte.",
  };
  function frenchError(e) {
    const secs = e.args && Number(e.args.seconds);
    if (e.code === "rate_limited" && secs > 0) return "trop de recherches d'un coup, réessaie dans " + secs + (secs > 1 ? " secondes." : " seconde.");
    return SPECIFIC[e.param + "/" + e.code] || CODES[e.code] || CODES.invalid;
  }

  // scope is what a partner fixed for its embed, or what a shared link of
  // the page narrows to (a département): sent on every request, shown
  // above the form, never a field the pupil can widen in the embed.
  const first = new URLSearchParams(location.search);
  const scope = { departments: first.getAll("department").flatMap((v) => v.split(",")).map((v) => v.trim().toUpperCase()).filter(Boolean),
    caller: first.get("caller") || "", tracks: [] };
  if (embed) {
    scope.tracks = first.getAll("track").flatMap((v) => v.split(",")).map((v) => v.trim()).filter((t) => TRACKS[t]);
  }
  const mapWanted = !embed || first.get("map") === "on";

  let here = null;      // {lat, lng} from "Autour de moi": never written to the URL
  let current = null;   // the state of the search on screen
  let lastResult = null;
  let inflight = null;  // AbortController of the running search
  let busyTimer = 0;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // --- state <-> form <-> URL -------------------------------------------

  function list(p, name) { return p.getAll(name).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean); }

  function readURL(p, hist) {
    const s = { q: p.get("q") || "", where: p.get("where") || "", lat: null, lng: null,
      radius: RADII.includes(p.get("radius_km")) ? p.get("radius_km") : "10",
      tracks: embed ? [] : list(p, "track").filter((t) => TRACKS[t]),
      weeks: list(p, "week").map((w) => w.toUpperCase()), sector: p.get("sector") || "",
      remote: ["include", "only"].includes(p.get("remote")) ? p.get("remote") : "",
      pub: p.get("is_public") === "true", acc: p.get("accessible") === "true",
      sort: ["distance", "date", "relevance"].includes(p.get("sort")) ? p.get("sort") : "",
      page: Math.max(1, parseInt(p.get("page"), 10) || 1) };
    if (embed && !scope.tracks.length) s.tracks = list(p, "track_default").filter((t) => TRACKS[t]);
    if (hist && typeof hist.lat === "number") { s.lat = hist.lat; s.lng = hist.lng; s.where = ""; }
    return s;
  }

  function fillForm(s) {
    qIn.value = s.q;
    here = s.lat !== null ? { lat: s.lat, lng: s.lng } : null;
    whereIn.value = here ? HERE : s.where;
    radiusIn.value = s.radius;
    for (const b of trackBoxes) b.checked = s.tracks.includes(b.value);
    for (const b of weekList.querySelectorAll("input")) b.checked = s.weeks.includes(b.value);
    ensureWeeks(s.weeks);
    ensureSector(s.sector);
    sectorIn.value = s.sector;
    remoteIn.value = s.remote;
    publicIn.checked = s.pub;
    accIn.checked = s.acc;
    sortIn.value = s.sort;
  }

  function readForm() {
    const s = { q: qIn.value.trim(), where: whereIn.value.trim(), lat: null, lng: null,
      radius: radiusIn.value, tracks: trackBoxes.filter((b) => b.checked).map((b) => b.value),
      weeks: Array.from(weekList.querySelectorAll("input:checked")).map((b) => b.value),
      sector: sectorIn.value, remote: remoteIn.value, pub: publicIn.checked, acc: accIn.checked,
      sort: sortIn.value, page: 1 };
    if (here && s.where === HERE) { s.lat = here.lat; s.lng = here.lng; s.where = ""; }
    return s;
  }

  // toParams gives the URL of a state (page: true for the API request,
  // which alone carries the position).
  function toParams(s, api) {
    const p = new URLSearchParams();
    if (s.q) p.set("q", s.q);
    if (s.lat !== null && api) { p.set("lat", s.lat.toFixed(3)); p.set("lng", s.lng.toFixed(3)); }
    else if (s.where) p.set("where", s.where);
    if (s.radius !== "10") p.set("radius_km", s.radius);
    for (const t of s.tracks) p.append("track", t);
    for (const w of s.weeks) p.append("week", w);
    if (s.sector) p.set("sector", s.sector);
    if (s.remote) p.set("remote", s.remote);
    if (s.pub) p.set("is_public", "true");
    if (s.acc) p.set("accessible", "true");
    if (s.sort) p.set("sort", s.sort);
    if (s.page > 1) p.set("page", String(s.page));
    for (const d of scope.departments) p.append("department", d);
    if (api) {
      for (const t of scope.tracks) p.append("track", t);
      if (scope.caller) p.set("caller", scope.caller);
    }
    return p;
  }

  function isEmpty(s) {
    return !s.q && !s.where && s.lat === null && !s.tracks.length && !s.weeks.length && !s.sector &&
      !s.remote && !s.pub && !s.acc && !scope.departments.length && !scope.tracks.length;
  }

  // --- labels -----------------------------------------------------------

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
    return "Semaine du " + (day === 1 ? "1er" : day) + " " + MONTHS[monday.getUTCMonth()] + " " + monday.getUTCFullYear();
  }

  function weeksText(weeks) {
    if (!weeks || !weeks.length) return "Toute l'année";
    const shown = weeks.slice(0, weeks.length > 2 ? 1 : 2).map(weekLabel);
    let t = shown.join(", ");
    if (weeks.length > shown.length) t += " et " + (weeks.length - shown.length) + (weeks.length - shown.length > 1 ? " autres" : " autre");
    return t;
  }

  function deptLabel(d) { return DROM[d] || d; }
  // A commune with its postcode (the where field takes it back); an area
  // (département, région, France) by its label.
  function isArea(p) { return p.kind && p.kind !== "commune"; }
  function placeName(p) { return isArea(p) ? p.label || p.name : p.name + " (" + (p.postcode || p.department) + ")"; }
  function candidateLabel(p, all) {
    if (isArea(p)) return p.label || p.name;
    const short = p.name + " (" + deptLabel(p.department) + ")";
    return all.filter((o) => !isArea(o) && o.name === p.name && o.department === p.department).length > 1 ? placeName(p) : short;
  }

  function fold(s) { return String(s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, " ").trim(); }

  // cleanTitle drops the " - " segments of a title that repeat the sector
  // or the employer, as web.CleanTitle does for the offer page; it works
  // on highlight segments, so that the marks survive.
  function cleanTitle(segs, sector, employer) {
    const text = segs.map((s) => s.text).join("");
    const parts = text.split(" - ");
    if (parts.length < 2) return segs;
    const sk = fold(sector), ek = fold(employer);
    const keep = [];
    let off = 0;
    parts.forEach((p, i) => {
      const k = fold(p);
      const employerLike = ek && (k === ek || (i === 0 && k && (ek.startsWith(k + " ") || k.startsWith(ek + " "))));
      if (!((sk && k === sk) || employerLike)) keep.push([off, off + p.length]);
      off += p.length + 3;
    });
    if (!keep.length || keep.length === parts.length) return segs;
    // Keep the characters of the kept parts, joined again by " - ".
    const out = [];
    keep.forEach(([a, b], n) => {
      if (n) out.push({ text: " - ", match: false });
      let pos = 0;
      for (const sg of segs) {
        const s0 = pos, s1 = pos + sg.text.length;
        pos = s1;
        const x = Math.max(a, s0), y = Math.min(b, s1);
        if (x < y) out.push({ text: sg.text.slice(x - s0, y - s0), match: sg.match });
      }
    });
    return out;
  }

  function segments(node, segs) {
    for (const sg of segs) node.appendChild(sg.match ? el("mark", "", String(sg.text)) : document.createTextNode(String(sg.text)));
    return node;
  }

  // --- rendering --------------------------------------------------------

  function hitNode(h) {
    const li = el("li", "hit");
    const art = li.appendChild(el("article"));
    const title = art.appendChild(el("h3", "title"));
    const a = title.appendChild(el("a"));
    a.href = "/offres/" + encodeURIComponent(h.id);
    if (embed) { a.target = "_blank"; a.rel = "noopener"; }
    const hl = h.highlights || {};
    segments(a, cleanTitle(hl.title && hl.title.length ? hl.title : [{ text: h.title || "Stage", match: false }], h.sector, h.employer_name));
    const meta = art.appendChild(el("p", "meta"));
    if (h.employer_name) meta.appendChild(el("span", "employer", h.employer_name));
    if (h.remote) meta.appendChild(el("span", "where", "à distance"));
    else if (h.city) meta.appendChild(el("span", "where", h.city + (h.zipcode ? " (" + h.zipcode + ")" : "")));
    if (typeof h.distance_km === "number" && !h.remote) meta.appendChild(el("span", "distance", "à " + km(h.distance_km)));
    art.appendChild(el("p", "weeks", weeksText(h.weeks)));
    const tags = el("ul", "tags");
    for (const t of h.tracks || []) if (TRACKS[t]) tags.appendChild(el("li", "track", TRACKS[t]));
    if (h.handicap_accessible) tags.appendChild(el("li", "acc", "Accessible"));
    if (h.remote) tags.appendChild(el("li", "remote", "À distance"));
    if (h.is_public) tags.appendChild(el("li", "", "Service public"));
    if (tags.firstChild) art.appendChild(tags);
    return li;
  }

  function whereText(res, s) {
    const p = res.place;
    if (p && p.kind === "country") return " dans toute la France";
    if (p && p.kind === "region") return " en région " + (p.label || p.name);
    if (p && p.kind === "department") return " dans le département " + (p.label || p.name);
    if (p) return (s.radius === "0" ? " à " : " près de ") + placeName(p);
    if (s.lat !== null) return " autour de toi";
    return "";
  }

  function statusText(res, s) {
    const n = res.total;
    let t = n === 0 ? "Aucun stage trouvé" : n.toLocaleString("fr-FR") + (n > 1 ? " stages trouvés" : " stage trouvé");
    // A place the API read in the keywords ("boulangerie brest") is said,
    // with the keywords it kept.
    const fromQuery = res.place && res.place.from_query;
    if (fromQuery && res.q_used) t += " pour « " + res.q_used + " »";
    t += whereText(res, s);
    if (fromQuery) t += " — lieu lu dans ta recherche";
    return t;
  }

  function relaxedText(rel, s) {
    const w = rel.widened || [], why = [], how = [];
    if (s.q && w.includes("keywords")) why.push("pour « " + s.q + " »");
    if (w.includes("radius")) {
      why.push(s.radius === "0" ? "dans ta commune" : "dans un rayon de " + s.radius + " km");
      if (rel.radius_km) how.push("à moins de " + rel.radius_km + " km");
    }
    if (w.includes("filters")) { why.push("avec tes filtres"); how.push("sans tes filtres"); }
    if (w.includes("keywords")) how.push("tous métiers confondus");
    const none = "Aucun stage " + (why.join(" ") || "trouvé");
    if (!rel.total) return none + ", même en élargissant la recherche.";
    return none + " — voici " + (rel.total > 1 ? "ceux " : "celui ") + how.join(", ") + " (" + rel.total.toLocaleString("fr-FR") + ")";
  }

  function count(n) { return typeof n === "number" ? "(" + n.toLocaleString("fr-FR") + ")" : ""; }

  // ensureWeeks keeps a checkbox for each chosen week, even one the facets
  // no longer list, so that it can be unticked.
  function ensureWeeks(weeks) {
    for (const w of weeks) if (!weekList.querySelector('input[value="' + CSS.escape(w) + '"]')) addWeek(w, null, true);
  }
  function addWeek(w, n, checked) {
    const li = weekList.appendChild(el("li"));
    const lab = li.appendChild(el("label"));
    const box = lab.appendChild(el("input"));
    box.type = "checkbox"; box.name = "week"; box.value = w; box.checked = checked;
    lab.appendChild(document.createTextNode(" " + weekLabel(w) + " "));
    lab.appendChild(el("span", "count", count(n)));
  }
  function ensureSector(v) {
    if (v && !Array.from(sectorIn.options).some((o) => o.value === v)) {
      const o = sectorIn.appendChild(el("option", "", v));
      o.value = v;
    }
  }

  // renderFacets writes each filter's counts from the facets; with widened
  // results the counts (of the search as asked: zeros) are not shown.
  function renderFacets(res, s) {
    const f = res.facets || {};
    const widened = res.total === 0 && res.relaxed && res.relaxed.total > 0;
    const tf = f.tracks || {};
    for (const c of form.querySelectorAll(".count[data-track]")) c.textContent = widened ? "" : count(tf[c.dataset.track]);
    weekList.textContent = "";
    const wf = f.weeks || {};
    const weeks = Object.keys(wf).filter((w) => wf[w] > 0 || s.weeks.includes(w));
    for (const w of s.weeks) if (!weeks.includes(w)) weeks.push(w);
    weeks.sort();
    for (const w of weeks) addWeek(w, widened ? null : wf[w] || 0, s.weeks.includes(w));
    $("weeks-help").hidden = weeks.length > 0;
    if (!weeks.length) $("weeks-help").textContent = "Aucune semaine avec des offres pour cette recherche.";
    const sf = f.sectors || {};
    const keep = sectorIn.value;
    while (sectorIn.options.length > 1) sectorIn.remove(1);
    const names = Object.keys(sf).filter((k) => sf[k] > 0);
    if (s.sector && !names.includes(s.sector)) names.push(s.sector);
    names.sort((a, b) => a.localeCompare(b, "fr"));
    for (const k of names) {
      const o = sectorIn.appendChild(el("option", "", k + (widened ? "" : " " + count(sf[k] || 0))));
      o.value = k;
    }
    sectorIn.value = keep;
    const active = s.tracks.length + s.weeks.length + (s.sector ? 1 : 0) + (s.remote ? 1 : 0) + (s.pub ? 1 : 0) + (s.acc ? 1 : 0);
    $("filter-count").textContent = active ? "(" + active + (active > 1 ? " actifs)" : " actif)") : "";
  }

  function pageLink(s, n, label, rel) {
    const a = el("a", "secondary button", label);
    const st = Object.assign({}, s, { page: n });
    a.href = (embed ? "/embed?" : "?") + toParams(st, false);
    if (rel) a.rel = rel;
    a.addEventListener("click", (e) => { e.preventDefault(); go(st, true); });
    return a;
  }

  function renderPager(res, s) {
    pagerEl.textContent = "";
    const widened = res.total === 0 && res.relaxed;
    const total = widened ? res.relaxed.total : res.total;
    const pages = Math.min(Math.ceil(total / PER_PAGE), Math.floor(10000 / PER_PAGE));
    pagerEl.hidden = pages <= 1;
    if (pages <= 1) return;
    if (s.page > 1) pagerEl.appendChild(pageLink(s, s.page - 1, "Page précédente", "prev"));
    pagerEl.appendChild(el("span", "page-of", "Page " + s.page + " sur " + pages));
    if (s.page < pages) pagerEl.appendChild(pageLink(s, s.page + 1, "Page suivante", "next"));
  }

  function render(res, s) {
    hitsEl.textContent = "";
    relaxedEl.hidden = true;
    relaxedEl.textContent = "";
    statusEl.textContent = statusText(res, s);
    let hits = res.hits || [];
    if (res.total === 0 && res.relaxed) {
      relaxedEl.textContent = relaxedText(res.relaxed, s);
      relaxedEl.hidden = false;
      hits = res.relaxed.hits || [];
    }
    const frag = document.createDocumentFragment();
    for (const h of hits) frag.appendChild(hitNode(h));
    hitsEl.appendChild(frag);
    renderFacets(res, s);
    renderPager(res, s);
    if (s.page > 1) statusEl.textContent += " · page " + s.page;
    liveEl.textContent = statusEl.textContent;
    document.title = (s.q ? s.q + " – " : "") + statusEl.textContent + " · Stage de 3e";
    lastResult = { res, s, hits };
    // The offer page's "Retour à la recherche" comes back here.
    if (!embed) try { sessionStorage.setItem("stageindex:search", location.pathname + location.search); } catch (e) { /* storage off */ }
    showMap();
  }

  function clearResults() {
    hitsEl.textContent = "";
    relaxedEl.hidden = true;
    pagerEl.hidden = true;
    errorsBox.hidden = true;
    statusEl.textContent = embed ? "" : "Tape un métier ou une commune, puis « Chercher ».";
    document.title = BASE_TITLE;
    viewSwitch.hidden = true;
    mapPane.hidden = true;
    lastResult = null;
  }

  function showProblem(p) {
    errorsBox.textContent = "";
    errorsBox.hidden = false;
    whereIn.removeAttribute("aria-invalid");
    if (p.status >= 500 || p.status === 0 || !(p.errors && p.errors.length)) {
      errorsBox.appendChild(el("p", "lead", p.status === 503 ? "Le service démarre, réessaie dans quelques secondes."
        : p.status === 0 ? "Impossible de joindre le service. Vérifie ta connexion et réessaie."
          : p.status === 429 ? "Trop de recherches d'un coup : attends un instant et réessaie."
            : "Le service a un souci, réessaie dans un instant."));
      return;
    }
    errorsBox.appendChild(el("p", "lead", "Ta recherche n'a pas pu aboutir :"));
    const ul = errorsBox.appendChild(el("ul"));
    for (const e of p.errors) {
      const li = ul.appendChild(el("li"));
      const cands = e.candidates || [];
      if (e.param === "where") {
        whereIn.setAttribute("aria-invalid", "true");
        const areas = cands.some(isArea);
        li.appendChild(el("strong", "", e.code === "ambiguous_place"
          ? (areas ? "Plusieurs lieux portent ce nom. Lequel ?" : "Plusieurs communes portent ce nom. Laquelle ?")
          : e.code === "unknown_place" ? (cands.length ? "Commune introuvable. Tu voulais dire :" : "Commune ou code postal introuvable.")
            : (FIELDS.where + " : " + frenchError(e))));
      } else {
        li.appendChild(el("strong", "", (FIELDS[e.param] || "Recherche") + " : "));
        li.appendChild(document.createTextNode(frenchError(e)));
      }
      if (cands.length) {
        const cl = li.appendChild(el("ul", "candidates"));
        for (const c of cands) {
          const b = cl.appendChild(el("li")).appendChild(el("button", "secondary", candidateLabel(c, cands)));
          b.type = "button";
          b.addEventListener("click", () => { whereIn.value = placeName(c); here = null; submit(); });
        }
      }
    }
  }

  // --- searching --------------------------------------------------------

  function busy(on) {
    clearTimeout(busyTimer);
    document.body.toggleAttribute("aria-busy", on);
    goBtn.classList.toggle("busy", on);
    goBtn.setAttribute("aria-disabled", on ? "true" : "false");
    goBtn.querySelector(".label").textContent = on ? "Recherche…" : "Chercher";
    hitsEl.classList.toggle("stale", on);
    // The bar shows only when a search takes long enough to be noticed.
    if (on) busyTimer = setTimeout(() => { loadingEl.hidden = false; liveEl.textContent = "Recherche en cours…"; }, 150);
    else loadingEl.hidden = true;
  }

  async function run(s) {
    if (inflight) inflight.abort();
    const ctrl = (inflight = new AbortController());
    const p = toParams(s, true);
    p.set("per_page", String(PER_PAGE));
    busy(true);
    try {
      const r = await fetch("/api/v1/offers?" + p, { signal: ctrl.signal, headers: { Accept: "application/json" } });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) {
        hitsEl.textContent = ""; relaxedEl.hidden = true; pagerEl.hidden = true;
        statusEl.textContent = "Pas de résultats"; viewSwitch.hidden = true; mapPane.hidden = true;
        showProblem(Object.assign({ status: r.status }, body));
        return false;
      }
      errorsBox.hidden = true;
      whereIn.removeAttribute("aria-invalid");
      current = s;
      render(body, s);
      return true;
    } catch (e) {
      if (e.name === "AbortError") return false;
      showProblem({ status: 0 });
      return false;
    } finally {
      if (inflight === ctrl) { inflight = null; busy(false); }
      resized();
    }
  }

  // go runs a search, records it in the page's history (not in the
  // embed's: the partner page's Back button is not ours to fill), then
  // moves the focus to the results.
  async function go(s, focus) {
    performance.clearMarks("stageindex:search");
    performance.mark("stageindex:search");
    if (!embed) {
      const url = "?" + toParams(s, false);
      const state = s.lat !== null ? { lat: s.lat, lng: s.lng } : null;
      const target = url === "?" ? location.pathname : url;
      if (target === location.pathname + location.search || target === location.search) history.replaceState(state, "", target);
      else history.pushState(state, "", target);
    }
    const ok = await run(s);
    if (ok) painted();
    if (ok && focus) statusEl.focus({ preventScroll: embed });
  }

  // painted records, once the browser has drawn the results, how long
  // they took from the pupil's Enter: performance.getEntriesByName
  // ("stageindex:results") holds the figure.
  function painted() {
    requestAnimationFrame(() => setTimeout(() => {
      try {
        performance.clearMeasures("stageindex:results");
        performance.measure("stageindex:results", "stageindex:search");
      } catch (e) { /* no mark: nothing to measure */ }
    }, 0));
  }

  function submit() { clearTimeout(filterTimer); return go(readForm(), true); }

  form.addEventListener("submit", (e) => { e.preventDefault(); submit(); });
  // Filters apply as they change, once the pupil pauses.
  let filterTimer = 0;
  form.addEventListener("change", (e) => {
    if (e.target === qIn || e.target === whereIn) return;
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => {
      const s = readForm();
      if (!isEmpty(s) || current) go(s, false);
    }, 300);
  });
  window.addEventListener("popstate", (e) => {
    const s = readURL(new URLSearchParams(location.search), e.state);
    fillForm(s);
    if (isEmpty(s)) { if (inflight) inflight.abort(); current = null; clearResults(); }
    else run(s);
  });

  // --- autocompletion ---------------------------------------------------

  function complete(input, dl, path, pick) {
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
        if (scope.caller) p.set("caller", scope.caller);
        try {
          const r = await fetch(path + "?" + p, { signal: ctrl.signal });
          if (!r.ok) return;
          const items = pick(await r.json());
          dl.textContent = "";
          for (const t of items) {
            const o = el("option");
            o.value = t.value;
            if (t.label) o.label = t.label;
            dl.appendChild(o);
          }
        } catch (e) { /* suggestions are a help, not a need */ }
      }, 200);
    });
  }
  const KINDS = { commune: "commune", department: "département", region: "région", country: "pays" };
  // placeHint is the label under a suggestion: its kind, or the commune's
  // département.
  function placeHint(p) { return isArea(p) ? KINDS[p.kind] || "" : "commune (" + deptLabel(p.department) + ")"; }
  complete(qIn, $("q-list"), "/api/v1/suggest", (d) => (d.suggestions || []).map((x) => ({ value: x.text })));
  complete(whereIn, $("where-list"), "/api/v1/places", (d) => (d.places || []).map((p) => ({ value: placeName(p), label: placeHint(p) })));
  whereIn.addEventListener("input", () => { if (whereIn.value !== HERE) here = null; });

  if (navigator.geolocation) {
    locateBtn.hidden = false;
    locateBtn.addEventListener("click", () => {
      locateBtn.disabled = true;
      whereHelp.textContent = "Recherche de ta position…";
      navigator.geolocation.getCurrentPosition((pos) => {
        locateBtn.disabled = false;
        whereHelp.textContent = "Ta position sert à cette recherche seulement ; elle n'est pas écrite dans l'adresse de la page.";
        here = { lat: pos.coords.latitude, lng: pos.coords.longitude };
        whereIn.value = HERE;
        if (sortIn.value === "") sortIn.value = qIn.value.trim() ? "" : "distance";
        submit();
      }, (err) => {
        locateBtn.disabled = false;
        whereHelp.textContent = err.code === 1
          ? "Tu n'as pas autorisé la localisation : tape ta commune ou ton code postal."
          : "Position introuvable : tape ta commune ou ton code postal.";
      }, { timeout: 10000, maximumAge: 300000 });
    });
  }

  // --- the map: Leaflet, loaded the first time it is shown ---------------

  const desktop = window.matchMedia("(min-width: 64rem)");
  let mapShown = false;   // on a phone: the pupil chose the map
  let mapMod = null;      // the map, once Leaflet is loaded

  function loadScript(src) {
    return new Promise((ok, fail) => {
      const s = document.createElement("script");
      s.src = src; s.onload = ok; s.onerror = fail;
      document.head.appendChild(s);
    });
  }
  let leaflet = null;
  function loadLeaflet() {
    if (!leaflet) {
      const css = document.createElement("link");
      css.rel = "stylesheet"; css.href = form.dataset.leafletCss;
      document.head.appendChild(css);
      leaflet = loadScript(form.dataset.leafletJs).then(() => loadScript(form.dataset.mapJs));
    }
    return leaflet;
  }

  function showMap() {
    if (!mapWanted || !lastResult) { viewSwitch.hidden = true; mapPane.hidden = true; return; }
    const located = lastResult.hits.some((h) => h.location && !h.remote) || lastResult.res.place || lastResult.s.lat !== null;
    viewSwitch.hidden = desktop.matches || !located;
    const visible = located && (desktop.matches || mapShown);
    mapPane.hidden = !visible;
    document.body.classList.toggle("map-only", !desktop.matches && mapShown && located);
    $("show-list").setAttribute("aria-pressed", String(!mapShown));
    $("show-map").setAttribute("aria-pressed", String(mapShown));
    if (!visible) return;
    loadLeaflet().then(() => {
      if (!mapMod) mapMod = window.stageindexMap($("map"), { tiles: form.dataset.tiles, attribution: form.dataset.tilesAttribution, embed });
      const { res, s, hits } = lastResult;
      const center = s.lat !== null ? { lat: s.lat, lng: s.lng } : res.place && res.place.kind !== "department" && res.place.kind !== "region" && res.place.kind !== "country" ? res.place : null;
      const radius = res.total === 0 && res.relaxed && res.relaxed.radius_km ? res.relaxed.radius_km : +s.radius;
      mapMod.show(hits, center, radius);
    }).catch(() => { mapPane.hidden = true; });
  }
  $("show-list").addEventListener("click", () => { mapShown = false; showMap(); });
  $("show-map").addEventListener("click", () => { mapShown = true; showMap(); });
  desktop.addEventListener("change", showMap);

  // --- scope: what a partner or a shared link fixed ----------------------

  function showScope() {
    const parts = [];
    if (scope.departments.length) parts.push((scope.departments.length > 1 ? "Offres des départements " : "Offres du département ") + scope.departments.map(deptLabel).join(", "));
    if (scope.tracks.length) parts.push(scope.tracks.map((t) => TRACKS[t]).join(", "));
    if (!parts.length) return;
    scopeEl.textContent = parts.join(" · ");
    scopeEl.hidden = false;
    if (!embed && scope.departments.length) {
      const a = scopeEl.appendChild(el("a", "", "voir toute la France"));
      scopeEl.insertBefore(document.createTextNode(" · "), a);
      const p = new URLSearchParams(location.search);
      p.delete("department");
      a.href = "/?" + p;
    }
    if (scope.tracks.length) $("tracks").hidden = true;
  }

  // themeColor takes a partner's colour (data-theme-color) for buttons and
  // links when white text on it, and it on white, keep a 4.5:1 contrast.
  function themeColor(c) {
    if (!embed || !/^#[0-9a-fA-F]{6}$/.test(c || "")) return;
    const lum = [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16) / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)));
    const l = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    if (1.05 / (l + 0.05) >= 4.5) document.documentElement.style.setProperty("--accent", c);
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

  showScope();
  // On a phone the filters start folded: the results come first.
  if (!desktop.matches && !window.matchMedia("(min-width: 40rem)").matches) $("filters").open = false;
  themeColor(first.get("color"));
  const start = readURL(first, history.state);
  fillForm(start);
  if (!isEmpty(start)) { current = null; run(start).then((ok) => { if (ok) current = start; }); }
  resized();
})();
