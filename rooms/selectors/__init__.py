"""Room reads. Submodules: `rooms` (one room, listings), `search` (the hybrid search), `slots` (time slots)."""

from rooms.selectors.slots import room_slots, room_slots_nearest_open, room_slots_open

__all__ = ["room_slots", "room_slots_nearest_open", "room_slots_open"]
