// The chat page: one WebSocket to /ws/chat/, replies streamed token by token, recommendation cards,
// removable condition chips, and reconnection that keeps the conversation. Every piece of user or
// model text goes into the page through textContent, never as HTML.
(function () {
  "use strict";

  var root = document.getElementById("chat");
  if (!root) return;

  var log = document.getElementById("chat-log");
  var form = document.getElementById("composer");
  var input = document.getElementById("chat-input");
  var sendButton = document.getElementById("chat-send");
  var chipList = document.getElementById("chips");
  var conn = document.getElementById("conn");
  var roomUrlTemplate = root.getAttribute("data-room-url"); // the detail URL of room 0: the id replaces the 0
  var clickUrlTemplate = root.getAttribute("data-click-url"); // where a followed recommendation is reported
  var wsPath = root.getAttribute("data-ws-path") || "/ws/chat/";

  var sessionId = parseInt(root.getAttribute("data-session-id") || "", 10) || null;
  var socket = null;
  var retryDelay = 500;
  var outbox = []; // frames written while the socket was down; sent in order on reconnect
  var current = null; // the assistant turn being streamed: {row, bubble, typing, text}
  var state = readJson("chat-state") || {};
  var removing = null; // the label of a chip whose removal the server has not confirmed yet

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return null;
    }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function setConn(stateName, label) {
    conn.setAttribute("data-state", stateName);
    conn.textContent = label;
  }

  // ---- rendering ---------------------------------------------------------------------------
  function meter(value, kind, label) {
    var level = Math.max(0, Math.min(5, parseInt(value, 10) || 0));
    var symbol = kind === "fear" ? "♥" : "●";
    var wrap = el("span", "meter meter--" + kind);
    wrap.setAttribute("role", "img");
    wrap.setAttribute("aria-label", label + " " + level + "/5");
    for (var i = 0; i < 5; i++) wrap.appendChild(el("span", i < level ? "meter__on" : "meter__off", symbol));
    return wrap;
  }

  function won(value) {
    var n = parseInt(value, 10);
    return isNaN(n) ? "" : n.toLocaleString("ko-KR") + "원";
  }

  function roomUrl(id) {
    return roomUrlTemplate.replace(/0(\/?)$/, String(id) + "$1");
  }

  // A followed recommendation is a POST (never a GET with a side effect): a beacon survives the navigation.
  function reportClick(link) {
    var messageId = link.getAttribute("data-recommendation");
    var card = link.closest(".room-card");
    if (!messageId || !card || !clickUrlTemplate || !navigator.sendBeacon) return;
    var body = new FormData();
    body.append("message_id", messageId);
    body.append("csrfmiddlewaretoken", root.getAttribute("data-csrf") || "");
    navigator.sendBeacon(clickUrlTemplate.replace(/0(\/?[^/]*)$/, card.getAttribute("data-room-id") + "$1"), body);
  }

  // Mirrors templates/rooms/_card.html.
  function roomCard(room, messageId) {
    var card = el("article", "room-card");
    card.setAttribute("data-room-id", room.id);
    var head = el("div", "room-card__head");
    var titleBox = el("div");
    var title = el("h3", "room-card__name");
    var link = el("a", null, room.name);
    link.href = roomUrl(room.id);
    if (messageId) link.setAttribute("data-recommendation", messageId);
    title.appendChild(link);
    titleBox.appendChild(title);
    var store = room.store || {};
    titleBox.appendChild(el("p", "room-card__store", store.name || ""));
    head.appendChild(titleBox);
    if (room.review_count) {
      var rating = el("span", "rating");
      rating.setAttribute("role", "img");
      var ratingValue = Number(room.rating || 0).toFixed(1);
      rating.setAttribute("aria-label", "평점 " + ratingValue + "/5");
      var star = el("span", "rating__star", "★");
      star.setAttribute("aria-hidden", "true");
      rating.appendChild(star);
      var ratingText = el("span", null, ratingValue);
      ratingText.setAttribute("aria-hidden", "true");
      rating.appendChild(ratingText);
      head.appendChild(rating);
    } else {
      head.appendChild(el("span", "rating rating--none", "후기 없음"));
    }
    card.appendChild(head);
    // The spoiler-free review summary in one line (text only: el() sets textContent).
    if (room.summary_line) card.appendChild(el("p", "room-card__summary", room.summary_line));

    var tags = el("ul", "tags");
    tags.setAttribute("aria-label", "지역과 장르");
    tags.appendChild(el("li", "tag tag--region", room.region || store.region || ""));
    (room.genres || []).forEach(function (genre) {
      tags.appendChild(el("li", "tag tag--genre-" + genre, genre));
    });
    card.appendChild(tags);

    var meters = el("div", "room-card__meters");
    var d = el("span", null, "난이도 ");
    d.appendChild(meter(room.difficulty, "difficulty", "난이도"));
    var f = el("span", null, "공포도 ");
    f.appendChild(meter(room.fear, "fear", "공포도"));
    meters.appendChild(d);
    meters.appendChild(f);
    card.appendChild(meters);

    var facts = el("ul", "room-card__facts");
    var party = room.min_players === room.max_players ? room.min_players + "인" : room.min_players + "-" + room.max_players + "인";
    facts.appendChild(el("li", null, party));
    facts.appendChild(el("li", null, room.duration_minutes + "분"));
    if (room.review_count) facts.appendChild(el("li", null, "후기 " + room.review_count + "개"));
    card.appendChild(facts);

    var foot = el("div", "room-card__foot");
    var price = el("span", "room-card__price", won(room.price) + " ");
    price.appendChild(el("span", "muted", "/ 1인"));
    foot.appendChild(price);
    var booking = room.booking_url || store.booking_url;
    if (booking && /^https?:\/\//i.test(booking)) {
      // static/js/booking.js reports the click (a.js-book with the room and the recommendation).
      var book = el("a", "room-card__book js-book", "예약하기 ›");
      book.href = booking;
      book.setAttribute("data-room-id", room.id);
      if (messageId) book.setAttribute("data-message-id", messageId);
      book.target = "_blank";
      book.rel = "noopener noreferrer";
      foot.appendChild(book);
    }
    // With a time asked: up to three open slots, each a link to its booking page (as templates/rooms/_card.html).
    var slots = (room.slots || []).filter(function (slot) {
      return slot && /^https?:\/\//i.test(slot.booking_url || "");
    });
    if (slots.length) {
      var slotList = el("ul", "room-card__slots");
      slotList.setAttribute("aria-label", "예약 가능한 회차");
      slots.forEach(function (slot) {
        var item = el("li");
        var a = el("a", "room-card__slot js-book", slot.label || slot.starts_at);
        a.href = slot.booking_url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.setAttribute("data-room-id", room.id);
        a.setAttribute("data-slot-id", slot.id);
        item.appendChild(a);
        slotList.appendChild(item);
      });
      card.appendChild(slotList);
    }
    card.appendChild(foot);
    return card;
  }

  function renderCards(row, rooms, messageId) {
    var old = row.querySelector(".rec-list");
    if (old) old.remove();
    if (!rooms || !rooms.length) return;
    var list = el("ul", "rec-list");
    list.setAttribute("aria-label", "추천 테마");
    rooms.forEach(function (room) {
      var item = el("li");
      item.appendChild(roomCard(room, messageId));
      list.appendChild(item);
    });
    row.appendChild(list);
  }

  var SLOT_LABELS = {
    region: function (v) {
      return "지역 " + v;
    },
    genres: function (v) {
      return "장르 " + v;
    },
    exclude_genres: function (v) {
      return v + " 제외";
    },
    players: function (v) {
      return v + "명";
    },
    difficulty: function (v) {
      if (Array.isArray(v)) return "난이도 " + range(v, 1, 5);
      return "난이도 " + ({ easy: "쉬움", normal: "보통", hard: "어려움" }[v] || v);
    },
    fear: function (v) {
      if (Array.isArray(v)) return "공포도 " + range(v, 0, 5);
      return { low: "안 무서운", mid: "조금 무서운", high: "아주 무서운" }[v] || "공포도 " + v;
    },
    activity: function (v) {
      return { high: "활동적인", low: "앉아서 푸는" }[v] || "활동성 " + v;
    },
    max_price: function (v) {
      return won(v) + " 이하";
    },
    party: function (v) {
      return "파티 " + v.name + " · " + v.size + "명";
    },
    when: function (v) {
      return v.label || "";
    },
  };

  // A [low, high] range a relative change left ("좀 더 쉬운 거" → [1, 2]): "2 이하", "3 이상", "2~3".
  function range(bounds, lowest, highest) {
    var low = bounds[0];
    var high = bounds[1];
    if (low <= lowest) return high + " 이하";
    if (high >= highest) return low + " 이상";
    return low + "~" + high;
  }

  // The chips show the dialogue state the server keeps; a click asks the server to drop that
  // condition, and the chips redraw from the state it sends back.
  function renderChips(next) {
    state = next || {};
    chipList.textContent = "";
    Object.keys(SLOT_LABELS).forEach(function (slot) {
      var value = state[slot];
      if (value === null || value === undefined || value === "") return;
      // genres and exclude_genres are lists of chips; a difficulty or fear range is one chip.
      var values = Array.isArray(value) && (slot === "genres" || slot === "exclude_genres") ? value : [value];
      values.forEach(function (item) {
        if (item === null || item === undefined || item === "") return;
        var text = SLOT_LABELS[slot](item);
        var li = el("li");
        var chip = el("button", "chip");
        chip.type = "button";
        chip.setAttribute("data-slot", slot);
        chip.setAttribute("data-value", String(item));
        chip.setAttribute("aria-label", text + " 조건 삭제");
        chip.appendChild(el("span", null, text));
        var x = el("span", "chip__x", "✕");
        x.setAttribute("aria-hidden", "true");
        chip.appendChild(x);
        var listSlot = slot === "genres" || slot === "exclude_genres";
        chip.addEventListener("click", function () {
          chip.disabled = true;
          removing = text;
          send({ type: "state.remove", slot: slot, value: listSlot ? item : null, session_id: sessionId });
        });
        li.appendChild(chip);
        chipList.appendChild(li);
      });
    });
    chipList.hidden = !chipList.children.length;
    root.dispatchEvent(new CustomEvent("chat:state", { detail: state })); // the party picker follows (chat_party.js)
  }

  // What to say next, as chips under the reply ("홍대로", "인원 상관없이", which room was meant): a click sends it.
  function renderSuggestions(row, suggestions) {
    if (!row || !suggestions || !suggestions.length) return;
    var box = el("div", "suggestions");
    box.setAttribute("aria-label", "이어서 말하기");
    suggestions.forEach(function (suggestion) {
      if (!suggestion || !suggestion.message) return;
      var chip = el("button", "chip chip--suggest", suggestion.label || suggestion.message);
      chip.type = "button";
      chip.setAttribute("data-suggestion", suggestion.message);
      box.appendChild(chip);
    });
    row.appendChild(box);
  }

  // Older chips answered an older question: they go once the conversation moves on.
  function clearSuggestions() {
    log.querySelectorAll(".suggestions").forEach(function (box) {
      box.remove();
    });
  }

  function addUserBubble(text) {
    removeWelcome();
    var row = el("div", "bubble-row bubble-row--user");
    row.appendChild(el("p", "bubble bubble--user", text));
    log.appendChild(row);
  }

  function startAssistantTurn() {
    var row = el("div", "bubble-row bubble-row--assistant");
    var typing = el("div", "bubble bubble--assistant typing");
    typing.setAttribute("aria-label", "답변을 쓰는 중");
    typing.setAttribute("role", "status");
    typing.id = "typing";
    for (var i = 0; i < 3; i++) typing.appendChild(el("span"));
    row.appendChild(typing);
    log.appendChild(row);
    current = { row: row, typing: typing, bubble: null, text: "" };
    scrollToEnd();
  }

  function ensureBubble() {
    if (!current) startAssistantTurn();
    if (!current.bubble) {
      current.typing.remove();
      current.bubble = el("p", "bubble bubble--assistant");
      current.bubble.setAttribute("aria-busy", "true");
      current.row.insertBefore(current.bubble, current.row.firstChild);
    }
    return current.bubble;
  }

  function finishTurn(errorText) {
    if (current) {
      if (errorText) {
        var bubble = ensureBubble();
        if (current.text) bubble.appendChild(el("span", "muted", "\n" + errorText));
        else {
          bubble.textContent = errorText;
          bubble.classList.add("bubble--error");
        }
      }
      if (current.typing.parentNode) current.typing.remove();
      if (current.bubble) current.bubble.setAttribute("aria-busy", "false");
    }
    current = null;
    setBusy(false);
  }

  function removeWelcome() {
    var welcome = document.getElementById("welcome");
    if (welcome) welcome.remove();
  }

  function setBusy(busy) {
    sendButton.disabled = busy;
    root.setAttribute("data-busy", busy ? "true" : "false");
  }

  function rememberSession(id) {
    if (!id || id === sessionId) return;
    sessionId = id;
    root.setAttribute("data-session-id", String(id));
    // A reload (or a reconnect) comes back to the same conversation.
    var url = new URL(window.location.href);
    url.searchParams.set("session", String(id));
    window.history.replaceState(null, "", url.toString());
  }

  // ---- the socket --------------------------------------------------------------------------
  function onFrame(frame) {
    if (frame.session_id) rememberSession(frame.session_id);
    switch (frame.type) {
      case "token":
        var bubble = ensureBubble();
        current.text += frame.text || "";
        bubble.textContent = current.text;
        scrollToEnd();
        break;
      case "recommendations":
        ensureBubble();
        renderCards(current.row, frame.rooms, frame.message_id);
        scrollToEnd();
        break;
      case "state":
        renderChips(frame.state);
        if (removing) {
          showNotice("‘" + removing + "’ 조건을 뺐어요. 다음 추천부터 반영돼요.", "info");
          removing = null;
        }
        break;
      case "done":
        if (current) {
          current.row.setAttribute("data-message-id", frame.message_id || "");
          current.row.querySelectorAll(".room-card__name a").forEach(function (a) {
            if (frame.message_id) a.setAttribute("data-recommendation", frame.message_id);
          });
          // The booking links report the recommendation they came from (static/js/booking.js).
          current.row.querySelectorAll("a.js-book").forEach(function (a) {
            if (frame.message_id) a.setAttribute("data-message-id", frame.message_id);
          });
          renderSuggestions(current.row, frame.suggestions);
        }
        // The conditions this turn left in the dialogue state become the chips.
        send({ type: "state.get", session_id: frame.session_id || sessionId });
        finishTurn(null);
        input.focus();
        break;
      case "error":
        if (current) finishTurn(frame.message || "잠시 후 다시 시도해 주세요.");
        else showNotice(frame.message || "잠시 후 다시 시도해 주세요.", "error");
        removing = null;
        renderChips(state);
        break;
      default:
        break;
    }
  }

  function showNotice(text, kind) {
    var row = el("div", "bubble-row bubble-row--notice");
    row.appendChild(el("p", "notice notice--" + kind, text));
    log.appendChild(row);
    scrollToEnd();
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    setConn("connecting", "연결 중…");
    socket = new WebSocket(scheme + window.location.host + wsPath);
    socket.addEventListener("open", function () {
      retryDelay = 500;
      setConn("open", "연결됨");
      // Ask for the current conditions of a resumed conversation, then send what waited.
      if (sessionId) socket.send(JSON.stringify({ type: "state.get", session_id: sessionId }));
      while (outbox.length && socket.readyState === WebSocket.OPEN) socket.send(outbox.shift());
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      onFrame(frame);
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      // The server stores a reply before streaming it: a reload (or 내 정보 › 내 대화) shows all of it.
      if (current) finishTurn("연결이 끊겨 답변을 끝까지 받지 못했어요. 다시 연결되면 새로고침해 주세요.");
      if (event.code === 4401 || event.code === 4403) {
        setConn("closed", "로그인이 필요해요");
        return;
      }
      setConn("connecting", "다시 연결하는 중…");
      window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 8000);
    });
  }

  function send(frame) {
    var data = JSON.stringify(frame);
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(data);
    else outbox.push(data);
  }

  // Exposed for the browser tests, which drop the connection on purpose.
  root.chatDebug = {
    drop: function () {
      if (socket) socket.close();
    },
  };

  // ---- the composer ------------------------------------------------------------------------
  function submit(text) {
    text = (text || "").trim();
    if (!text || root.getAttribute("data-busy") === "true") return;
    clearSuggestions();
    addUserBubble(text);
    startAssistantTurn(); // the typing indicator shows before the network is involved
    setBusy(true);
    send({ message: text, session_id: sessionId, party_id: takePartyId() });
    input.value = "";
    autosize();
  }

  // A party picked on the page (chat_party.js sets data-party-id) goes with the next message only: from then on
  // the server keeps it in the dialogue state.
  function takePartyId() {
    var id = parseInt(root.getAttribute("data-party-id") || "", 10) || null;
    root.removeAttribute("data-party-id");
    return id;
  }

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 140) + "px";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit(input.value);
  });
  input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter breaks the line; never while a Korean IME is still composing.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit(input.value);
    }
  });
  input.addEventListener("input", autosize);
  // Left, middle and keyboard clicks on a recommended room's name (cards of earlier turns included).
  log.addEventListener("click", function (event) {
    var chip = event.target.closest && event.target.closest("[data-suggestion]");
    if (chip) submit(chip.getAttribute("data-suggestion"));
  });
  ["click", "auxclick"].forEach(function (kind) {
    log.addEventListener(kind, function (event) {
      var link = event.target.closest && event.target.closest("a[data-recommendation]");
      if (link) reportClick(link);
    });
  });
  document.querySelectorAll("[data-example]").forEach(function (button) {
    button.addEventListener("click", function () {
      submit(button.getAttribute("data-example"));
    });
  });

  renderChips(state);
  scrollToEnd();
  // An example picked before logging in waits in the box, ready to send.
  if (input.value) {
    autosize();
    input.focus();
  }
  connect();
})();
