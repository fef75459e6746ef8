"""Runtime services for chat front ends: running commands off the event loop, rate limits, state."""
