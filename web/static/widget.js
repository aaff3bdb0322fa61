// stageindex widget for partner sites:
//   <script src="https://HOST/widget.js" data-department="22" data-track="segpa"
//           data-caller="monsite" async></script>
// Optional: data-where, data-q, data-radius, data-title. It inserts, right
// after itself, an iframe on HOST/embed scoped by those attributes, and
// resizes it to the height the embed reports.
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
  var attrs = { department: "department", track: "track", caller: "caller",
    where: "where", q: "q", radius: "radius_km" };
  var params = [];
  for (var k in attrs) {
    var v = script.getAttribute("data-" + k);
    if (v) params.push(attrs[k] + "=" + encodeURIComponent(v.slice(0, 200)));
  }

  var frame = document.createElement("iframe");
  frame.src = origin + "/embed" + (params.length ? "?" + params.join("&") : "");
  frame.title = script.getAttribute("data-title") || "Recherche de stages de 3e";
  frame.setAttribute("allow", "geolocation");
  frame.style.cssText = "display:block;width:100%;min-width:260px;height:480px;border:0;overflow:hidden";
  script.parentNode.insertBefore(frame, script.nextSibling);

  window.addEventListener("message", function (e) {
    // Only this frame, from the widget's own origin, may resize it.
    if (e.origin !== origin || e.source !== frame.contentWindow) return;
    var d = e.data;
    if (!d || d.type !== "stageindex:height") return;
    var h = Math.ceil(Number(d.height));
    if (!(h >= 100)) return;
    frame.style.height = Math.min(h, 20000) + "px";
  });
})();
