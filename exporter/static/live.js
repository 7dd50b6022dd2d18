// Keeps the landing page's cards current without a reload: /events sends the card
// values of every new state (exporter/events.py). The browser's EventSource reconnects
// by itself after a dropped connection or a restart of the server (the stream's retry
// hint); a refused stream (HTTP 503 when too many are open) is retried here.
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

  if (window.EventSource) connect();
})();
