// stageindex widget for partner sites (docs/widget.md):
//   <script src="https://HOST/widget.js" data-department="22" data-track="segpa"
//           data-caller="monsite" async></script>
// Options: data-department (fixed), data-track (fixed: the pupil cannot
// widen it), data-track-default (pre-ticked, the pupil may change it),
// data-where, data-q, data-radius, data-map="on", data-max-height (pixels,
// default 900: beyond it the frame scrolls inside), data-theme-color
// (#rrggbb), data-title. It inserts, right after itself, an iframe on
// HOST/embed scoped by those attributes, and sizes it to the height the
// embed reports, up to the maximum.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    // Browsers without currentScript: the last widget script not yet run.
    var all = document.querySelectorAll('script[src*="/widget.js"]:not([data-stageindex])');
    script = all[all.length - 1];
  }
  if (!script || script.hasAttribute("data-stageindex")) return;
  script.setAttribute("data-stageindex", "1");

  var origin;
  try { origin = new URL(script.src, location.href).origin; } catch (e) { return; }
  var attrs = { department: "department", track: "track", "track-default": "track_default", caller: "caller",
    where: "where", q: "q", radius: "radius_km", map: "map", "theme-color": "color" };
  var params = [];
  for (var k in attrs) {
    var v = script.getAttribute("data-" + k);
    if (v) params.push(attrs[k] + "=" + encodeURIComponent(v.slice(0, 200)));
  }
  var maxHeight = parseInt(script.getAttribute("data-max-height"), 10);
  if (!(maxHeight >= 200)) maxHeight = 900;

  var frame = document.createElement("iframe");
  frame.src = origin + "/embed" + (params.length ? "?" + params.join("&") : "");
  frame.title = script.getAttribute("data-title") || "Recherche de stages de 3e";
  frame.setAttribute("allow", "geolocation");
  frame.setAttribute("loading", "lazy");
  frame.style.cssText = "display:block;width:100%;max-width:100%;min-width:0;height:" + Math.min(480, maxHeight) + "px;border:0";
  script.parentNode.insertBefore(frame, script.nextSibling);

  window.addEventListener("message", function (e) {
    // Only this frame, from the widget's own origin, may resize it.
    if (e.origin !== origin || e.source !== frame.contentWindow) return;
    var d = e.data;
    if (!d || d.type !== "stageindex:height") return;
    var h = Math.ceil(Number(d.height));
    if (!(h >= 100)) return;
    frame.style.height = Math.min(h, maxHeight) + "px";
  });
})();
