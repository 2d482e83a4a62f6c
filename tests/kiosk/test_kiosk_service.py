"""kiosk/service.py: presses, cool-down, reasons, the closed and waiting views, PINs and duty, listeners."""
from __future__ import annotations

import json
import threading

import pytest

from kiosk.outbox import ConfigCache, Outbox
from kiosk.service import ANSWER_SETTLE_S, REASONS_GRACE_S, TRACKING_S, KioskService, PressResult, SignInResult
from kiosk.tracking import tracking_code

from .kiosk_support import PIN_AN, PIN_BINH, central_config


class Clock:
    """Wall clock and monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def make(tmp_path, clock, config=None) -> KioskService:
    service = KioskService(Outbox(tmp_path / "outbox.db"), ConfigCache(tmp_path), clock=clock, monotonic=clock)
    if config is not False:
        service.apply_config(central_config() if config is None else config)
    return service


@pytest.fixture
def service(tmp_path, clock):
    s = make(tmp_path, clock)
    yield s
    s.close()


def test_service_idle_state_shows_desk_officer_scale(service):
    state = service.screen_state()
    assert state["view"] == "idle"
    assert state["desk"]["name"] == "Quầy 2 — Đất đai"
    assert state["officer"] == {"id": 12, "code": "MT-012", "name": "Nguyễn Văn An",
                                "title": "Công chức địa chính", "photo_url": None}
    assert [o["id"] for o in state["officers"]] == [12, 13]
    assert [level["score"] for level in state["scale"]["levels"]] == [1, 2, 3]
    assert [r["code"] for r in state["reasons"]] == ["slow", "attitude", "bribe", "other"]
    assert state["settings"] == {"cooldown_s": 5.0, "thanks_s": 4.0, "reasons_timeout_s": 20.0,
                                 "tracking_s": float(TRACKING_S), "languages": ["vi", "en"]}
    assert state["public_board_url"] == "https://danhgia.example.gov.vn/cong-khai"
    assert state["cooldown_left_s"] == 0 and state["pin_locked_for_s"] == 0
    json.dumps(state)


def test_service_state_never_carries_pin_hashes(service):
    assert "pin_hash" not in json.dumps(service.screen_state())
    assert "scrypt" not in json.dumps(service.screen_state())


def test_service_press_is_in_outbox_before_it_returns(service):
    result = service.press(3, "touch")
    assert result == PressResult(True, result.rating_id, False, None, 5.0, tracking_code(result.rating_id))
    [item] = service.outbox.sendable_ratings(service._clock(), 10)
    assert (item["id"], item["score"], item["officer_id"], item["source"], item["seq"]) == (
        result.rating_id, 3, 12, "touch", 1)
    assert item["created_at"][-6] in "+-"  # an offset, as the protocol asks
    assert service.pending_count() == 1


def test_service_presses_inside_cooldown_are_ignored_and_counted(service, clock):
    assert service.press(3, "touch").recorded
    clock.now += 2
    ignored = service.press(2, "button")
    assert ignored == PressResult(False, None, False, "cooldown", 3.0)
    assert service.screen_state()["cooldown_left_s"] == 3.0
    clock.now += 3
    assert service.press(2, "button").recorded
    assert service.outbox.get_meta("ignored_presses") == 1
    assert service.pending_count() == 2


def test_service_concurrent_presses_inside_cooldown_record_one(service):
    results: list[PressResult] = []
    threads = [threading.Thread(target=lambda: results.append(service.press(3, "button"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.recorded for r in results) == 1
    assert service.outbox.get_meta("ignored_presses") == 7


@pytest.mark.parametrize("score", [0, 4, -1, True, "3", 2.0, None, 10**30])
def test_service_bad_score_is_ignored(service, score):
    assert service.press(score, "touch") == PressResult(False, None, False, "bad_score", 0.0)
    assert service.pending_count() == 0


def test_service_bad_source_is_a_programming_error(service):
    with pytest.raises(ValueError):
        service.press(3, "keyboard")


def test_service_waiting_before_any_config(tmp_path, clock):
    service = make(tmp_path, clock, config=False)
    assert service.screen_state()["view"] == "waiting"
    assert service.press(3, "touch").ignored == "waiting"
    assert service.pending_count() == 0
    service.close()


def test_service_comes_back_with_the_cached_config(tmp_path, clock):
    make(tmp_path, clock).close()
    service = make(tmp_path, clock, config=False)
    assert service.screen_state()["view"] == "idle"
    service.close()


def test_service_closed_without_officer(tmp_path, clock):
    service = make(tmp_path, clock, central_config(on_duty=None))
    assert service.screen_state()["view"] == "closed"
    assert service.screen_state()["officer"] is None
    assert service.press(3, "touch").ignored == "closed"
    service.close()


def test_service_accepts_without_officer_when_the_central_says_so(tmp_path, clock):
    service = make(tmp_path, clock, central_config(on_duty=None, accept_without_officer=True))
    assert service.screen_state()["view"] == "idle"
    result = service.press(2, "touch")
    assert result.recorded
    assert service.outbox.sendable_ratings(clock.now, 1)[0]["officer_id"] is None
    service.close()


@pytest.mark.parametrize("config", [None, [], {}, {"scale": {"levels": []}},
                                    {**central_config(), "officers": [{"name": "x"}]},
                                    {**central_config(), "reasons": "slow"},
                                    {**central_config(), "on_duty": {"officer": 12}},
                                    {**central_config(), "settings": None}])
def test_service_malformed_config_is_refused_and_the_old_stays(service, config):
    with pytest.raises(ValueError):
        service.apply_config(config)
    assert service.screen_state()["view"] == "idle"


def test_service_low_score_asks_reasons_and_waits(service, clock):
    result = service.press(1, "touch")
    assert result.recorded and result.ask_reasons
    assert service.outbox.sendable_ratings(clock.now, 10) == []
    assert service.pending_count() == 1
    assert service.give_reasons(result.rating_id, ["slow", "bribe", "slow"])
    [item] = service.outbox.sendable_ratings(clock.now, 10)
    assert item["reasons"] == ["slow", "bribe"]
    assert not service.give_reasons(result.rating_id, ["attitude"])


@pytest.mark.parametrize("codes", [["slow", "nope"], "slow", [1], None, [None]])
def test_service_bad_reasons_store_nothing(service, clock, codes):
    result = service.press(1, "touch")
    assert not service.give_reasons(result.rating_id, codes)
    assert service.outbox.sendable_ratings(clock.now, 10) == []
    assert service.give_reasons(result.rating_id, ["other"])


@pytest.mark.parametrize("rating_id", ["7d0c3c1e-4f7b-4d43-9a55-1f7f0d3c2b11", "", None, 5])
def test_service_reasons_for_unknown_rating_refused(service, rating_id):
    assert not service.give_reasons(rating_id, ["slow"])


def test_service_reasons_after_timeout_refused_and_sent_without(service, clock):
    result = service.press(1, "touch")
    # The screen's 20 s and the grace in which a screen whose send failed may ask again.
    clock.now += 20 + REASONS_GRACE_S
    assert not service.give_reasons(result.rating_id, ["slow"])
    assert service.outbox.sendable_ratings(clock.now, 10)[0]["reasons"] == []


def test_service_high_score_asks_no_reasons(service):
    assert not service.press(2, "touch").ask_reasons


def test_service_listeners_hear_ratings_and_state(service):
    events: list[dict] = []
    service.add_listener(events.append)
    result = service.press(3, "button")
    # Never the score: an officer may be watching a page.
    assert events == [{"type": "rated", "rating_id": result.rating_id, "source": "button",
                       "ask_reasons": False, "cooldown_left_s": 5.0, "tracking_code": tracking_code(result.rating_id)}]
    before = service.screen_state()["state_version"]
    service.apply_config(central_config(cooldown_s=2))
    assert events[-1] == {"type": "state", "state_version": service.screen_state()["state_version"]}
    assert events[-1]["state_version"] != before
    service.remove_listener(events.append)
    service.remove_listener(events.append)
    service.apply_config(central_config())
    assert len(events) == 2


def test_service_broken_listener_does_not_stop_a_press(service):
    def broken(event):
        raise RuntimeError("screen gone")

    heard: list[dict] = []
    service.add_listener(broken)
    service.add_listener(heard.append)
    assert service.press(3, "touch").recorded
    assert heard[0]["type"] == "rated"


def test_service_sign_in_with_pin_puts_officer_on_duty(service):
    events: list[dict] = []
    service.add_listener(events.append)
    assert service.sign_in(13, PIN_BINH) == SignInResult(True, None, 0, 5)
    assert service.screen_state()["officer"]["id"] == 13
    assert events[-1]["type"] == "state"
    [event] = service.outbox.sendable_duty_events(10)
    assert (event["officer_id"], event["action"]) == (13, "sign_in")
    assert service.press(3, "touch").recorded
    assert service.outbox.sendable_ratings(service._clock(), 1)[0]["officer_id"] == 13


def test_service_sign_out_closes_the_desk(service):
    assert service.sign_out(PIN_AN).ok
    assert service.screen_state()["view"] == "closed"
    assert [e["action"] for e in service.outbox.sendable_duty_events(10)] == ["sign_out"]
    assert service.sign_out(PIN_AN) == SignInResult(False, "nobody_on_duty", 0, 5)


def test_service_sign_out_with_another_listed_officers_pin(service):
    assert service.sign_out(PIN_BINH).ok
    assert service.outbox.sendable_duty_events(10)[0]["officer_id"] == 12


def test_service_local_duty_holds_until_the_central_reports_a_change(service):
    service.sign_in(13, PIN_BINH)
    service.apply_config(central_config(cooldown_s=1))  # same on_duty as before: still officer 13
    assert service.on_duty_officer_id() == 13
    moved = central_config()
    moved["on_duty"] = {"officer_id": 13, "since": "2026-11-27T02:00:00Z"}
    service.apply_config(moved)
    assert service.outbox.get_meta("duty") is None
    assert service.on_duty_officer_id() == 13


def test_service_local_duty_survives_restart(tmp_path, clock):
    service = make(tmp_path, clock)
    service.sign_in(13, PIN_BINH)
    service.close()
    service = make(tmp_path, clock, config=False)
    assert service.on_duty_officer_id() == 13
    service.close()


@pytest.mark.parametrize("officer_id", [99, "12", True, None])
def test_service_sign_in_unknown_officer(service, officer_id):
    result = service.sign_in(officer_id, PIN_AN)
    assert (result.ok, result.error) == (False, "unknown_officer")


@pytest.mark.parametrize("pin", ["0000", "", None, 1234, "1234 ", "x" * 10000])
def test_service_wrong_pin_counts_down(service, pin):
    assert service.sign_in(12, pin) == SignInResult(False, "wrong_pin", 0, 4)
    assert service.on_duty_officer_id() == 12
    assert service.outbox.sendable_duty_events(10) == []


def test_service_officer_without_pin_cannot_sign_in(tmp_path, clock):
    config = central_config()
    config["officers"][1]["pin_hash"] = None
    service = make(tmp_path, clock, config)
    assert service.sign_in(13, "").error == "wrong_pin"
    service.close()


def test_service_five_wrong_pins_lock_for_five_minutes_across_restart(tmp_path, clock):
    service = make(tmp_path, clock)
    results = [service.sign_in(13, "0000") for _ in range(5)]
    assert [r.attempts_left for r in results[:4]] == [4, 3, 2, 1]
    assert results[4] == SignInResult(False, "locked", 300, 0)
    assert service.screen_state()["pin_locked_for_s"] == 300
    service.close()
    service = make(tmp_path, clock, config=False)
    clock.now += 100
    assert service.sign_in(13, PIN_BINH) == SignInResult(False, "locked", 200, 0)
    assert service.sign_out(PIN_AN).error == "locked"
    clock.now += 200
    assert service.screen_state()["pin_locked_for_s"] == 0
    assert service.sign_in(13, PIN_BINH).ok
    service.close()


def test_service_lock_never_longer_than_five_minutes_when_clock_jumps_back(service, clock):
    for _ in range(5):
        service.sign_in(13, "0000")
    clock.now -= 86400
    assert service.screen_state()["pin_locked_for_s"] == 300


def test_service_photo_path(service, tmp_path):
    assert service.photo_path(12) is None
    assert service.photo_path("12") is None
    config = central_config()
    config["officers"][0]["photo_url"] = "/api/v1/officers/12/photo?v=1"
    service.apply_config(config)
    assert service.photos_wanted() == [(12, "/api/v1/officers/12/photo?v=1")]
    service.store_photo(12, "/api/v1/officers/12/photo?v=1", b"\x89PNG....", "image/png")
    assert service.photos_wanted() == []
    assert service.photo_path(12).read_bytes() == b"\x89PNG...."
    assert service.screen_state()["officer"]["photo_url"].startswith("/photos/12?v=")
    config["officers"][0]["photo_url"] = None
    service.apply_config(config)
    service.forget_unlisted_photos()
    assert service.photo_path(12) is None
    assert service.screen_state()["officer"]["photo_url"] is None


def test_service_waker_called_for_sendable_things(service):
    woken: list[int] = []
    service.set_waker(lambda: woken.append(1))
    low = service.press(1, "touch")
    assert woken == [], "a low score waits for its reasons"
    service.give_reasons(low.rating_id, ["slow"])
    assert woken == [1]


# -- the reasons answered with the buttons, and what the screen is told ----------------------


def stored(tmp_path) -> list[tuple[list[str], int]]:
    """(reasons, still waiting for reasons) of every rating in the outbox, as on disk."""
    import sqlite3

    conn = sqlite3.connect(tmp_path / "outbox.db")
    try:
        return [(json.loads(r), w) for r, w in conn.execute("SELECT reasons, awaiting_reasons FROM ratings ORDER BY seq")]
    finally:
        conn.close()


def answer(service, clock, score: int) -> PressResult:
    """A button press after the pause it takes to read the screen."""
    clock.now += ANSWER_SETTLE_S
    return service.press(score, "button")


def test_service_buttons_answer_the_reasons_one_at_a_time_each_stored_at_once(service, clock, tmp_path):
    events: list[dict] = []
    service.add_listener(events.append)
    rating = service.press(1, "button")
    assert rating.ask_reasons
    # Misconduct first, then the config's order.
    assert events[-1] == {"type": "report", "rating_id": rating.rating_id, "order": ["bribe", "slow", "attitude", "other"],
                          "step": 0, "chosen": [], "failed": False}
    assert answer(service, clock, 1).ignored == "answer"  # the red button: yes, asked for money
    assert (events[-1]["step"], events[-1]["chosen"]) == (1, ["bribe"])
    assert stored(tmp_path) == [(["bribe"], 1)], "stored at once, still waiting for more"
    assert answer(service, clock, 3).ignored == "answer"  # the green one: no, not slow
    assert (events[-1]["step"], events[-1]["chosen"]) == (2, ["bribe"])
    assert answer(service, clock, 2).ignored == "answer"  # the middle one: done
    assert events[-1] == {"type": "reported", "rating_id": rating.rating_id, "ok": True}
    assert stored(tmp_path) == [(["bribe"], 0)]
    assert service.outbox.sendable_ratings(clock.now, 10)[0]["reasons"] == ["bribe"]
    # The reasons are over: the next press is a rating again (after the cool-down).
    clock.now += 5
    assert service.press(3, "button").recorded


def test_service_button_answer_too_soon_is_ignored(service, clock, tmp_path):
    """A doubled or bouncing press must never say yes to a complaint nobody read."""
    service.press(1, "button")
    assert service.press(1, "button").ignored == "too_soon"
    assert stored(tmp_path) == [([], 1)]
    assert service.outbox.get_meta("ignored_presses") == 1


def test_service_last_reason_answered_ends_the_reasons(service, clock, tmp_path):
    service.press(1, "button")
    for _ in range(4):
        answer(service, clock, 1)
    assert stored(tmp_path) == [(["bribe", "slow", "attitude", "other"], 0)]


def test_service_button_answer_that_cannot_be_stored_is_asked_again(service, clock, tmp_path, monkeypatch):
    events: list[dict] = []
    service.add_listener(events.append)
    service.press(1, "button")
    real = service.outbox.save_reasons

    def disk_error(*args, **kwargs):
        raise OSError("disk I/O error")

    monkeypatch.setattr(service.outbox, "save_reasons", disk_error)
    assert answer(service, clock, 1).ignored == "not_recorded"
    assert (events[-1]["type"], events[-1]["step"], events[-1]["chosen"], events[-1]["failed"]) == ("report", 0, [], True)
    monkeypatch.setattr(service.outbox, "save_reasons", real)
    assert answer(service, clock, 1).ignored == "answer"
    assert (events[-1]["chosen"], events[-1]["failed"]) == (["bribe"], False)
    assert stored(tmp_path) == [(["bribe"], 1)]


def test_service_reasons_chosen_on_the_screen_join_those_of_the_buttons(service, clock, tmp_path):
    rating = service.press(1, "button")
    answer(service, clock, 1)
    assert service.give_reasons(rating.rating_id, ["slow"])
    assert stored(tmp_path) == [(["bribe", "slow"], 0)]
    # A screen whose answer was lost sends again: the same reasons are still a yes.
    assert service.give_reasons(rating.rating_id, ["slow"])


def test_service_after_a_touch_rating_the_buttons_rate(tmp_path, clock):
    service = make(tmp_path, clock, central_config(cooldown_s=0))
    try:
        first = service.press(1, "touch")
        clock.now += ANSWER_SETTLE_S
        second = service.press(3, "button")
        assert second.recorded and second.rating_id != first.rating_id
    finally:
        service.close()


def test_service_reasons_after_every_score_tell_the_screen_nothing_of_the_level(tmp_path, clock):
    service = make(tmp_path, clock, central_config(cooldown_s=0, reasons_after_every_score=True))
    events: list[dict] = []
    service.add_listener(events.append)
    try:
        seen = []
        for score in (3, 2, 1):
            result = service.press(score, "touch")
            assert result.ask_reasons
            assert service.give_reasons(result.rating_id, [])
            # The rating's id and its tracking code differ from rating to rating, at random.
            seen.append([{k: v for k, v in e.items() if k not in ("rating_id", "tracking_code")} for e in events])
            events.clear()
        assert seen[0] == seen[1] == seen[2]
    finally:
        service.close()


# -- the tracking code (issue 11): the screen's code is the stored rating's --


def stored_ids(service: KioskService, clock: Clock) -> list[str]:
    return [item["id"] for item in service.outbox.sendable_ratings(clock.now + REASONS_GRACE_S + 600, 10)]


def test_service_touch_ratings_carry_the_tracking_code_of_their_stored_id(tmp_path, clock):
    service = make(tmp_path, clock, central_config(cooldown_s=0, reasons_after_every_score=True))
    events: list[dict] = []
    service.add_listener(events.append)
    try:
        results = [service.press(score, "touch") for score in (3, 1)]
        assert stored_ids(service, clock) == [r.rating_id for r in results]
        rated = [e for e in events if e["type"] == "rated"]
        for result, event, stored in zip(results, rated, stored_ids(service, clock)):
            assert result.tracking_code == event["tracking_code"] == tracking_code(stored)
    finally:
        service.close()


def test_service_button_ratings_carry_the_tracking_code_of_their_stored_id(tmp_path, clock):
    service = make(tmp_path, clock, central_config(cooldown_s=0))
    events: list[dict] = []
    service.add_listener(events.append)
    try:
        service.press(1, "button")
        for answer in (1, 2):  # yes to the first reason (misconduct), then done
            clock.now += ANSWER_SETTLE_S
            service.press(answer, "button")
        [stored] = service.outbox.sendable_ratings(clock.now, 10)
        assert stored["reasons"] == ["bribe"]
        [rated] = [e for e in events if e["type"] == "rated"]
        assert rated["tracking_code"] == tracking_code(stored["id"])
    finally:
        service.close()


def test_service_ignored_press_has_no_tracking_code(service):
    service.press(3, "touch")
    assert service.press(3, "touch").tracking_code is None


def test_service_board_url_comes_from_the_config_kept_on_disk(tmp_path, clock):
    make(tmp_path, clock).close()
    # Restarted without the network: the last config's board address, and the time of the code view.
    again = make(tmp_path, clock, config=False)
    try:
        assert again.public_board_url() == "https://danhgia.example.gov.vn/cong-khai"
        assert again.screen_state()["public_board_url"] == "https://danhgia.example.gov.vn/cong-khai"
    finally:
        again.close()


@pytest.mark.parametrize("url", [None, "", 42, "javascript:alert(1)", "ftp://example.org", "https://a b", "missing"])
def test_service_board_url_is_none_unless_an_http_address(tmp_path, clock, url):
    config = central_config()
    if url == "missing":
        del config["public_board_url"]
    else:
        config["public_board_url"] = url
    service = make(tmp_path, clock, config)
    try:
        assert service.screen_state()["public_board_url"] is None
    finally:
        service.close()


def test_service_tracking_time_comes_from_the_config(tmp_path, clock):
    service = make(tmp_path, clock, central_config(tracking_s=45))
    try:
        assert service.screen_state()["settings"]["tracking_s"] == 45.0
    finally:
        service.close()
