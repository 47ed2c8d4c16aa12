"""Multi-touch attribution models: pure functions over journeys, no Django inside."""
