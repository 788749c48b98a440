// The chat page's party picker: picking a party puts the next message in party mode (chat.js sends the
// data-party-id this sets); "혼자" removes the party from the dialogue state through its chip. The picker follows
// the state the server sends (chat.js dispatches "chat:state" after each one).
(function () {
  "use strict";

  var root = document.getElementById("chat");
  var picker = document.getElementById("party-picker");
  if (!root || !picker) return;
  var hint = document.getElementById("party-hint");

  function say(text) {
    if (hint) hint.textContent = text || "";
  }

  function nameOf(id) {
    var option = picker.querySelector('option[value="' + String(id) + '"]');
    return option ? option.textContent : "";
  }

  picker.addEventListener("change", function () {
    var id = picker.value;
    if (id) {
      root.setAttribute("data-party-id", id);
      say("다음 메시지부터 '" + nameOf(id) + "' 파티 기준으로 추천해요.");
      return;
    }
    root.removeAttribute("data-party-id");
    var chip = document.querySelector('#chips .chip[data-slot="party"]');
    if (chip) chip.click(); // the server drops the party from the state; the chips redraw from its answer
    say("");
  });

  root.addEventListener("chat:state", function (event) {
    if (root.hasAttribute("data-party-id")) return; // a pick not sent yet wins
    var party = (event.detail || {}).party;
    picker.value = party && nameOf(party.id) ? String(party.id) : "";
    if (party) say("");
  });

  if (root.getAttribute("data-party-id")) say("다음 메시지부터 '" + nameOf(picker.value) + "' 파티 기준으로 추천해요.");
})();
