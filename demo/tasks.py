"""Demo upkeep on beat: the demo rooms' slots move forward a day every day."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def demo_slots_regenerate_task() -> int:
    from demo.slots import demo_slots_generate

    return demo_slots_generate()  # an upsert of the same deterministic slots: safe to run twice
