// The results map of the search page, drawn with Leaflet (loaded just
// before this file, only when a map is shown). Markers are vector circles:
// they need no image and show on a plain background when the tiles cannot
// be reached.
"use strict";
window.stageindexMap = function (node, opts) {
  const L = window.L;
  const map = L.map(node, { zoomControl: false, attributionControl: true, scrollWheelZoom: !opts.embed });
  L.control.zoom({ zoomInTitle: "Zoomer", zoomOutTitle: "Dézoomer" }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com" hreflang="en">Leaflet</a>');
  if (opts.tiles) {
    L.tileLayer(opts.tiles, { maxZoom: 18, minZoom: 2, attribution: opts.attribution || "", crossOrigin: false }).addTo(map);
  }
  map.setView([46.6, 2.4], 5);
  const layer = L.featureGroup().addTo(map);

  function popup(h) {
    const box = document.createElement("div");
    const a = box.appendChild(document.createElement("a"));
    a.href = "/offres/" + encodeURIComponent(h.id);
    if (opts.embed) { a.target = "_blank"; a.rel = "noopener"; }
    a.textContent = h.title || "Stage";
    const p = box.appendChild(document.createElement("p"));
    p.textContent = [h.employer_name, h.city].filter(Boolean).join(" · ");
    return box;
  }

  return {
    // show draws the page's hits and the search circle (radius in km
    // around center; none without a place).
    show(hits, center, radiusKm) {
      map.invalidateSize();
      layer.clearLayers();
      if (center && typeof center.lat === "number") {
        if (radiusKm > 0) {
          L.circle([center.lat, center.lng], { radius: radiusKm * 1000, className: "search-circle",
            color: "#0a4fa8", weight: 2, fillOpacity: 0.05, interactive: false }).addTo(layer);
        }
        L.circleMarker([center.lat, center.lng], { radius: 5, className: "search-center", color: "#1a1a1a",
          weight: 2, fillColor: "#fff", fillOpacity: 1, interactive: false }).addTo(layer);
      }
      for (const h of hits) {
        if (!h.location || h.remote) continue;
        L.circleMarker([h.location.lat, h.location.lng], { radius: 8, className: "hit-marker", color: "#fff",
          weight: 2, fillColor: "#0a4fa8", fillOpacity: 1 }).bindPopup(popup(h)).addTo(layer);
      }
      const b = layer.getBounds();
      if (b.isValid()) map.fitBounds(b, { padding: [24, 24], maxZoom: 14 });
    },
  };
};
