// Keeps the landing page's cards and computation table current without a reload:
// /events sends their values for every new state (exporter/events.py). The browser's
// EventSource reconnects by itself after a dropped connection or a restart of the
// server (the stream's retry hint); a refused stream (HTTP 503 when too many are open)
// is retried here.
"use strict";

(function () {
  var RETRY_AFTER_REFUSAL_MS = 15000;
  var pill = document.getElementById("live");

  function show(live) {
    if (!pill) return;
    pill.hidden = false;
    pill.className = "pill " + (live ? "live" : "off");
    pill.textContent = live ? "live" : "reconnecting";
  }

  function apply(values) {
    var readiness = document.getElementById("readiness");
    if (readiness) {
      readiness.className = "pill " + (values.ready ? "ok" : "wait");
      readiness.textContent = values.ready ? "ready" : "warming up";
    }
    Object.keys(values.cards).forEach(function (key) {
      var card = document.getElementById("card-" + key);
      if (!card) return;
      var v = values.cards[key];
      card.querySelector(".value").textContent = v.value;
      card.querySelector(".detail").textContent = v.detail;
      card.className = "card " + v.status;
      card.setAttribute("data-status", v.status);
    });
    applyGroups(values.groups);
  }

  // The "… ago" of a last success, as the server words it (exporter/landing.py _ago).
  function ago(iso) {
    if (!iso) return "never";
    var seconds = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 120) return seconds + "s ago";
    if (seconds < 7200) return Math.floor(seconds / 60) + " min ago";
    return Math.floor(seconds / 3600) + " h ago";
  }

  function age() {
    document.querySelectorAll("td.success[data-success]").forEach(function (cell) {
      cell.textContent = ago(cell.getAttribute("data-success"));
    });
  }

  function applyGroups(groups) {
    Object.keys(groups || {}).forEach(function (name) {
      var row = document.getElementById("group-" + name);
      if (!row) return;
      var g = groups[name];
      var success = row.querySelector("td.success");
      success.setAttribute("data-success", g.success || "");
      success.title = g.success || "";
      row.querySelector("td.evaluated").textContent = g.evaluated_at || "\u2013";
      row.querySelector("td.failures").textContent = g.failures;
      var error = row.lastElementChild;
      error.textContent = g.error || "";
      error.className = g.error ? "error" : "";
    });
    age();
  }

  function connect() {
    var source = new EventSource("/events");
    source.onopen = function () { show(true); };
    source.onmessage = function (event) { apply(JSON.parse(event.data)); };
    source.onerror = function () {
      show(false);
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, RETRY_AFTER_REFUSAL_MS);
      }
    };
  }

  if (window.EventSource) {
    connect();
    setInterval(age, 5000);
  }
})();
