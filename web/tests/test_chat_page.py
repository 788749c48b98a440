"""The chat page: a signed-in user's earlier conversation is rendered on the server, escaped, with its cards."""

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils.html import escape

from testing.factories import PASSWORD, ChatMessageFactory, ChatSessionFactory, UserFactory, small_catalogue_build
from web.views.chat import CHAT_EXAMPLES

pytestmark = pytest.mark.django_db


def test_chat_page_renders_my_session_with_cards_and_chips(user):
    rooms = small_catalogue_build(embed=False)
    hospital, doll = rooms["폐병원 403호"], rooms["저주받은 인형"]
    session = ChatSessionFactory(user=user, title="강남 공포", state={"region": "강남", "genres": ["공포"]})
    ChatMessageFactory(session=session, role="user", text="<img src=x onerror=alert(1)> 강남 공포")
    reply = ChatMessageFactory(
        session=session, role="assistant", text="골라 봤어요", recommended_room_ids=[doll.id, hospital.id]
    )
    client = Client()
    client.force_login(user)

    response = client.get("/", {"session": str(session.id)})

    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt; 강남 공포" in html
    assert "<img src=x" not in html
    assert f'data-session-id="{session.id}"' in html
    cards = [room.id for room in response.context["history"][1]["rooms"]]
    assert cards == [doll.id, hospital.id]
    # The card links to the plain room page; following it is reported by a POST beacon, never by the GET.
    assert f'href="/rooms/{doll.id}/" data-recommendation="{reply.id}"' in html
    assert "?from=" not in html
    assert 'data-click-url="/rooms/0/click"' in html
    assert response.context["state"]["region"] == "강남"
    assert '"genres": ["\\uacf5\\ud3ec"]' in html  # the chips' state, as JSON the page script reads


def test_someone_elses_session_is_a_fresh_chat(user):
    other = UserFactory(username="other", email="o@example.com")
    session = ChatSessionFactory(user=other, title="비밀")
    ChatMessageFactory(session=session, role="user", text="비밀 이야기")
    client = Client()
    client.force_login(user)

    html = client.get("/", {"session": str(session.id)}).content.decode()

    assert "비밀 이야기" not in html
    assert 'data-session-id=""' in html
    assert "어떤 방탈출을 찾고 있나요?" in html


def test_guests_see_the_chat_with_a_login_prompt_and_no_socket_script():
    """The signed-out page said "연결 중…" forever and its example buttons did nothing."""
    html = Client().get("/").content.decode()

    assert "대화를 시작하려면 로그인해 주세요." in html
    assert "js/chat.js" not in html
    assert "연결 중" not in html and "로그인하면 대화할 수 있어요" in html
    # Each example is a link to log in that comes back to the chat with the example ready to send.
    for label, message in CHAT_EXAMPLES:
        next_url = "/?" + urlencode({"ask": message})
        assert f'href="/login/?{escape(urlencode({"next": next_url}))}"' in html, label


def test_an_example_picked_before_logging_in_waits_in_the_box(user):
    _label, message = CHAT_EXAMPLES[0]
    client = Client()
    login = client.get("/login/", {"next": "/?" + urlencode({"ask": message})})
    assert login.status_code == 200
    response = client.post(
        "/login/", {"username": user.username, "password": PASSWORD, "next": "/?" + urlencode({"ask": message})}
    )
    assert response.status_code == 302 and response["Location"] == "/?" + urlencode({"ask": message})
    html = client.get(response["Location"]).content.decode()
    assert f">{message}</textarea>" in html  # filled in, never sent by itself
    assert Client().get("/", {"ask": "<b>x</b>"}).content.decode().count("<b>x</b>") == 0  # guests: nothing echoed


def test_the_last_replys_chips_come_back_with_the_page(user):
    session = ChatSessionFactory(
        user=user,
        state={
            "region": None,
            "suggestions": [{"label": "강남", "message": "강남"}, {"label": "<i>x</i>", "message": "x"}],
        },
    )
    ChatMessageFactory(session=session, role="user", text="추천해줘")
    ChatMessageFactory(session=session, role="assistant", text="어느 지역에서 찾을까요?")
    client = Client()
    client.force_login(user)
    html = client.get("/", {"session": str(session.id)}).content.decode()
    assert 'data-suggestion="강남">강남</button>' in html
    assert "&lt;i&gt;x&lt;/i&gt;" in html and "<i>x</i>" not in html


@pytest.mark.parametrize(("label", "message"), CHAT_EXAMPLES)
def test_the_welcome_examples_get_rooms_or_a_question_about_where(user, label, message):
    from chat.services import conversation_reply

    small_catalogue_build(embed=False)
    result = conversation_reply(user=user, session_id=None, text=message)
    assert result.intent == "room_recommendation"
    # Rooms, or a question (where?) or a way out (chips): never a dead end without a next step.
    assert result.rooms or result.suggestions
