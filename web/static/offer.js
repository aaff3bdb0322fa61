// An offer's page: "Retour à la recherche" goes back to the search the
// pupil came from (kept in this tab's sessionStorage by app.js), not to an
// empty page. Without it, the link goes to the start page.
"use strict";
(function () {
  const back = document.getElementById("back");
  let last = null;
  try { last = sessionStorage.getItem("stageindex:search"); } catch (e) { /* storage off */ }
  if (back && last && last.charAt(0) === "/" && last.charAt(1) !== "/") back.href = last;
})();
