"""Issue 11: the peering list's count under "any connection in this state" reads that
state's connections alone (connection_state, peering)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('peering', '0009_routing_route_indexes'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='peeringconnection',
            index=models.Index(fields=['connection_state', 'peering'], name='connection_state_peering'),
        ),
    ]
