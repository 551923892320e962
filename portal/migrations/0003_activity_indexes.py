"""Issue 11: the Activity log's Status filter counted on an index alone; one resource's entries
by time (a peering's received-routes history, who requested a connection) without scanning
the subscription's log."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0002_api_tokens'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='activitylog',
            index=models.Index(fields=['subscription', 'status', 'timestamp'], name='activity_sub_status'),
        ),
        migrations.AddIndex(
            model_name='activitylog',
            index=models.Index(fields=['resource_id', 'timestamp'], name='activity_resource_time'),
        ),
    ]
