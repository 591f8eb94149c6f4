/* Haven page helpers. Optional: every page works without this file. */
(function () {
  "use strict";
  var exit = document.getElementById("quick-exit");
  function leave(event) {
    if (event) { event.preventDefault(); }
    // replace(): the Haven page is not kept as the previous entry of this tab.
    window.location.replace(exit.getAttribute("data-exit"));
  }
  if (exit) {
    exit.addEventListener("click", leave);
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" || e.key === "Esc") { leave(e); }
    });
  }
  var locate = document.querySelector("[data-locate]");
  var near = document.getElementById("f-near");
  if (locate && near && "geolocation" in navigator) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        near.value = pos.coords.latitude.toFixed(3) + "," + pos.coords.longitude.toFixed(3);
      }, function () {}, { maximumAge: 600000, timeout: 15000 });
    });
  }
})();
