/* Haven offline: service worker, tip queue, self-check, forget-this-device. Optional: every
   page works without it. The offline search is in search.js. */
(function () {
  "use strict";
  var body = document.body, lang = body.getAttribute("data-lang") || "en";

  function el(tag, text, cls) { var e = document.createElement(tag); if (text) { e.textContent = text; } if (cls) { e.className = cls; } return e; }
  window.HavenUI = { el: el };

  /* ---------- self-check: computed here, nothing sent or kept ---------- */
  var check = document.getElementById("self-check"), go = document.getElementById("sc-go");
  if (check && go) {
    var shown = false;
    function answer() {
      var ticked = check.querySelectorAll("input:checked"), urgent = check.querySelectorAll("input[data-urgent='1']:checked");
      var key = ticked.length === 0 ? "none" : ticked.length < 3 ? "some" : "many";
      document.querySelectorAll(".sc-answer").forEach(function (a) {
        var k = a.getAttribute("data-answer");
        a.hidden = !(k === key || (k === "urgent" && urgent.length > 0));
      });
    }
    go.hidden = false;
    go.addEventListener("click", function () { shown = true; answer(); });
    // once shown, the answer follows every tick (a ticked answer changes the result)
    check.addEventListener("change", function () { if (shown) { answer(); } });
  }

  /* ---------- service worker ---------- */
  var hadController = "serviceWorker" in navigator && !!navigator.serviceWorker.controller;
  function precache() {
    if (navigator.serviceWorker.controller) { navigator.serviceWorker.controller.postMessage({ type: "precache", lang: lang }); }
  }
  if ("serviceWorker" in navigator && body.getAttribute("data-sw")) {
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (e.data && e.data.type === "precached") { document.documentElement.setAttribute("data-offline-ready", e.data.lang); }
    });
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (hadController) { document.getElementById("sw-updated").hidden = false; }
      hadController = true;
      precache();
    });
    navigator.serviceWorker.register(body.getAttribute("data-sw"), { scope: "/" }).then(function () {
      if (navigator.serviceWorker.controller) { precache(); }
    }, function () {});
  }

  /* ---------- the area of a town searched, kept for offline (big directories) ---------- */
  // The results page names the file of the area the search was about (the server read the
  // town from the search itself); the phone keeps it beside the others in the worker's data
  // cache ("haven-data", sw.js), where the offline search finds it. Already kept: the
  // offline search brings it up to date.
  var keep = document.getElementById("keep-area");
  if (keep && body.getAttribute("data-sw") && window.caches && "serviceWorker" in navigator) {
    var areaFiles = keep.getAttribute("data-urls").split(" ");  // the area, its national lines
    caches.open("haven-data").then(function (c) {
      return Promise.all(areaFiles.map(function (areaFile) {
        return c.match(areaFile).then(function (had) {
          if (had) { return; }
          return fetch(areaFile).then(function (r) { if (r.ok) { return c.put(areaFile, r); } });
        });
      }));
    }).then(function () {
      if (navigator.storage && navigator.storage.persist) { navigator.storage.persist().catch(function () {}); }
      document.documentElement.setAttribute("data-area-kept", areaFiles[0]);
    }, function () {});
  }

  /* ---------- tips kept on this phone ---------- */
  var form = document.getElementById("tip-form"), Q = window.HavenQueue;
  function useSync() { return "serviceWorker" in navigator && "SyncManager" in window; }
  function flushSoon() {
    if (!Q) { return Promise.resolve(); }
    if (useSync()) {
      return navigator.serviceWorker.ready.then(function (reg) { return reg.sync.register("haven-tips"); })
        .then(showQueue, function () { return Q.flush().then(showQueue); });
    }
    return Q.flush().then(showQueue);
  }
  /* A sent tip's receipt, on a phone others may pick up: it leaves storage as soon as the
     notice is on screen, stays only in this page until it is left, and its digits appear
     only when tapped. */
  var onScreen = {};  // key -> sent item taken out of storage while this page shows it
  function receiptLine(box3, receipt) {  // the receipt on one line, left to right, in any language
    var parts = box3.getAttribute("data-t-sent").split("{receipt}");
    var p = el("p", null, "queued-msg");
    p.appendChild(document.createTextNode(parts[0]));
    var r = el("bdi", (receipt || "").replace(/(\d{4})(?=\d)/g, "$1\u00a0"), "receipt receipt-inline");
    r.setAttribute("dir", "ltr");
    p.appendChild(r);
    p.appendChild(document.createTextNode(parts.slice(1).join("")));
    return p;
  }
  function render(box3, items) {
    var list = box3.querySelector("ul"), note = document.getElementById("tip-queued");
    list.textContent = "";
    box3.hidden = !items.length;
    if (note) { note.hidden = !items.some(function (it) { return it.state === "queued"; }); }
    items.forEach(function (it) {
      var li = el("li", null, "queued-" + it.state);
      if (it.state === "sent" && it.revealed) {
        li.appendChild(receiptLine(box3, it.receipt));
      } else if (it.state === "sent") {
        li.appendChild(el("p", box3.getAttribute("data-t-sent-hidden"), "queued-msg"));
        var show = el("button", box3.getAttribute("data-t-show"), "show-receipt");
        show.type = "button";
        show.addEventListener("click", function () { it.revealed = true; render(box3, visible()); });
        li.appendChild(show);
      } else {
        li.appendChild(el("p", box3.getAttribute(it.state === "refused" ? "data-t-refused"
          : it.failed ? "data-t-failed" : "data-t-waiting"), "queued-msg"));
      }
      var del = el("button", box3.getAttribute("data-t-delete"));
      del.type = "button";
      del.addEventListener("click", function () { delete onScreen[it.key]; Q.remove(it.key).then(showQueue); });
      li.appendChild(del);
      list.appendChild(li);
    });
  }
  var stored = [];
  function visible() {
    var keys = {};
    Object.keys(onScreen).forEach(function (k) { keys[k] = true; });
    return Object.keys(onScreen).map(function (k) { return onScreen[k]; })
      .concat(stored.filter(function (it) { return !keys[it.key]; }));
  }
  function takeSent() {  // the page is seen: sent receipts move from storage to this page only
    if (document.visibilityState !== "visible") { return Promise.resolve(); }
    return Promise.all(stored.filter(function (it) { return it.state === "sent"; }).map(function (it) {
      onScreen[it.key] = it;
      return Q.remove(it.key);
    }));
  }
  function showQueue() {
    var box3 = document.getElementById("tip-queue");
    if (!box3 || !Q) { return; }
    return Q.all().then(function (items) {
      stored = items;
      render(box3, visible());
      return takeSent();
    });
  }
  if (Q && document.getElementById("tip-queue")) {
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { takeSent(); }
    });
    // Left (or kept in the back-forward cache): nothing of a receipt stays in the page.
    window.addEventListener("pagehide", function () {
      onScreen = {}; stored = [];
      render(document.getElementById("tip-queue"), []);
    });
    window.addEventListener("pageshow", function (e) { if (e.persisted) { showQueue(); } });
  }
  if (form && Q) {
    var keyField = form.querySelector("input[name=idempotency_key]");
    if (keyField) { keyField.value = Q.newKey(); }  // fresh per visit, even from the saved copy
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) { return; }  // online: the normal form post, receipt page and all
      event.preventDefault();
      var fields = [], photos = [];
      new FormData(form).forEach(function (v, k) {
        if (v instanceof File) { if (v.size) { photos.push({ name: v.name, blob: v }); } }
        else { fields.push([k, v]); }
      });
      Q.add({ key: keyField.value, action: form.action, fields: fields, photos: photos.slice(0, 3) }).then(function () {
        form.reset(); keyField.value = Q.newKey();
        document.getElementById("tip-queued").hidden = false;
        showQueue();
        if (useSync()) { flushSoon(); }
      });
    });
    showQueue();
    if (!useSync()) {  // exactly one mechanism: Background Sync, else 'online' + page load
      window.addEventListener("online", flushSoon);
      if (navigator.onLine) { flushSoon(); }
    } else if (navigator.onLine) { flushSoon(); }
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.addEventListener("message", function (e) {
        if (e.data && e.data.type === "tips-flushed") { showQueue(); }
      });
    }
    window.HavenTips = { flush: function () { return Q.flush().then(showQueue); }, show: showQueue };
  }

  /* ---------- forget this device ---------- */
  var forget = document.getElementById("forget-device");
  if (forget) {
    forget.hidden = false;
    forget.addEventListener("click", function () {
      var jobs = [];
      if ("serviceWorker" in navigator && navigator.serviceWorker.controller) {
        jobs.push(new Promise(function (resolve) {  // the worker stops writing, then empties
          navigator.serviceWorker.addEventListener("message", function (e) {
            if (e.data && e.data.type === "forgotten") { resolve(); }
          });
          navigator.serviceWorker.controller.postMessage({ type: "forget" });
          setTimeout(resolve, 3000);
        }));
      }
      if (window.caches) { jobs.push(caches.keys().then(function (ks) { return Promise.all(ks.map(function (k) { return caches.delete(k); })); })); }
      if (window.indexedDB) {
        jobs.push(new Promise(function (resolve) {
          var r = indexedDB.deleteDatabase("haven"); r.onsuccess = r.onerror = r.onblocked = function () { resolve(); };
        }));
      }
      if ("serviceWorker" in navigator) {
        jobs.push(navigator.serviceWorker.getRegistrations().then(function (regs) { return Promise.all(regs.map(function (r) { return r.unregister(); })); }));
      }
      try { localStorage.clear(); sessionStorage.clear(); } catch (e) { /* storage may be off */ }
      Promise.all(jobs).then(function () { location.replace(forget.getAttribute("data-exit")); });
    });
  }
})();
