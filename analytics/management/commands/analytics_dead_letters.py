from django.core.management.base import BaseCommand
from kombu import Producer

from analytics.queues import dead_letter_queue, events_queue
from escape_ai.celery import app

_BROKER_HEADERS = (
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-delivery-count",
)


class Command(BaseCommand):
    help = "Count the dead-lettered event messages, or (--requeue) send them back to the events queue after a fix."

    def add_arguments(self, parser):
        parser.add_argument("--requeue", action="store_true", help="move every dead letter back to the events queue")

    def handle(self, *args, requeue=False, **options):
        with app.connection_for_write() as connection, connection.channel() as channel:
            dead = dead_letter_queue()(channel)
            _, count, _ = dead.queue_declare()
            if not requeue:
                self.stdout.write(f"{count} dead-lettered event message(s) in {dead.name}")
                return
            target = events_queue()
            producer = Producer(channel)
            moved = 0
            while (message := dead.get(no_ack=False)) is not None:
                headers = {k: v for k, v in (message.headers or {}).items() if k not in _BROKER_HEADERS}
                properties = message.properties or {}
                # Published (with confirms) before the dead letter is acknowledged: never lost, at worst twice,
                # and storing twice is a no-op.
                producer.publish(
                    message.body,
                    exchange=target.exchange,
                    routing_key=target.routing_key,
                    declare=[target],
                    headers=headers,
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    correlation_id=properties.get("correlation_id"),
                    reply_to=properties.get("reply_to"),
                    serializer=None,
                )
                message.ack()
                moved += 1
            self.stdout.write(f"{moved} dead-lettered event message(s) sent back to {target.name}")
