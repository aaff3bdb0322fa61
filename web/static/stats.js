// /statistiques: a click on a département of the map opens its figures.
// The page works without it: the table's links do the same.
"use strict";
(function () {
  const map = document.querySelector(".france-map");
  if (!map) return;
  map.addEventListener("click", (e) => {
    const p = e.target.closest("path[data-department]");
    if (p) location.href = "/statistiques?department=" + encodeURIComponent(p.dataset.department);
  });
})();
