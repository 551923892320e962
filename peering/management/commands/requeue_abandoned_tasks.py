"""Put tasks a killed worker left RUNNING back in the queue.

django-tasks-db marks a task RUNNING when a worker claims it; if that worker dies (killed,
out of memory, the machine restarts) the task stays RUNNING and no worker takes it again.
Run this before starting a worker with a fixed `--worker-id` (as `make run` does): the tasks
that worker id held belong to its dead predecessor. `--older-than` requeues any task RUNNING
for longer than that many seconds. Every task of ours may run again safely: each locks its row
and writes its outcome in one transaction, so a killed run left nothing behind.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult


class Command(BaseCommand):
    help = "Requeue tasks left RUNNING by a worker that is gone."

    def add_arguments(self, parser):
        parser.add_argument("--worker-id", default="", help="The worker id that was killed.")
        parser.add_argument("--older-than", type=int, default=0, help="Seconds RUNNING.")

    def handle(self, *args, worker_id: str, older_than: int, **options):
        if not worker_id and not older_than:
            raise CommandError("Give --worker-id or --older-than.")
        running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
        if older_than:
            running = running.filter(started_at__lt=timezone.now() - timedelta(seconds=older_than))
        abandoned = [
            task
            for task in running
            if not worker_id or (task.worker_ids and task.worker_ids[-1] == worker_id)
        ]
        for task in abandoned:
            task.status = TaskResultStatus.READY
            task.started_at = None
            task.save(update_fields=["status", "started_at"])
        self.stdout.write(f"Requeued {len(abandoned)} abandoned task(s).")
