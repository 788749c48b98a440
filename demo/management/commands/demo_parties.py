from django.core.management.base import BaseCommand

from demo.activity import demo_parties


class Command(BaseCommand):
    help = "Print the demo parties' invite codes (make run does), so a new user can join one and try party mode."

    def handle(self, *args, **options):
        parties = demo_parties()
        if not parties:
            self.stdout.write(
                "demo parties: none (demo activity from before the play log: "
                "`python manage.py seed_activity --reset` loads it again with plays and parties)"
            )
            return
        self.stdout.write("demo parties (sign up, then 내 기록 › 내 파티 › 초대 코드로 들어가기):")
        for party, members in parties:
            self.stdout.write(f"  {party.invite_code}  {party.name} ({members}명)")
