"""The live server the contract tests share: uvicorn on loopback, on the test database (testing/live_server.py)."""

import urllib.request

import pytest

from testing.live_server import asgi_server_running

# A fuzzer is a brute-force attacker by design: the auth, chat, import and join scopes and the login guard are raised
# for this server only. The default anon/user throttles stay as the test settings set them.
CONTRACT_SERVER_ENV = {
    "THROTTLE_AUTH": "100000/min",
    "THROTTLE_CHAT": "100000/min",
    "THROTTLE_PLAYS_IMPORT": "100000/min",
    "THROTTLE_PARTY_JOIN": "100000/min",
    "LOGIN_FAILURE_LIMIT": "100000",
    "LLM_PROVIDER": "local",
}


@pytest.fixture(scope="session")
def contract_server(django_db_setup, django_db_blocker):
    with asgi_server_running(log_name="contract-tests", extra_env=CONTRACT_SERVER_ENV) as url:
        # The first search loads the Korean analyser and the sentence encoder (seconds): not the API's pace.
        search = f"{url}/rooms/search?q=%EA%B3%B5%ED%8F%AC"
        request = urllib.request.Request(search, headers={"Accept": "application/json"})  # noqa: S310 (loopback)
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            assert response.status == 200
        yield url
