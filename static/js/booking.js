// Booking links (a.js-book, with data-room-id and optional data-slot-id and data-message-id) report a click
// before the browser follows them: a POST beacon to /rooms/<id>/booking-click with the CSRF token (never a GET
// with a side effect), which survives the navigation. Loaded only for signed-in users (see base.html).
(function () {
  "use strict";

  var script = document.getElementById("booking-beacon");
  if (!script || !navigator.sendBeacon) return;
  var urlTemplate = script.getAttribute("data-url"); // the beacon URL of room 0: the id replaces the 0
  var csrf = script.getAttribute("data-csrf") || "";
  var digits = /^[1-9][0-9]{0,17}$/;

  function report(link) {
    var roomId = link.getAttribute("data-room-id") || "";
    if (!urlTemplate || !digits.test(roomId)) return;
    var body = new FormData();
    ["message-id", "slot-id"].forEach(function (name) {
      var value = link.getAttribute("data-" + name);
      if (value && digits.test(value)) body.append(name.replace("-", "_"), value);
    });
    body.append("csrfmiddlewaretoken", csrf);
    navigator.sendBeacon(urlTemplate.replace(/\/0\/([^/]*)$/, "/" + roomId + "/$1"), body);
  }

  function onClick(event) {
    // Left click, middle click (a new tab), keyboard activation: every way of following the link.
    if (event.type === "auxclick" && event.button !== 1) return;
    var link = event.target.closest ? event.target.closest("a.js-book") : null;
    if (link) report(link);
  }

  // Delegated on the document: cards the chat adds later are covered too. The default action is left alone.
  document.addEventListener("click", onClick, true);
  document.addEventListener("auxclick", onClick, true);
})();
