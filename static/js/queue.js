/* Tips kept on this phone until they can be sent (IndexedDB). Used by the page and by the
   service worker; each tip carries a client-made idempotency key, so however often it is
   sent the server stores it once. */
(function (root) {
  "use strict";
  var DB = "haven", STORE = "tips", running = null;

  function db() {
    return new Promise(function (resolve, reject) {
      var req = root.indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "key" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function run(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(STORE, mode), out = fn(t.objectStore(STORE));
        t.oncomplete = function () { d.close(); resolve(out && "result" in out ? out.result : undefined); };
        t.onerror = function () { d.close(); reject(t.error); };
      });
    });
  }

  function newKey() {
    var bytes = new Uint8Array(18);
    root.crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_");
  }

  function send(item) {
    var body = new FormData();
    item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    (item.photos || []).forEach(function (p) { body.append("photos", p.blob, p.name); });
    body.set("idempotency_key", item.key);
    return fetch(item.action, {
      method: "POST", body: body, credentials: "omit",
      headers: { "Idempotency-Key": item.key, "Accept": "application/json" }
    }).then(function (resp) {
      if (resp.status === 200 || resp.status === 201) {
        return resp.json().then(function (data) {
          item.state = "sent"; item.receipt = data.receipt; item.photos = []; item.fields = [];
          return run("readwrite", function (s) { return s.put(item); });
        });
      }
      if (resp.status >= 400 && resp.status < 500 && resp.status !== 429) {
        item.state = "refused"; item.status = resp.status;
        return run("readwrite", function (s) { return s.put(item); });
      }
      // 429 or 5xx (a server without a key answers 503 every time): kept, tried again
      // later, and marked so the page says it has not gone yet.
      item.failed = resp.status;
      return run("readwrite", function (s) { return s.put(item); });
    });
  }

  var Q = {
    newKey: newKey,
    add: function (item) { item.state = "queued"; return run("readwrite", function (s) { return s.put(item); }); },
    all: function () { return run("readonly", function (s) { return s.getAll(); }); },
    remove: function (key) { return run("readwrite", function (s) { return s.delete(key); }); },
    flush: function () {
      if (running) { return running; }
      running = Q.all().then(function (items) {
        return items.filter(function (i) { return i.state === "queued"; })
          .reduce(function (p, item) {
            return p.then(function () { return send(item).catch(function () { return null; }); });
          }, Promise.resolve());
      }).then(function () { running = null; }, function () { running = null; });
      return running;
    }
  };
  root.HavenQueue = Q;
})(self);
