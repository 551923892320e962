"""Indexes the big lists sort and page on (issue 11): the peering list's sorts, a page's
connection-state summary, a peering's registered ASNs by name."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("peering", "0007_hardening_address_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="peering",
            index=models.Index(fields=["name", "id"], name="peering_name_id"),
        ),
        migrations.AddIndex(
            model_name="peering",
            index=models.Index(fields=["created_at", "id"], name="peering_created_id"),
        ),
        migrations.AddIndex(
            model_name="peering",
            index=models.Index(fields=["kind", "name", "id"], name="peering_kind_name_id"),
        ),
        migrations.AddIndex(
            model_name="peeringconnection",
            index=models.Index(
                fields=["peering", "connection_state"], name="connection_peering_state"
            ),
        ),
        migrations.AddIndex(
            model_name="registeredasn",
            index=models.Index(fields=["peering", "name", "id"], name="registered_asn_page"),
        ),
    ]
