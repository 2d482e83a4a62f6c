"""The GPIO buttons and LEDs (kiosk/buttons.py) on gpiozero's MockFactory, a real KioskService and its SQLite outbox.

Pins: buttons 17, 27, 22 for scores 1, 2, 3; acknowledgement LED 23; status LED 24.
"""
from __future__ import annotations

import time
from typing import Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from kiosk.buttons import Buttons
from kiosk.config import GpioConfig
from kiosk.service import KioskService
from kiosk.tracking import tracking_code

from .kiosk_support import central_config, open_service, stored_ratings, wait_for

PINS = GpioConfig(buttons=[17, 27, 22], ack_led=23, status_led=24, debounce_ms=50)
ACK, STATUS = 23, 24


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    """A fresh mock pin factory per test, reset afterwards."""
    factory = MockFactory()
    yield factory
    factory.reset()


@pytest.fixture
def service(tmp_path) -> Iterator[KioskService]:
    """Officer 12 on duty and no cool-down, so that every press counts."""
    service = open_service(tmp_path / "kiosk", central_config(cooldown_s=0))
    yield service
    service.close()


def make_buttons(service: KioskService, factory: MockFactory, gpio: GpioConfig = PINS) -> Buttons:
    return Buttons(service, gpio, pin_factory=factory, status_poll_s=0.05)


@pytest.fixture
def buttons(service, factory) -> Iterator[Buttons]:
    buttons = make_buttons(service, factory)
    yield buttons
    buttons.close()


def press(factory: MockFactory, pin: int) -> None:
    """A clean press and release, as a finger on a button that does not bounce."""
    factory.pin(pin).drive_low()
    factory.pin(pin).drive_high()


def scores(tmp_path) -> list[tuple[int, str]]:
    return [(r["score"], r["source"]) for r in stored_ratings(tmp_path / "kiosk")]


def test_buttons_press_stores_a_button_rating(buttons, factory, tmp_path):
    press(factory, 22)
    press(factory, 17)
    assert scores(tmp_path) == [(3, "button"), (1, "button")]


def test_buttons_bounce_within_the_debounce_time_is_one_press(service, factory, tmp_path):
    buttons = make_buttons(service, factory, GpioConfig(buttons=[17, 27, 22], debounce_ms=300))
    try:
        pin = factory.pin(27)
        # A contact that chatters on the way down and on the way up, each edge close to the last.
        for _ in range(5):
            pin.drive_low()
            pin.drive_high()
        pin.drive_low()
        for _ in range(8):
            time.sleep(0.02)
            pin.drive_high()
            pin.drive_low()
        pin.drive_high()
        assert scores(tmp_path) == [(2, "button")]
        # Once the contact has been still for longer than the debounce time, a press is a press again.
        time.sleep(0.5)
        press(factory, 27)
        assert scores(tmp_path) == [(2, "button"), (2, "button")]
    finally:
        buttons.close()


def test_buttons_presses_inside_the_cooldown_give_no_rating(tmp_path, factory):
    service = open_service(tmp_path / "kiosk", central_config(cooldown_s=60))
    buttons = make_buttons(service, factory)
    try:
        press(factory, 22)
        time.sleep(0.1)  # past the debounce time: these are new presses, refused by the cool-down
        press(factory, 17)
        press(factory, 27)
        assert scores(tmp_path) == [(3, "button")]
        assert service.outbox.get_meta("ignored_presses") == 2
    finally:
        buttons.close()
        service.close()


def ack_blink_after(factory: MockFactory, action) -> list[bool]:
    """The acknowledgement LED's states from just before ``action`` until its blink is over."""
    led = factory.pin(ACK)
    led.clear_states()
    action()
    wait_for(lambda: len(led.states) >= 3 and not led.state, 10, "the acknowledgement blink")
    time.sleep(0.2)  # a second blink, were there one, would have started by now
    return [s.state for s in led.states]


def test_buttons_ack_led_blinks_the_same_for_every_button(buttons, factory, service):
    # The lowest score last: after it the buttons answer the reasons instead of rating.
    blinks = {pin: ack_blink_after(factory, lambda pin=pin: press(factory, pin)) for pin in (27, 22, 17)}
    assert blinks == {17: [False, True, False], 27: [False, True, False], 22: [False, True, False]}
    # A touch on the screen blinks it in the same way: the LED says "recorded", never which.
    assert ack_blink_after(factory, lambda: service.press(2, "touch")) == [False, True, False]


def test_buttons_ack_led_stays_dark_for_an_ignored_press(tmp_path, factory):
    service = open_service(tmp_path / "kiosk", central_config(cooldown_s=0, on_duty=None))
    buttons = make_buttons(service, factory)
    try:
        factory.pin(ACK).clear_states()
        press(factory, 22)
        time.sleep(0.2)
        assert scores(tmp_path) == []
        assert [s.state for s in factory.pin(ACK).states] == [False]
    finally:
        buttons.close()
        service.close()


def test_buttons_status_led_blinks_while_ratings_wait(buttons, factory, service):
    led = factory.pin(STATUS)
    time.sleep(0.2)
    assert [s.state for s in led.states] == [False]
    press(factory, 22)
    # Blinking: on, off and on again while the rating waits.
    wait_for(lambda: [s.state for s in led.states].count(True) >= 2, 10, "the status LED to blink")
    waiting = service.outbox.sendable_ratings(time.time(), 10)
    service.outbox.settle_ratings([r["id"] for r in waiting], [])
    wait_for(lambda: service.pending_count() == 0 and not led.state, 10, "the status LED to go dark")
    led.clear_states()
    time.sleep(0.4)  # eight times the LED's polling period: it stays dark
    assert [s.state for s in led.states] == [False]


def test_buttons_close_releases_every_pin(service, factory, tmp_path):
    buttons = make_buttons(service, factory)
    buttons.close()
    buttons.close()
    press(factory, 22)
    assert scores(tmp_path) == []
    # Released: the same pins can be claimed again, as a restarted kiosk would.
    again = make_buttons(service, factory)
    try:
        press(factory, 22)
        assert scores(tmp_path) == [(3, "button")]
    finally:
        again.close()


def test_buttons_dev_press_drives_the_mock_pin(buttons, factory, tmp_path):
    buttons.dev_press(1)
    assert scores(tmp_path) == [(1, "button")]
    assert [s.state for s in factory.pin(17).states][-2:] == [False, True]
    with pytest.raises(ValueError):
        buttons.dev_press(4)


def test_buttons_without_leds_still_rate(service, factory, tmp_path):
    buttons = make_buttons(service, factory, GpioConfig(buttons=[5, 6]))
    try:
        press(factory, 6)
        assert scores(tmp_path) == [(2, "button")]
    finally:
        buttons.close()


def test_buttons_before_any_config_store_nothing(tmp_path, factory):
    service = KioskService.open(tmp_path / "kiosk")
    buttons = make_buttons(service, factory)
    try:
        press(factory, 22)
        assert scores(tmp_path) == []
    finally:
        buttons.close()
        service.close()


def test_buttons_rating_event_carries_the_tracking_code_of_the_stored_rating(buttons, factory, service, tmp_path):
    heard: list[dict] = []
    service.add_listener(heard.append)
    press(factory, 17)
    [stored] = stored_ratings(tmp_path / "kiosk")
    [rated] = [e for e in heard if e["type"] == "rated"]
    assert rated["tracking_code"] == tracking_code(stored["uuid"])
