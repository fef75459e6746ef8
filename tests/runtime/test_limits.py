import pytest

from bot.runtime.limits import Cooldowns, GuildGate, RateLimited


def test_cooldown_blocks_then_allows_after_the_period():
    now = [100.0]
    cd = Cooldowns(clock=lambda: now[0])
    cd.hit(1, "heavy", 10)
    now[0] = 104.2
    with pytest.raises(RateLimited) as info:
        cd.hit(1, "heavy", 10)
    assert "6 s" in str(info.value) and info.value.retry_after_s == pytest.approx(5.8)
    cd.hit(2, "heavy", 10)  # other users are independent
    cd.hit(1, "light", 2)  # and so are buckets
    now[0] = 110.0
    cd.hit(1, "heavy", 10)


def test_guild_gate_caps_in_flight_work_per_guild():
    gate = GuildGate(limit=2)
    with gate.slot(7), gate.slot(7):
        with pytest.raises(RateLimited, match="busy"):
            with gate.slot(7):
                pass
        with gate.slot(8):  # another guild is unaffected
            assert gate.in_flight(8) == 1
    assert gate.in_flight(7) == 0
