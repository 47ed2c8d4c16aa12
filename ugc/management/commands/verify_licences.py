"""`manage.py verify_licences`: walk the licence ledger and report any entry edited,
removed or reordered since it was written. Exits 1 when the chain is broken."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ugc.services.licences import verify_chain


class Command(BaseCommand):
    help = "Verify the licence ledger's hash chain and report any tampering."

    def handle(self, *args, **options):
        report = verify_chain()
        for problem in report.problems:
            self.stderr.write(problem)
        if not report.intact:
            raise CommandError(
                f"licence ledger tampered: {len(report.problems)} problem(s) "
                f"in {report.checked} entries"
            )
        self.stdout.write(f"licence ledger intact: {report.checked} entries")
