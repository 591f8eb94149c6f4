/* Haven page helpers. Optional: every page works without this file. */
(function () {
  "use strict";
  var exit = document.getElementById("quick-exit");
  var BACK = "haven-back";  // this tab's last results page, for the listing's "Back to results"
  function store() { try { return window.sessionStorage; } catch (e) { return null; } }
  function leave(event) {
    if (event) { event.preventDefault(); }
    var s = store();
    if (s) { s.removeItem(BACK); }
    // replace(): the Haven page is not kept as the previous entry of this tab.
    window.location.replace(exit.getAttribute("data-exit"));
  }
  function typing(t) {  // a field where Esc may only mean "close the keyboard's suggestions"
    if (!t || !t.tagName) { return false; }
    if (t.isContentEditable || t.tagName === "TEXTAREA") { return true; }
    return t.tagName === "INPUT" &&
      !/^(checkbox|radio|button|submit|reset|file|image|range|color|hidden)$/i.test(t.type);
  }
  if (exit) {
    exit.addEventListener("click", leave);
    var lastEsc = 0;
    document.addEventListener("keydown", function (e) {
      if ((e.key !== "Escape" && e.key !== "Esc") || e.isComposing) { return; }
      // While typing, one Esc keeps the text (it often just closes a suggestion list); a
      // second within a second still leaves.
      if (typing(e.target) && Date.now() - lastEsc > 1000) { lastEsc = Date.now(); return; }
      leave(e);
    });
  }

  /* Moves inside Haven replace this tab's entry instead of adding one, so the tab holds one
     Haven page and "Leave quickly" replaces it: Back then shows what was open before Haven,
     never a search or a listing. Pages offer their own way back (see "Back to results"). */
  function inHaven(url) {
    // Staff pages keep the browser's Back: staff work through many pages on their own device.
    return url.origin === location.origin && /^https?:$/.test(url.protocol) &&
      !/^\/staff(\/|$)/.test(location.pathname);
  }
  function isResults(path) { return /^\/[A-Za-z-]+\/(offline\/)?search$/.test(path); }
  function go(url) {
    var s = store();
    if (s && isResults(location.pathname) && url.pathname !== location.pathname) {
      s.setItem(BACK, location.pathname + location.search);
    }
    location.replace(url.href);
  }
  document.addEventListener("click", function (e) {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) { return; }
    var a = e.target && e.target.closest ? e.target.closest("a[href]") : null;
    if (!a || a.hasAttribute("download") || (a.target && a.target !== "_self")) { return; }
    var url = new URL(a.href, location.href);
    if (!inHaven(url)) { return; }
    e.preventDefault();
    go(url);
  });
  document.addEventListener("submit", function (e) {
    var f = e.target, by = e.submitter;
    var method = (by && by.getAttribute("formmethod")) || f.getAttribute("method") || "get";
    var target = (by && by.getAttribute("formtarget")) || f.getAttribute("target");
    if (e.defaultPrevented || method.toLowerCase() !== "get" || (target && target !== "_self")) { return; }
    var url = new URL((by && by.hasAttribute("formaction")) ? by.formAction : f.action, location.href);
    if (!inHaven(url)) { return; }
    var data = new FormData(f), query = new URLSearchParams();
    data.forEach(function (v, k) { query.append(k, typeof v === "string" ? v : v.name); });
    if (by && by.name) { query.append(by.name, by.value); }
    e.preventDefault();
    url.search = query.toString();
    go(url);
  });
  var back = document.getElementById("back-to-results"), s0 = store();
  var results = s0 ? s0.getItem(BACK) : null;
  if (back && results && isResults(results.split("?")[0])) {
    back.querySelector("a").setAttribute("href", results);
    back.hidden = false;
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
